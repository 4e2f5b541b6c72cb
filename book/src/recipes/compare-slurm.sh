#!/usr/bin/env bash
# A comparison as a Slurm array job: task K of N runs shard K/N.
#
#   mkdir -p results && sbatch --array=1-16 compare-slurm.sh
#   # when every task has finished (or chain it: sbatch --dependency=afterok:JOBID ...):
#   relaysim compare merge results/shard-* --out results/merged
#
#SBATCH --job-name=relaysim-compare
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=results/slurm-%A_%a.out
set -euo pipefail
n=$SLURM_ARRAY_TASK_COUNT
k=$SLURM_ARRAY_TASK_ID
# Every task must be given the same scenarios, replications, seed and settings
# (the shard files record a hash of them, and `merge` refuses a mixture).
relaysim compare scenarios/history/0*.ron --replications 1000 --seed 1 \
    --jobs "$SLURM_CPUS_PER_TASK" --shard "$k/$n" --out "results/shard-$k"
