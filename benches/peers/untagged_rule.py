"""Independent reference for gridplan's rule for untagged buildings outside compounds (src/load/untagged.rs).

Reimplemented with shapely + scipy on an imported folder (`gridplan import-osm X.osm.pbf --out DIR`):
counts the untagged buildings outside compounds the rule makes residential, and holds the rule out on the
buildings whose tags say residential or another use (as if their tags were missing): precision and recall.

    python3 benches/peers/untagged_rule.py DIR [min_m2 max_m2 radius_m]
"""
import json, math, sys, warnings

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import shape
from shapely.strtree import STRtree

warnings.filterwarnings("ignore")
d = sys.argv[1]
lo, hi, radius = (float(x) for x in (sys.argv[2:5] if len(sys.argv) > 4 else (150, 3000, 300)))
load = lambda name: json.load(open(f"{d}/{name}.geojson"))["features"]
buildings = load("buildings")
lat0 = np.mean([shape(f["geometry"]).centroid.y for f in buildings[:100]])
k = math.cos(math.radians(lat0))
proj = lambda g: shapely.transform(g, lambda c: c * [k * 111320.0, 110540.0])
geoms = [proj(shape(f["geometry"])) for f in buildings]
kinds = [f["properties"]["kind"] for f in buildings]
RES = {"residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory",
       "bungalow", "住宅"}
compounds = STRtree([proj(shape(f["geometry"])) for f in load("compounds")])
special = STRtree([proj(shape(f["geometry"])) for f in load("special_units") if f["geometry"]["type"] != "Point"])
pts = [g.representative_point() for g in geoms]
xy = np.array([[p.x, p.y] for p in pts])
area = np.array([g.area for g in geoms])
in_compound = np.array([len(compounds.query(p, predicate="within")) > 0 for p in pts])
in_special = np.array([len(special.query(p, predicate="within")) > 0 for p in pts])
is_res = np.array([x in RES for x in kinds])
is_other = np.array([x not in RES and x != "yes" for x in kinds])
evidence_res = is_res | ((np.array(kinds) == "yes") & in_compound)
tree = cKDTree(xy)


def rule(i):
    if in_special[i] or in_compound[i] or not (lo <= area[i] <= hi):
        return False
    near = [j for j in tree.query_ball_point(xy[i], radius) if j != i]
    return sum(evidence_res[j] for j in near) >= sum(is_other[j] for j in near)


held = [i for i in range(len(buildings)) if (is_res[i] or is_other[i]) and not in_compound[i]]
tp = sum(rule(i) and is_res[i] for i in held)
fp = sum(rule(i) and is_other[i] for i in held)
fn = sum(not rule(i) and is_res[i] for i in held)
untagged = [i for i in range(len(buildings)) if kinds[i] == "yes" and not in_compound[i]]
print(json.dumps({
    "untagged_outside_compounds": len(untagged),
    "made_residential": int(sum(rule(i) for i in untagged)),
    "held_out": len(held), "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3),
}))
