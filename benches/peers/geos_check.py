"""Checks a run's grid and micro-grid layers with GEOS (shapely), independently of gridplan.

    python3 benches/peers/geos_check.py RUN_DIR [--gdal]

Prints one JSON object: features, invalid polygons (with GEOS's reason for the first few), the area covered
twice within each street (grids) and each grid (micro-grids), in m² (local equal-area approximation), and
micro-grids outside their grid. With --gdal, also converts both layers with `ogr2ogr` to GeoPackage and
Shapefile and reports what GDAL wrote (feature counts, fields kept). Exit status 1 if anything is invalid.
"""
import json
import math
import subprocess
import sys
import tempfile
from collections import defaultdict

import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity


def m2_per_deg2(lat):
    return (111_320.0 * 110_574.0) * math.cos(math.radians(lat))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def overlap_within(groups, scale):
    total = 0.0
    for geoms in groups.values():
        if len(geoms) < 2:
            continue
        total += (sum(g.area for g in geoms) - shapely.union_all(geoms).area) * scale
    return total


def gdal(run, name):
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for driver, ext in (("GPKG", "gpkg"), ("ESRI Shapefile", "shp")):
            dst = f"{tmp}/{name}.{ext}"
            r = subprocess.run(["ogr2ogr", "-f", driver, dst, f"{run}/{name}.geojson"], capture_output=True, text=True)
            info = subprocess.run(["ogrinfo", "-so", "-al", dst], capture_output=True, text=True).stdout
            count = next((int(l.split(":")[1]) for l in info.splitlines() if l.startswith("Feature Count")), None)
            fields = [l.split(":")[0].strip() for l in info.splitlines() if ": String" in l or ": Integer" in l or ": Real" in l]
            out[driver] = {"ok": r.returncode == 0, "warnings": r.stderr.strip()[:300], "features": count, "fields": fields}
    return out


def main():
    run = sys.argv[1]
    grids = load(f"{run}/grids.geojson")
    micro = load(f"{run}/micro_grids.geojson")
    lat = shape(grids[0]["geometry"]).centroid.y
    scale = m2_per_deg2(lat)
    report = {}
    bad = 0
    for name, feats in (("grids", grids), ("micro_grids", micro)):
        geoms = [shape(f["geometry"]) for f in feats]
        invalid = [(f["properties"].get("micro_id") or f["properties"]["grid_id"], explain_validity(g))
                   for f, g in zip(feats, geoms) if not g.is_valid]
        bad += len(invalid)
        report[name] = {"features": len(feats), "invalid": len(invalid), "first_invalid": invalid[:5],
                        "empty": sum(1 for g in geoms if g.is_empty)}
    by_street = defaultdict(list)
    for f in grids:
        by_street[f["properties"]["street"]].append(shape(f["geometry"]))
    by_grid = defaultdict(list)
    for f in micro:
        by_grid[f["properties"]["grid_id"]].append(shape(f["geometry"]))
    report["grids"]["overlap_m2"] = overlap_within(by_street, scale)
    report["micro_grids"]["overlap_m2"] = overlap_within(by_grid, scale)
    grid_geom = {f["properties"]["grid_id"]: shape(f["geometry"]) for f in grids}
    report["micro_grids"]["outside_grid_over_1m2"] = sum(
        1 for gid, ms in by_grid.items() for m in ms if m.difference(grid_geom[gid]).area * scale > 1.0)
    if "--gdal" in sys.argv:
        report["gdal"] = {name: gdal(run, name) for name in ("grids", "micro_grids")}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
