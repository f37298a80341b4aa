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
        # Every tool snaps every point, up to gridplan's largest snap limit, 5 km (the peers and the reference have no limit).
        f"[plan]\nname = \"{inst.name}\"\n{layers}[coverage]\nsnap_limit_m = 5000\nnew_sites = {new_sites}\nlevels = []\n[coverage.thresholds]\n{th}"
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


def run_gridplan(inst, kinds):
    """The whole `gridplan coverage` command; its stages from coverage.json: load (reading and projecting the
    layers), network_and_snapping (compact graph, segment R-tree, every household and facility snapped to its
    nearest edge) and searches (one bounded multi-source search per kind)."""
    t = time.perf_counter()
    subprocess.run([str(BIN), "coverage", str(inst / "plan.toml"), "--out", str(inst / "run")], check=True, capture_output=True)
    command = time.perf_counter() - t
    manifest = json.loads((inst / "run" / "coverage.json").read_text())
    import polars as pl
    df = pl.read_parquet(inst / "run" / "coverage.parquet")
    out, farther = {}, {}
    for kind in kinds:
        sub = df.filter(pl.col("kind") == kind)
        d = dict(zip(sub["id"].to_list(), sub["distance_m"].fill_null(math.inf).to_list()))
        out[kind] = d
        # Households whose nearest edge lies in a piece of the network without a facility of the kind are walked
        # from a farther edge (method network_farther_edge, reported as such); the reference has no such step.
        farther[kind] = set(sub.filter(pl.col("method") == "network_farther_edge")["id"].to_list())
    ts = manifest["timings_s"]
    times = {"build": ts["network_and_snapping"], "query": ts["searches"], "load": ts["load"], "command": command}
    return out, farther, times, manifest


def run_pandana(nodes, edges, hh_xy, fac_xy, kinds):
    """build: Network + precompute + households to their nearest node; query: per kind set_pois (which maps the
    facilities to their nodes inside pandana) and nearest_pois."""
    import pandas as pd
    import pandana
    t0 = time.perf_counter()
    nx_ = pd.Series([p[0] for p in nodes])
    ny_ = pd.Series([p[1] for p in nodes])
    ef = pd.Series([e[0] for e in edges])
    et = pd.Series([e[1] for e in edges])
    ew = pd.DataFrame({"w": [e[2] for e in edges]})
    net = pandana.Network(nx_, ny_, ef, et, ew, twoway=True)
    net.precompute(max(kinds.values()) * 2)
    hx = pd.Series([h[1] for h in hh_xy])
    hy = pd.Series([h[2] for h in hh_xy])
    hnode = net.get_node_ids(hx, hy)
    # The household's own walk to its node is added (as the Harbin reference does); pandana has no offset
    # for the facility's side.
    hoff = np.hypot(hx.to_numpy() - nx_.to_numpy()[hnode.values], hy.to_numpy() - ny_.to_numpy()[hnode.values])
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = {}
    for kind, limit in kinds.items():
        fs = [f for f in fac_xy if f[1] == kind]
        net.set_pois(kind, limit * 2, 1, pd.Series([f[2] for f in fs]), pd.Series([f[3] for f in fs]))
        res = net.nearest_pois(limit * 2, kind, num_pois=1)
        d = res[1].reindex(hnode.values).to_numpy()
        out[kind] = np.where(d >= limit * 2, math.inf, d + hoff)
    t_query = time.perf_counter() - t1
    return out, {"build": t_build, "query": t_query}


def run_networkx(nodes, edges, hh_xy, fac_xy, kinds):
    """build: the graph, a KD-tree of its nodes, households and facilities to their nearest node; query: one
    multi-source search per kind."""
    from scipy.spatial import cKDTree
    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    for u, v, w in edges:
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    tree = cKDTree(np.array(nodes))
    hoff, hnode = tree.query(np.array([(h[1], h[2]) for h in hh_xy]))
    snapped = {}
    for kind in kinds:
        fs = [f for f in fac_xy if f[1] == kind]
        snapped[kind] = tree.query(np.array([(f[2], f[3]) for f in fs])) if fs else ([], [])
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = {}
    for kind, limit in kinds.items():
        foff, fnode = snapped[kind]
        # One search per kind (an earlier version ran a plain multi-source search first and threw it away,
        # doubling networkx's query time): snap distances on both sides added, as the Harbin reference does.
        fbest = {}
        for n_, off in zip(fnode, foff):
            fbest[int(n_)] = min(fbest.get(int(n_), math.inf), off)
        dist = multi_source_with_offsets(g, fbest, limit * 2)
        out[kind] = np.array([dist.get(int(n), math.inf) + o for n, o in zip(hnode, hoff)])
    t_query = time.perf_counter() - t1
    return out, {"build": t_build, "query": t_query}


def multi_source_with_offsets(g, start, cutoff):
    """networkx multi-source Dijkstra where each source starts at its snap offset: a virtual source joined
    to every facility node by an edge of that offset."""
    g.add_node("src")
    for n, off in start.items():
        g.add_edge("src", n, weight=off)
    dist = nx.single_source_dijkstra_path_length(g, "src", cutoff=cutoff, weight="weight")
    g.remove_node("src")
    return dist


def misclassified(exact, got, hh_xy, kinds, report_close=False):
    """Households (weighted) on the wrong side of each kind's threshold, and the p95 distance error. With
    report_close, also prints how many of them the reference puts within 1 cm of the threshold."""
    wrong = close = 0
    errs = []
    for kind, limit in kinds.items():
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
    cand_xy = [(f"c{k}", "service_station", data["households_xy"][j][1], data["households_xy"][j][2]) for k, j in enumerate(chosen_points)]
    sub = dict(data)
    sub["households"] = [data["households"][i] for i in demand]
    sub["households_xy"] = [data["households_xy"][i] for i in demand]
    sub["facilities"], sub["facilities_xy"] = [], []
    inst = work / "siting"
    nodes, edges = write_instance(inst, sub, new_sites=8, thresholds={"service_station": 500}, candidates=cands)
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


def simplified(nodes, edges):
    """The graph node-snapping tools are usually given (osmnx's default `simplify=True`): intersections and
    dead ends only, each chain of degree-2 vertices one edge of the summed length. Distances between kept nodes
    are unchanged; points snap to the kept nodes only."""
    adj = {}
    for i, (u, v, w) in enumerate(edges):
        adj.setdefault(u, []).append((v, w, i))
        adj.setdefault(v, []).append((u, w, i))
    keep = {n for n, a in adj.items() if len(a) != 2 or any(m == n for m, _, _ in a)}
    if not keep and adj:
        keep = {next(iter(adj))}
    out, seen = [], set()
    for n in sorted(keep):
        for m, w, i in adj[n]:
            if i in seen:
                continue
            seen.add(i)
            prev, cur, total = n, m, w
            while cur not in keep:
                (a, wa, ia), (b, wb, ib) = adj[cur]
                nxt, wn, inext = (b, wb, ib) if ia in seen else (a, wa, ia)
                if inext in seen:  # a loop of degree-2 vertices
                    break
                seen.add(inext)
                prev, cur, total = cur, nxt, total + wn
            out.append((n, cur, total))
    order = sorted(keep | {v for _, v, _ in out})
    index = {n: k for k, n in enumerate(order)}
    return [nodes[n] for n in order], [(index[u], index[v], w) for u, v, w in out]


def harbin_instance(work):
    """The real Harbin network, buildings and facilities, as identical data for every tool: gridplan imports
    the bundled extract and runs its coverage once to estimate households per building; each building with
    households becomes a household point at its polygon's centroid, each facility of a kind with a threshold in
    the imported plan a facility point of that kind, and the walkable ways are written as they are."""
    from shapely.geometry import shape
    import polars as pl
    import tomllib
    src = work / "harbin-src"
    if not (src / "plan.toml").exists():
        subprocess.run([str(BIN), "import-osm", "datasets/harbin/harbin.osm.pbf", "--out", str(src)], check=True, capture_output=True)
    if not (src / "estimate" / "coverage.parquet").exists():
        subprocess.run([str(BIN), "coverage", str(src / "plan.toml"), "--out", str(src / "estimate"), "--kinds", "park"], check=True, capture_output=True)
    households = dict(pl.read_parquet(src / "estimate" / "coverage.parquet").select("id", "households").unique().iter_rows())
    thresholds = tomllib.loads((src / "plan.toml").read_text())["coverage"]["thresholds"]
    hh = []
    for f in json.loads((src / "buildings.geojson").read_text())["features"]:
        n = households.get(f["properties"]["id"], 0)
        if n > 0:
            c = shape(f["geometry"]).centroid
            hh.append((f["properties"]["id"], round(c.x, 9), round(c.y, 9), int(n)))
    fac = []
    for f in json.loads((src / "facilities.geojson").read_text())["features"]:
        kind = f["properties"]["kind"]
        if kind in thresholds:
            lon, lat = f["geometry"]["coordinates"]
            fac.append((f["properties"]["id"], kind, lon, lat))
    lines = [f["geometry"]["coordinates"] for f in json.loads((src / "walk_network.geojson").read_text())["features"]]
    kinds = {k: float(thresholds[k]) for k in sorted({f[1] for f in fac})}
    c_lon = round((min(h[1] for h in hh) + max(h[1] for h in hh)) / 2, 6)
    c_lat = round((min(h[2] for h in hh) + max(h[2] for h in hh)) / 2, 6)
    fwd = tm(c_lon, c_lat)
    xy = lambda lon, lat: fwd.transform(lon, lat)
    data = {
        "lines": lines,
        "lines_xy": [[xy(*p) for p in line] for line in lines],
        "households": hh,
        "households_xy": [(h[0], *xy(h[1], h[2]), h[3]) for h in hh],
        "facilities": fac,
        "facilities_xy": [(f[0], f[1], *xy(f[2], f[3])) for f in fac],
    }
    return data, kinds


def compare(label, inst, data, kinds, skip, rows, peer_graph):
    nodes, edges = write_instance(inst, data, thresholds=kinds)
    hh_xy, fac_xy = data["households_xy"], data["facilities_xy"]
    exact, _, _ = exact_distances(nodes, edges, hh_xy, fac_xy, kinds)
    got, farther, times, manifest = run_gridplan(inst, kinds)
    gp = {k: np.array([got[k][h[0]] for h in hh_xy]) for k in kinds}
    wrong_all, _ = misclassified(exact, gp, hh_xy, kinds)
    # Scored where gridplan walks from the nearest edge, as the reference does; the farther-edge pairs are
    # counted apart (they are a different answer by design, not an error of the same one).
    nearest = {k: np.array([exact[k][i] if h[0] in farther[k] else gp[k][i] for i, h in enumerate(hh_xy)]) for k in kinds}
    wrong, p95 = misclassified(exact, nearest, hh_xy, kinds, report_close=True)
    n_farther = sum(h[3] for k in kinds for h in hh_xy if h[0] in farther[k])
    print(f"{label}: gridplan walked {n_farther:,} household × kind pairs from a farther edge; {wrong_all - wrong:,} of them are on the other side of the threshold than the reference", flush=True)
    pairs = sum(h[3] for h in hh_xy) * len(kinds)
    rows.append((label, "gridplan", times, wrong, pairs, p95))
    print(rows[-1], manifest["network"], flush=True)
    s_nodes, s_edges = simplified(nodes, edges) if peer_graph == "simplified" else (nodes, edges)
    print(f"{label}: {len(nodes):,} vertices / {len(edges):,} segments; peers' graph {len(s_nodes):,} nodes / {len(s_edges):,} edges", flush=True)
    for tool, fn in (("pandana", run_pandana), ("networkx", run_networkx)):
        if tool in skip:
            continue
        out, t = fn(s_nodes, s_edges, hh_xy, fac_xy, kinds)
        wrong, p95 = misclassified(exact, out, hh_xy, kinds)
        rows.append((label, tool, t, wrong, pairs, p95))
        print(rows[-1], flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sides", type=int, nargs="*", default=[60, 150])
    ap.add_argument("--harbin", action="store_true", help="also the real Harbin network, buildings and facilities")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--peer-graph", choices=["simplified", "vertices"], default="simplified",
                    help="the peers' graph: intersections only (osmnx's default) or every shape vertex (the reference's)")
    ap.add_argument("--work", default="outputs/peers-coverage")
    ap.add_argument("--skip", nargs="*", default=[], help="pandana networkx siting")
    ap.add_argument("--siting-side", type=int, default=150, help="street grid the siting instance is drawn from")
    a = ap.parse_args()
    work = Path(a.work)
    rows = []
    for side in a.sides:
        compare(f"{side * side:,} intersections", work / f"grid{side * side}", generate(side, a.seed), KINDS, a.skip, rows, a.peer_graph)
    if a.harbin:
        data, kinds = harbin_instance(work)
        compare(f"Harbin ({len(kinds)} kinds)", work / "harbin", data, kinds, a.skip, rows, a.peer_graph)
    print("\nbuild = graph + snapping of every household and facility; query = the searches of every kind;"
          " gridplan in-process = its load + build + query stages (reading and projecting the files included),"
          " the peers' = build + query (their CSV reading and imports not counted)")
    print("| instance | tool | build | query | in-process | whole command | misclassified (of pairs) | p95 distance error |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, tool, t, wrong, pairs, p95 in rows:
        inproc = t["build"] + t["query"] + t.get("load", 0.0)
        command = f"{t['command']:.3f} s" if "command" in t else "—"
        print(f"| {label} | {tool} | {t['build']:.3f} s | {t['query']:.3f} s | {inproc:.3f} s | {command} | {wrong:,} ({wrong / pairs:.2%}) | {p95:.3f} m |")
    by = {(r[0], r[1]): r[2] for r in rows}
    for label in dict.fromkeys(r[0] for r in rows):
        g = by[(label, "gridplan")]
        for tool in ("pandana", "networkx"):
            if (label, tool) in by:
                p = by[(label, tool)]
                print(f"{label}: gridplan vs {tool}: query {p['query'] / g['query']:.1f}×, in-process "
                      f"{(p['build'] + p['query']) / (g['build'] + g['query'] + g['load']):.1f}×, "
                      f"{tool} in-process / gridplan whole command {(p['build'] + p['query']) / g['command']:.1f}×")
    if "siting" not in a.skip:
        data = generate(a.siting_side, a.seed)
        print("\nsiting:", siting(work, data, a.seed))


if __name__ == "__main__":
    sys.exit(main())
