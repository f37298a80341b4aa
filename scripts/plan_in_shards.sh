#!/usr/bin/env bash
# Plans PLAN in N shards, P at a time on this machine, and merges them — the same commands a Slurm array or
# a Kubernetes Indexed Job runs (deploy/slurm_shards.sh, deploy/k8s_shards.yaml), one shard per task.
#
#   scripts/plan_in_shards.sh PLAN N OUT [P] [-- extra plan arguments]
#
# Writes OUT/shard-1 … OUT/shard-N (complete run folders) and OUT/merged. GRIDPLAN names the binary
# (default: gridplan on the PATH, else target/release/gridplan).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PLAN N OUT [P] [-- extra plan arguments]" >&2
  exit 2
fi
plan=$1 n=$2 out=$3
shift 3
p=2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then p=$1; shift; fi
[ "${1:-}" = "--" ] && shift
bin=${GRIDPLAN:-$(command -v gridplan || echo target/release/gridplan)}
# Each shard is its own run: a failed one leaves the others whole and is rerun alone.
seq 1 "$n" | xargs -P "$p" -I{} "$bin" plan "$plan" --shard "{}/$n" --out "$out/shard-{}" "$@"
shards=()
for i in $(seq 1 "$n"); do shards+=("$out/shard-$i"); done
"$bin" merge "${shards[@]}" --out "$out/merged"
