#!/usr/bin/env python3
"""Side by side: gridplan's walking coverage against pandana and networkx, and its site suggestions against
spopt's exact MCLP (issue #4).

For each size, a seeded street grid (jittered intersections, 5 % of streets missing, a bend in some streets)
with households and facilities of 6 kinds set back from the streets is written twice, as identical data:

  nodes.csv, edges.csv, households.csv, facilities.csv   (local metres, for the Python peers)
  walk_network.geojson, households.geojson, facilities.geojson, plan.toml   (WGS84, for gridplan)

The local metres are the transverse Mercator gridplan itself uses (centred on the households' bounding box,
rounded to 1e-6°), so every tool sees the same geometry to the millimetre.

  exact     the reference: each household and facility joins its nearest street *segment* by a new node
            (networkx graph with the split segments), multi-source Dijkstra per kind
  gridplan  `gridplan coverage` (load, graph, edge snapping, distances, writing; no siting) end to end
  pandana   Network (build + precompute), set_pois / nearest_pois per kind, households at their nearest node
  networkx  the street graph, facilities and households at their nearest node, multi_source_dijkstra with cutoff

Reported: end-to-end time for every household × 6 kinds including graph build; the query-only time; and
households misclassified at each kind's threshold against the exact reference.

Siting: 3,000 households and 400 candidate points of the 22.5 k instance, one kind with no facility, radius
500 m, p = 8: spopt MCLP (CBC via PuLP) on the exact cost matrix against gridplan's greedy + swaps
(candidates layer, `new_sites = 8`).

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install pandana networkx spopt pyproj
    /tmp/peers/bin/python benches/peers/coverage_compare.py --sides 60 150 300

Run from the repository root after `cargo build --release`. Kept out of the Rust build and the tests.
"""
import argparse, csv, json, math, random, subprocess, sys, time
from pathlib import Path

import networkx as nx
import numpy as np
from pyproj import Transformer

BIN = Path("target/release/gridplan")
KINDS = {"kindergarten": 300, "clinic": 300, "park": 300, "primary_school": 500, "market": 500, "middle_school": 1000}
# Facilities per 1,000 intersections, per kind.
DENSITY = {"kindergarten": 6, "clinic": 4, "park": 12, "primary_school": 3, "market": 4, "middle_school": 1.5}
LON0, LAT0, SPACING = 126.63, 45.75, 80.0


def tm(lon0, lat0):
    proj = f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", proj, always_xy=True)


def generate(side, seed):
    """Street grid of side × side intersections; households ≈ intersections; returns WGS84 and metres."""
    rng = random.Random(seed)
    pts = {}
    for i in range(side):
        for j in range(side):
            pts[(i, j)] = (i * SPACING + rng.uniform(-15, 15), j * SPACING + rng.uniform(-15, 15))
    streets = []  # (a, b, bend or None)
    for i in range(side):
        for j in range(side):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < side and j + dj < side and rng.random() > 0.05:
                    bend = (rng.uniform(-12, 12), rng.uniform(-12, 12)) if rng.random() < 0.2 else None
                    streets.append(((i, j), (i + di, j + dj), bend))
    # Provisional metres → WGS84 around Harbin, rounded as written.
    inv = tm(LON0, LAT0)
    def lonlat(x, y):
        lon, lat = inv.transform(x - side * SPACING / 2, y - side * SPACING / 2, direction="INVERSE")
        return round(lon, 9), round(lat, 9)
    lines = []
    for a, b, bend in streets:
        pa, pb = pts[a], pts[b]
        mid = [((pa[0] + pb[0]) / 2 + bend[0], (pa[1] + pb[1]) / 2 + bend[1])] if bend else []
        lines.append([lonlat(*p) for p in [pa, *mid, pb]])

    def near_street(offset_max):
        a, b, bend = streets[rng.randrange(len(streets))]
        pa, pb = pts[a], pts[b]
        t = rng.random()
        x, y = pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        n = math.hypot(dx, dy)
        off = rng.uniform(3, offset_max) * rng.choice((-1, 1))
        return lonlat(x - dy / n * off, y + dx / n * off)

    households = [(f"h{i}", *near_street(40), rng.randint(1, 60)) for i in range(side * side)]
    facilities = []
    for kind, per_k in DENSITY.items():
        for i in range(max(3, round(side * side * per_k / 1000))):
            facilities.append((f"{kind}-{i}", kind, *near_street(30)))
    # The metres every tool uses: gridplan's projection (households' bbox centre, rounded to 1e-6°).
    lons = [h[1] for h in households]
    lats = [h[2] for h in households]
    c_lon = round((min(lons) + max(lons)) / 2, 6)
    c_lat = round((min(lats) + max(lats)) / 2, 6)
    fwd = tm(c_lon, c_lat)
    xy = lambda lon, lat: fwd.transform(lon, lat)
    return {
        "lines": lines,
        "lines_xy": [[xy(*p) for p in line] for line in lines],
        "households": households,
        "households_xy": [(h[0], *xy(h[1], h[2]), h[3]) for h in households],
        "facilities": facilities,
        "facilities_xy": [(f[0], f[1], *xy(f[2], f[3])) for f in facilities],
    }


def write_instance(inst, data, new_sites=0, thresholds=KINDS, candidates=None):
    inst.mkdir(parents=True, exist_ok=True)
    feats = [
        {"type": "Feature", "properties": {"id": f"w{i}", "class": "footway"}, "geometry": {"type": "LineString", "coordinates": line}}
        for i, line in enumerate(data["lines"])
    ]
    (inst / "walk_network.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    feats = [
        {"type": "Feature", "properties": {"id": h[0], "households": h[3]}, "geometry": {"type": "Point", "coordinates": [h[1], h[2]]}}
        for h in data["households"]
    ]
    (inst / "households.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    feats = [
        {"type": "Feature", "properties": {"id": f[0], "kind": f[1]}, "geometry": {"type": "Point", "coordinates": [f[2], f[3]]}}
        for f in data["facilities"]
    ]
    (inst / "facilities.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    layers = "[layers.households]\npath = \"households.geojson\"\n[layers.walk_network]\npath = \"walk_network.geojson\"\n"
    if data["facilities"]:
        layers += "[layers.facilities]\npath = \"facilities.geojson\"\n"
    if candidates:
        feats = [
            {"type": "Feature", "properties": {"id": c[0]}, "geometry": {"type": "Point", "coordinates": [c[1], c[2]]}} for c in candidates
        ]
        (inst / "candidates.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        layers += "[layers.candidates]\npath = \"candidates.geojson\"\n"
    th = "".join(f"{k} = {v}\n" for k, v in thresholds.items())
    (inst / "plan.toml").write_text(
        f"[plan]\nname = \"{inst.name}\"\n{layers}[coverage]\nsnap_limit_m = 150\nnew_sites = {new_sites}\nlevels = []\n[coverage.thresholds]\n{th}"
    )
    # The same data as CSV, in metres, for the Python peers.
    with open(inst / "households.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "x", "y", "households"])
        w.writerows(data["households_xy"])
    with open(inst / "facilities.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "kind", "x", "y"])
        w.writerows(data["facilities_xy"])
    nodes, edges = street_graph(data["lines_xy"])
    with open(inst / "nodes.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "x", "y"])
        w.writerows((i, x, y) for i, (x, y) in enumerate(nodes))
    with open(inst / "edges.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["u", "v", "length_m"])
        w.writerows(edges)
    return nodes, edges


def street_graph(lines_xy):
    """Vertex-level graph: every vertex a node (joined where coordinates coincide to the centimetre)."""
    index, nodes, edges = {}, [], []
    def node(p):
        key = (round(p[0] * 100), round(p[1] * 100))
        if key not in index:
            index[key] = len(nodes)
            nodes.append(p)
        return index[key]
    for line in lines_xy:
        for a, b in zip(line, line[1:]):
            u, v = node(a), node(b)
            edges.append((u, v, math.hypot(b[0] - a[0], b[1] - a[1])))
    return nodes, edges


def snap_to_segments(nodes, edges, pts):
    """Nearest segment and position on it, for every point (vectorised by blocks)."""
    a = np.array([nodes[u] for u, _, _ in edges])
    b = np.array([nodes[v] for _, v, _ in edges])
    d = b - a
    l2 = np.maximum((d ** 2).sum(1), 1e-12)
    from scipy.spatial import cKDTree
    mids = (a + b) / 2
    tree = cKDTree(mids)
    half = np.sqrt(l2).max() / 2
    out = []
    for p in pts:
        cand = tree.query_ball_point(p, r=half + 200)
        if not cand:
            cand = range(len(edges))
        cand = np.array(list(cand))
        t = np.clip(((p - a[cand]) * d[cand]).sum(1) / l2[cand], 0, 1)
        proj = a[cand] + t[:, None] * d[cand]
        dist = np.hypot(*(p - proj).T)
        k = int(np.argmin(dist))
        out.append((int(cand[k]), float(t[k]), float(dist[k])))
    return out


def exact_distances(nodes, edges, hh_xy, fac_xy, kinds):
    """The exact edge-snapped reference: points join their nearest segment through a new node."""
    g = nx.Graph()
    for i, (x, y) in enumerate(nodes):
        g.add_node(i)
    pts = np.array([(h[1], h[2]) for h in hh_xy] + [(f[2], f[3]) for f in fac_xy])
    snaps = snap_to_segments(nodes, edges, pts)
    splits = {}
    n = len(nodes)
    point_node = []
    for k, (seg, t, off) in enumerate(snaps):
        on = n + 2 * k
        splits.setdefault(seg, []).append((t, on))
        g.add_edge(n + 2 * k + 1, on, weight=off)
        point_node.append(n + 2 * k + 1)
    for s, (u, v, length) in enumerate(edges):
        chain = [(0.0, u)] + sorted(splits.get(s, [])) + [(1.0, v)]
        for (t1, a), (t2, b) in zip(chain, chain[1:]):
            w = (t2 - t1) * length
            if g.has_edge(a, b):
                w = min(w, g[a][b]["weight"])
            g.add_edge(a, b, weight=w)
    out = {}
    nh = len(hh_xy)
    for kind, limit in kinds.items():
        sources = [point_node[nh + i] for i, f in enumerate(fac_xy) if f[1] == kind]
        dist = nx.multi_source_dijkstra_path_length(g, sources, cutoff=2 * limit, weight="weight")
        out[kind] = np.array([dist.get(point_node[i], math.inf) for i in range(nh)])
    return out, g, point_node


def run_gridplan(inst):
    t = time.perf_counter()
    subprocess.run([str(BIN), "coverage", str(inst / "plan.toml"), "--out", str(inst / "run")], check=True, capture_output=True)
    total = time.perf_counter() - t
    manifest = json.loads((inst / "run" / "coverage.json").read_text())
    import polars as pl
    df = pl.read_parquet(inst / "run" / "coverage.parquet")
    out = {}
    for kind in KINDS:
        sub = df.filter(pl.col("kind") == kind)
        d = dict(zip(sub["id"].to_list(), sub["distance_m"].fill_null(math.inf).to_list()))
        out[kind] = d
    return out, total, manifest["timings_s"]["distances"], manifest


def run_pandana(nodes, edges, hh_xy, fac_xy):
    import pandas as pd
    import pandana
    t0 = time.perf_counter()
    nx_ = pd.Series([p[0] for p in nodes])
    ny_ = pd.Series([p[1] for p in nodes])
    ef = pd.Series([e[0] for e in edges])
    et = pd.Series([e[1] for e in edges])
    ew = pd.DataFrame({"w": [e[2] for e in edges]})
    net = pandana.Network(nx_, ny_, ef, et, ew, twoway=True)
    net.precompute(max(KINDS.values()) * 2)
    t_build = time.perf_counter() - t0
    hx = pd.Series([h[1] for h in hh_xy])
    hy = pd.Series([h[2] for h in hh_xy])
    t1 = time.perf_counter()
    hnode = net.get_node_ids(hx, hy)
    # The household's own walk to its node is added (as the Harbin reference does); pandana has no offset
    # for the facility's side.
    hoff = np.hypot(hx.to_numpy() - nx_.to_numpy()[hnode.values], hy.to_numpy() - ny_.to_numpy()[hnode.values])
    out = {}
    for kind, limit in KINDS.items():
        fs = [f for f in fac_xy if f[1] == kind]
        net.set_pois(kind, limit * 2, 1, pd.Series([f[2] for f in fs]), pd.Series([f[3] for f in fs]))
        res = net.nearest_pois(limit * 2, kind, num_pois=1)
        d = res[1].reindex(hnode.values).to_numpy()
        out[kind] = np.where(d >= limit * 2, math.inf, d + hoff)
    t_query = time.perf_counter() - t1
    return out, t_build + t_query, t_query


def run_networkx(nodes, edges, hh_xy, fac_xy):
    from scipy.spatial import cKDTree
    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    for u, v, w in edges:
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    tree = cKDTree(np.array(nodes))
    hoff, hnode = tree.query(np.array([(h[1], h[2]) for h in hh_xy]))
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = {}
    for kind, limit in KINDS.items():
        fs = [f for f in fac_xy if f[1] == kind]
        foff, fnode = tree.query(np.array([(f[2], f[3]) for f in fs]))
        # One search per kind (an earlier version ran a plain multi-source search first and threw it away,
        # doubling networkx's query time): snap distances on both sides added, as the Harbin reference does.
        fbest = {}
        for n_, off in zip(fnode, foff):
            fbest[int(n_)] = min(fbest.get(int(n_), math.inf), off)
        dist = multi_source_with_offsets(g, fbest, limit * 2)
        out[kind] = np.array([dist.get(int(n), math.inf) + o for n, o in zip(hnode, hoff)])
    t_query = time.perf_counter() - t1
    return out, t_build + t_query, t_query


def multi_source_with_offsets(g, start, cutoff):
    """networkx multi-source Dijkstra where each source starts at its snap offset: a virtual source joined
    to every facility node by an edge of that offset."""
    g.add_node("src")
    for n, off in start.items():
        g.add_edge("src", n, weight=off)
    dist = nx.single_source_dijkstra_path_length(g, "src", cutoff=cutoff, weight="weight")
    g.remove_node("src")
    return dist


def misclassified(exact, got, hh_xy, report_close=False):
    """Households (weighted) on the wrong side of each kind's threshold, and the p95 distance error. With
    report_close, also prints how many of them the reference puts within 1 cm of the threshold."""
    wrong = close = 0
    errs = []
    for kind, limit in KINDS.items():
        for i, h in enumerate(hh_xy):
            e, x = exact[kind][i], got[kind][i]
            if (e <= limit) != (x <= limit):
                wrong += h[3]
                if abs(e - limit) < 0.01:
                    close += h[3]
            if math.isfinite(e) and math.isfinite(x):
                errs.append(abs(e - x))
    if report_close:
        print(f"misclassified {wrong} households, of which {close} within 1 cm of the threshold; max error {max(errs) if errs else 0:.4f} m", flush=True)
    return wrong, float(np.percentile(errs, 95)) if errs else 0.0


def siting(work, data, seed):
    """spopt MCLP (CBC) against gridplan's greedy + swaps: 3,000 households × 400 candidates, p = 8, 500 m."""
    rng = random.Random(seed)
    n = len(data["households"])
    demand = sorted(rng.sample(range(n), 3000))
    # Candidates: 400 other household positions (set back from the streets like real sites).
    rest = [i for i in range(n) if i not in set(demand)]
    chosen_points = sorted(rng.sample(rest, 400))
    cands = [(f"c{k}", data["households"][j][1], data["households"][j][2]) for k, j in enumerate(chosen_points)]
    cand_xy = [(f"c{k}", "new", data["households_xy"][j][1], data["households_xy"][j][2]) for k, j in enumerate(chosen_points)]
    sub = dict(data)
    sub["households"] = [data["households"][i] for i in demand]
    sub["households_xy"] = [data["households_xy"][i] for i in demand]
    sub["facilities"], sub["facilities_xy"] = [], []
    inst = work / "siting"
    nodes, edges = write_instance(inst, sub, new_sites=8, thresholds={"new": 500}, candidates=cands)
    hh_xy = sub["households_xy"]
    # Exact cost matrix: each candidate as a source on the split graph.
    _, g, point_node = exact_distances(nodes, edges, hh_xy, cand_xy, {})
    nh = len(hh_xy)
    cost = np.full((nh, len(cand_xy)), 1e9)
    for j in range(len(cand_xy)):
        dist = nx.single_source_dijkstra_path_length(g, point_node[nh + j], cutoff=500, weight="weight")
        for i in range(nh):
            d = dist.get(point_node[i])
            if d is not None:
                cost[i, j] = d
    weights = np.array([h[3] for h in hh_xy])
    import pulp
    from spopt.locate import MCLP
    t = time.perf_counter()
    m = MCLP.from_cost_matrix(cost, weights, 500, p_facilities=8)
    m = m.solve(pulp.PULP_CBC_CMD(msg=False))
    t_spopt = time.perf_counter() - t
    opened = [j for j in range(len(cand_xy)) if m.fac2cli[j]]
    optimum = int(weights[(cost[:, opened] <= 500).any(1)].sum())
    t = time.perf_counter()
    subprocess.run([str(BIN), "coverage", str(inst / "plan.toml"), "--out", str(inst / "run")], check=True, capture_output=True)
    t_cmd = time.perf_counter() - t
    manifest = json.loads((inst / "run" / "coverage.json").read_text())
    ids = {c[0]: j for j, c in enumerate(cand_xy)}
    with open(inst / "run" / "sites.csv", newline="", encoding="utf-8-sig") as f:
        picked = [ids[r.get("candidate_id", r.get("候选点编号"))] for r in csv.DictReader(f)]
    ours = int(weights[(cost[:, picked] <= 500).any(1)].sum())
    return {
        "households": int(weights.sum()), "optimum": optimum, "spopt_mclp_s": round(t_spopt, 3),
        "gridplan_on_exact_matrix": ours, "gridplan_reported": manifest["kinds"][0]["siting"]["households_gained"],
        "share_of_optimum": round(ours / optimum, 4) if optimum else 1.0,
        "gridplan_siting_stage_s": round(manifest["timings_s"]["siting"], 4), "gridplan_command_s": round(t_cmd, 3),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sides", type=int, nargs="*", default=[60, 150])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="outputs/peers-coverage")
    ap.add_argument("--skip", nargs="*", default=[], help="pandana networkx siting")
    ap.add_argument("--siting-side", type=int, default=150, help="street grid the siting instance is drawn from")
    a = ap.parse_args()
    work = Path(a.work)
    rows = []
    for side in a.sides:
        inst = work / f"grid{side * side}"
        data = generate(side, a.seed)
        nodes, edges = write_instance(inst, data)
        hh_xy, fac_xy = data["households_xy"], data["facilities_xy"]
        exact, _, _ = exact_distances(nodes, edges, hh_xy, fac_xy, KINDS)
        got, total, query, manifest = run_gridplan(inst)
        gp = {k: np.array([got[k][h[0]] for h in hh_xy]) for k in KINDS}
        wrong, p95 = misclassified(exact, gp, hh_xy, report_close=True)
        label = f"{side * side:,} nodes"
        rows.append((label, "gridplan", total, query, wrong, p95))
        print(rows[-1], manifest["network"], flush=True)
        if "pandana" not in a.skip:
            out, total, query = run_pandana(nodes, edges, hh_xy, fac_xy)
            rows.append((label, "pandana", total, query, *misclassified(exact, out, hh_xy)))
            print(rows[-1], flush=True)
        if "networkx" not in a.skip:
            out, total, query = run_networkx(nodes, edges, hh_xy, fac_xy)
            rows.append((label, "networkx", total, query, *misclassified(exact, out, hh_xy)))
            print(rows[-1], flush=True)
    print("\n| instance | tool | end to end (6 kinds, incl. graph build) | query only | households misclassified | p95 distance error |")
    print("|---|---|---:|---:|---:|---:|")
    for label, tool, total, query, wrong, p95 in rows:
        print(f"| {label} | {tool} | {total:.3f} s | {query:.3f} s | {wrong:,} | {p95:.2f} m |")
    if "siting" not in a.skip:
        data = generate(a.siting_side, a.seed)
        print("\nsiting:", siting(work, data, a.seed))


if __name__ == "__main__":
    sys.exit(main())
