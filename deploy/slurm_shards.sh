#!/usr/bin/env bash
# A province as a Slurm job array: one shard per array task, then the merge once all succeed.
#
#   sbatch --array=1-64 deploy/slurm_shards.sh            # the shards (64 here; N below must match)
#   sbatch --dependency=afterok:<jobid> --wrap \
#     'gridplan merge runs/shard-{1..64} --out runs/merged'  # the merge
#
# Every task reads the same inputs (a shared file system) and deals the streets the same way, so no task
# needs another's output. A failed task is resubmitted alone: `sbatch --array=17 deploy/slurm_shards.sh`.
# Next year's rerun from last year's union moves as few households as possible: PREVIOUS=last/merged.
#SBATCH --job-name=gridplan-shard
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=00:30:00
#SBATCH --output=logs/shard-%a.log
set -euo pipefail
N=${SHARDS:-64}
PLAN=${PLAN:-province/plan.toml}
RUNS=${RUNS:-runs}
export RAYON_NUM_THREADS=${SLURM_CPUS_PER_TASK:-2}
exec gridplan plan "$PLAN" --shard "${SLURM_ARRAY_TASK_ID}/${N}" --out "$RUNS/shard-${SLURM_ARRAY_TASK_ID}" \
  ${PREVIOUS:+--previous "$PREVIOUS"}
