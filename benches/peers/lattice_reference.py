#!/usr/bin/env python3
"""The reference distribution for gridplan's ReCom test (issue #13): GerryChain 1.0 `recom` with uniform spanning
trees on a 6 × 6 rook lattice (population 1 a node), 3 districts of exactly 12, pair chosen by cut edge,
another tree for the same pair when one has no balanced cut — gridplan's `cut-edges` / `same-pair`. Writes
the histogram of cut edges over every step to tests/fixtures/gerrychain_lattice_recom.json, which
`tests/it/ensemble.rs` compares with gridplan's chain. Regenerate (minutes):

    pip install gerrychain
    python3 benches/peers/lattice_reference.py --steps 40000
"""
import argparse, collections, json, random, time
from functools import partial

import networkx as nx
from gerrychain import Graph, MarkovChain, Partition
from gerrychain.accept import always_accept
from gerrychain.proposals import recom
from gerrychain.tree import bipartition_tree, uniform_spanning_tree
from gerrychain.updaters import Tally, cut_edges

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=40000)
ap.add_argument("--seed", type=int, default=2026)
args = ap.parse_args()
W, H, K = 6, 6, 3
nxg = nx.grid_2d_graph(W, H)
nxg = nx.relabel_nodes(nxg, {(x, y): y * W + x for x, y in nxg.nodes})
for v in nxg.nodes:
    nxg.nodes[v]["pop"] = 1
graph = Graph.from_networkx(nxg)
start = {v: (v % W) * K // W for v in graph.nodes}  # three vertical stripes of 12
part = Partition(graph, assignment=start, updaters={"population": Tally("pop", alias="population"), "cut_edges": cut_edges})
ust = partial(bipartition_tree, spanning_tree_fn=uniform_spanning_tree)
proposal = partial(recom, pop_col="pop", pop_target=12, epsilon=0.0, pair_selection="cut_edges", bipartition_tree_fn=ust)
chain = MarkovChain(proposal, [], always_accept, part, total_steps=args.steps, rng=random.Random(args.seed))
hist = collections.Counter()
t0 = time.perf_counter()
for state in chain:
    hist[len(state["cut_edges"])] += 1
secs = time.perf_counter() - t0
out = {"tool": "gerrychain 1.0.0 recom, uniform_spanning_tree, pair_selection=cut_edges", "lattice": [W, H], "k": K,
       "population": "1 per node, exactly 12 per district", "start": "vertical stripes", "steps": args.steps,
       "seed": args.seed, "seconds": round(secs, 1), "cut_edges_histogram": {str(k): v for k, v in sorted(hist.items())}}
with open("tests/fixtures/gerrychain_lattice_recom.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(out)
