#!/usr/bin/env python3
"""Side by side: gridplan's districts and ReCom ensembles against GerryChain and frcw on the same graphs (issue #13).

Every tool gets exactly the same problem: one normalised graph file per instance (node ids 0..n-1, whole
populations — prorated ones rounded by largest remainder exactly as `gridplan --round-population` does —,
the given edges, no NaN, and a starting plan column `init` made by `gridplan districts --seed 1`), the same
K, the same tolerance, the same number of steps, one chain, one thread:

  first plan  gridplan `districts` (seeds 1..S)           vs GerryChain `recursive_tree_part` (seeds 1..S)
  chains      gridplan `ensemble --pair-retry new-pair`   vs frcw (`--n-threads 1 --batch-size 1`)
              and GerryChain `recom` / `reversible_recom` with `uniform_spanning_tree` (the same proposals)

Both Rust tools write their plans as BEN (`--plans ben` / `--writer ben`); GerryChain keeps them in memory.
Times are whole-process wall times for the Rust tools (load, chain, writing) and the loop time for GerryChain
(its import and graph load are not counted, which favours it). One scorer (this file) reads every last plan:
cut edges, largest deviation, contiguity on the given edges, and every BEN file is decoded by the
`binary-ensemble` Python package. Run from the repository root after a release build, with frcw built beside
the project (its `.cargo/config` moved aside, `cargo build --release`):

    pip install gerrychain binary-ensemble
    python3 benches/peers/recom_compare.py --frcw /tmp/frcw/target/release/frcw --steps 10000 --gc-steps 300

Peers are kept out of the Rust build and out of the default test run.
"""
import argparse, csv, gzip, json, math, os, random, subprocess, sys, tempfile, time
from functools import partial
from pathlib import Path

BIN = Path("target/release/gridplan")
SHARED = Path("../shared/datasets/redistricting/graphs")
# (name, file, population column, K): AR as in GerryChain's tutorial; the others by their enacted plans.
GRAPHS = [
    ("AR block groups", Path("datasets/redistricting/AR_2020_blockgroups.gerrychain.json.gz"), "tot_pop_20", 35),
    ("Providence blocks", SHARED / "Providence_blocks.rook.json.gz", "TOTPOP", 15),
    ("DE precincts", SHARED / "DE_precincts.rook.json.gz", "TOTPOP", 21),
    ("RI precincts", Path("datasets/redistricting/RI_precincts.rook.json.gz"), "TOTPOP", 2),
    ("IA counties", SHARED / "IA_counties.rook.json.gz", "TOTPOP", 4),
    ("NH wards", SHARED / "NH_wards.rook.json.gz", "TOTPOP", 2),
]
VARIANTS = [("cut-edges", "cut-edges-ust", "cut_edges"), ("district-pairs", "district-pairs-ust", "district_pairs"),
            ("reversible", "reversible", None)]


def load(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)  # Python's json reads NaN


def largest_remainder(values):
    total = round(sum(values))
    floors = [math.floor(v) for v in values]
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def normalise(g, pop_col, out):
    """Node ids 0..n-1, whole populations, index adjacency; the original ids kept as `orig`."""
    index = {str(n["id"]): i for i, n in enumerate(g["nodes"])}
    pops = [float(n[pop_col]) for n in g["nodes"]]
    if any(p != int(p) for p in pops):
        pops = largest_remainder(pops)
    nodes = [{"id": i, "pop": int(p), "orig": str(n["id"])} for i, (n, p) in enumerate(zip(g["nodes"], pops))]
    adj = []
    for a in g["adjacency"]:
        seen = sorted({index[str(e["id"])] for e in a})
        adj.append([{"id": j} for j in seen])
    doc = {"directed": False, "multigraph": False, "graph": [], "nodes": nodes, "adjacency": adj}
    out.write_text(json.dumps(doc))
    return doc


def score(doc, assignment, k, eps):
    """Cut edges, largest deviation, contiguity on the given edges: one scorer for every tool."""
    n = len(doc["nodes"])
    pops = [nd["pop"] for nd in doc["nodes"]]
    ideal = sum(pops) / k
    dist_pop = {}
    for v in range(n):
        dist_pop[assignment[v]] = dist_pop.get(assignment[v], 0) + pops[v]
    cut = sum(1 for v in range(n) for e in doc["adjacency"][v] if e["id"] > v and assignment[e["id"]] != assignment[v])
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in range(n):
        for e in doc["adjacency"][v]:
            if assignment[e["id"]] == assignment[v]:
                parent[find(v)] = find(e["id"])
    roots = {}
    contiguous = all(roots.setdefault(assignment[v], find(v)) == find(v) for v in range(n))
    dev = max(abs(p - ideal) / ideal for p in dist_pop.values())
    return {"districts": len(dist_pop), "cut_edges": cut, "max_deviation": round(dev, 5),
            "contiguous": contiguous and len(dist_pop) == k, "within_eps": dev <= eps + 1e-12}


class Failed(Exception):
    pass


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise Failed(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
    return wall


def ben_plans(path):
    import binary_ensemble
    return list(binary_ensemble.BenDecoder(str(path)))


def gerrychain_first(doc_path, k, eps, seed):
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part
    graph = Graph.from_json(str(doc_path))
    total = sum(graph.node_data(v)["pop"] for v in graph.nodes)
    t0 = time.perf_counter()
    plan = recursive_tree_part(graph, range(k), total / k, "pop", eps, rng=random.Random(seed))
    return time.perf_counter() - t0, [plan[v] for v in sorted(graph.nodes)]


def gerrychain_chain(doc_path, k, eps, steps, seed, variant, m):
    from gerrychain import Graph, MarkovChain, Partition
    from gerrychain.accept import always_accept
    from gerrychain.proposals import recom, reversible_recom
    from gerrychain.tree import bipartition_tree, uniform_spanning_tree
    from gerrychain.updaters import Tally, cut_edges
    graph = Graph.from_json(str(doc_path))
    part = Partition(graph, assignment="init", updaters={"population": Tally("pop", alias="population"),
                                                           "cut_edges": cut_edges})
    ideal = sum(part["population"].values()) / k
    if variant is None:
        proposal = partial(reversible_recom, pop_col="pop", pop_target=ideal, epsilon=eps, max_balanced_edge_cuts=m)
    else:
        ust = partial(bipartition_tree, spanning_tree_fn=uniform_spanning_tree)
        proposal = partial(recom, pop_col="pop", pop_target=ideal, epsilon=eps, pair_selection=variant,
                           bipartition_tree_fn=ust)
    chain = MarkovChain(proposal, [], always_accept, part, total_steps=steps + 1, rng=random.Random(seed))
    t0 = time.perf_counter()
    last = None
    cuts = []
    for state in chain:
        last = state
        cuts.append(len(state["cut_edges"]))
    secs = time.perf_counter() - t0
    return secs, [last.assignment[v] for v in sorted(graph.nodes)], cuts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frcw", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--gc-steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--eps", type=float, default=0.02)
    ap.add_argument("--balance-ub", type=int, default=30)
    ap.add_argument("--only", nargs="*", help="graph names to run (default all)")
    ap.add_argument("--out", type=Path, default=Path("benches/peers/recom_compare.json"))
    args = ap.parse_args()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="recom_compare_"))
    for name, path, pop_col, k in GRAPHS:
        if args.only and name not in args.only:
            continue
        g = load(path)
        doc_path = work / f"{name.replace(' ', '_')}.json"
        doc = normalise(g, pop_col, doc_path)
        row = {"graph": name, "nodes": len(doc["nodes"]), "k": k, "eps": args.eps, "first_plan": {}, "chains": {}}
        # First plans.
        gp_times, gp_scores, gc_times, gc_scores = [], [], [], []
        for s in range(1, args.seeds + 1):
            out = work / f"first_{name.replace(' ', '_')}_{s}"
            try:
                wall = run([BIN, "districts", doc_path, "--pop-col", "pop", "--districts", str(k), "--tolerance",
                            str(args.eps), "--seed", str(s), "--out", out])
            except Failed as e:  # a proof that no plan exists (islands): recorded, not hidden
                gp_scores.append({"error": str(e)[:300]})
                gp_times.append(None)
                break
            run_json = json.loads((out / "run.json").read_text())
            gp_times.append(run_json["timings_s"]["districts"])
            with open(out / "assignment.csv") as f:
                plan = {int(r["id"]): int(r["district"]) for r in csv.DictReader(f)}
            gp_scores.append(score(doc, [plan[v] for v in range(len(doc["nodes"]))], k, args.eps))
            if s == 1:
                for v, nd in enumerate(doc["nodes"]):
                    nd["init"] = plan[v]
                doc_path.write_text(json.dumps(doc))
            try:
                secs, gc_plan = gerrychain_first(doc_path, k, args.eps, s)
                gc_times.append(secs)
                gc_scores.append(score(doc, gc_plan, k, args.eps))
            except Exception as e:  # GerryChain gives up on some graphs: say so, do not hide it
                gc_times.append(None)
                gc_scores.append({"error": f"{type(e).__name__}: {e}"[:200]})
        row["first_plan"] = {"gridplan_s": gp_times, "gridplan": gp_scores, "gerrychain_s": gc_times,
                             "gerrychain": gc_scores}
        if gp_times[0] is None:
            for s in range(1, args.seeds + 1):
                try:
                    secs, gc_plan = gerrychain_first(doc_path, k, args.eps, s)
                    gc_times.append(secs)
                    gc_scores.append(score(doc, gc_plan, k, args.eps))
                except Exception as e:
                    gc_scores.append({"error": f"{type(e).__name__}: {e}"[:200]})
            rows.append(row)
            print(name, json.dumps(row["first_plan"]), flush=True)
            continue
        # Chains from the same starting plan.
        for ours, theirs, gc_variant in VARIANTS:
            entry = {}
            tag = name.replace(" ", "_")
            out = work / f"ens_{tag}_{ours}"
            wall = run([BIN, "ensemble", doc_path, "--pop-col", "pop", "--initial", "init", "--tolerance",
                        str(args.eps), "--steps", str(args.steps), "--chains", "1", "--threads", "1", "--seed", "1",
                        "--variant", ours, "--pair-retry", "new-pair", "--balance-ub", str(args.balance_ub),
                        "--plans", "ben", "--out", out])
            chain = json.loads((out / "run.json").read_text())["per_chain"][0]
            plans = ben_plans(out / "plans.ben")
            entry["gridplan"] = {"wall_s": round(wall, 3), "steps_per_s_wall": round(args.steps / wall),
                                 "steps_per_s_chain": round(chain["steps_per_s"]), "accepted": chain["accepted"],
                                 "samples": len(plans), "last": score(doc, plans[-1], k, args.eps)}
            fout = work / f"frcw_{tag}_{ours}.ben"
            cmd = [args.frcw, "--graph-json", doc_path, "--n-steps", str(args.steps), "--tol", str(args.eps),
                   "--pop-col", "pop", "--assignment-col", "init", "--rng-seed", "1", "--n-threads", "1",
                   "--batch-size", "1", "--variant", theirs, "--writer", "ben", "-o", fout]
            if ours == "reversible":
                cmd += ["--balance-ub", str(args.balance_ub)]
            wall = run(cmd)
            fplans = ben_plans(fout)
            entry["frcw"] = {"wall_s": round(wall, 3), "steps_per_s_wall": round(args.steps / wall),
                             "samples": len(fplans), "last": score(doc, fplans[-1], k, args.eps)}
            try:
                secs, gplan, cuts = gerrychain_chain(doc_path, k, args.eps, args.gc_steps, 1, gc_variant,
                                                     args.balance_ub)
                entry["gerrychain"] = {"loop_s": round(secs, 3), "steps_per_s": round(args.gc_steps / secs, 1),
                                       "last": score(doc, gplan, k, args.eps)}
            except Exception as e:
                entry["gerrychain"] = {"error": f"{type(e).__name__}: {e}"[:200]}
            row["chains"][ours] = entry
            print(name, ours, json.dumps(entry), flush=True)
        rows.append(row)
    # Threads across chains (gridplan only): 2 chains on 1 and on 2 threads.
    if not args.only or "AR block groups" in args.only:
        doc_path = work / "AR_block_groups.json"
        scaling = {}
        for threads in (1, 2):
            out = work / f"threads_{threads}"
            wall = run([BIN, "ensemble", doc_path, "--pop-col", "pop", "--initial", "init", "--tolerance",
                        str(args.eps), "--steps", str(args.steps), "--chains", "2", "--threads", str(threads),
                        "--variant", "cut-edges", "--pair-retry", "new-pair", "--out", out])
            scaling[threads] = {"wall_s": round(wall, 3), "steps_per_s": round(2 * args.steps / wall)}
        rows.append({"threads_across_chains_AR": scaling})
        print("threads", scaling)
    args.out.write_text(json.dumps({"machine": os.uname().nodename, "load": os.getloadavg(), "date":
                                    time.strftime("%Y-%m-%d %H:%M"), "steps": args.steps,
                                    "gc_steps": args.gc_steps, "rows": rows}, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
