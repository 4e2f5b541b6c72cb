#!/usr/bin/env bash
# A comparison split into SHARDS parts run by GNU parallel, then merged into
# exactly the files one `relaysim compare ... --out OUT/merged` would write.
#
#   compare-parallel.sh SHARDS OUT COMPARE-ARGUMENTS...
#   e.g. compare-parallel.sh 8 results scenarios/history/0*.ron --replications 200
#
# Each shard is an ordinary `relaysim compare ... --shard K/SHARDS` run with
# its own --out directory; the parts may run anywhere (`parallel --sshlogin`
# spreads them over machines that share OUT). RELAYSIM names the binary.
set -euo pipefail
relaysim=${RELAYSIM:-relaysim}
shards=${1:?usage: compare-parallel.sh SHARDS OUT COMPARE-ARGUMENTS...}
out=${2:?usage: compare-parallel.sh SHARDS OUT COMPARE-ARGUMENTS...}
shift 2
mkdir -p "$out"
# -q passes every argument as it is (no shell between); {} is the shard number.
# --jobs 1: parallel already runs one shard per CPU.
seq 1 "$shards" | parallel --halt now,fail=1 -q \
    "$relaysim" compare "$@" --jobs 1 --shard "{}/$shards" --out "$out/shard-{}" >/dev/null
"$relaysim" compare merge "$out"/shard-* --out "$out/merged"
