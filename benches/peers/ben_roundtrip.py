#!/usr/bin/env python3
"""BEN round trip (issue #13): an ensemble gridplan writes as `plans.ben` is decoded by mggg's own
`binary-ensemble` Python package and compared plan by plan with the canonical JSON lines gridplan writes for
the same chains (`--plans jsonl`). Run from the repository root after a release build:

    pip install binary-ensemble
    python3 benches/peers/ben_roundtrip.py
"""
import json, subprocess, sys, tempfile
from pathlib import Path

import binary_ensemble

BIN = "target/release/gridplan"
GRAPH = "datasets/redistricting/AR_2020_blockgroups.gerrychain.json.gz"
work = Path(tempfile.mkdtemp(prefix="ben_roundtrip_"))
for variant in ("cut-edges", "reversible"):
    runs = {}
    for fmt in ("ben", "jsonl"):
        out = work / f"{variant}_{fmt}"
        subprocess.run([BIN, "ensemble", GRAPH, "--pop-col", "tot_pop_20", "--districts", "35", "--steps", "2000",
                        "--chains", "2", "--variant", variant, "--plans", fmt, "--out", str(out)], check=True,
                       capture_output=True)
        runs[fmt] = out
    decoded = [list(a) for a in binary_ensemble.BenDecoder(str(runs["ben"] / "plans.ben"))]
    with open(runs["jsonl"] / "plans.jsonl") as f:
        lines = [json.loads(l) for l in f]
    assert [l["sample"] for l in lines] == list(range(1, len(lines) + 1))
    same = decoded == [l["assignment"] for l in lines]
    print(f"{variant}: {len(decoded)} plans decoded by binary-ensemble {binary_ensemble.__name__}, "
          f"{len(set(map(tuple, decoded)))} distinct, equal to plans.jsonl: {same}")
    if not same:
        sys.exit(1)
