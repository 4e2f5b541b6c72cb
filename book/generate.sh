#!/usr/bin/env bash
# Regenerates every output the book includes from real runs, into
# book/src/generated/. Run it after changing the simulator or a scenario;
# the chapters `{{#include}}` these files, so no number is typed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/relaysim
out=book/src/generated
mkdir -p "$out/charts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Comparing the history eras: 20 replications, seeds 1..20.
"$bin" compare scenarios/history/*.ron --replications 20 --jobs 2 --out "$tmp/history" \
    | sed "s#$tmp/history#results#g" > "$out/compare-history.txt"
for m in spam_via_open_relay legit_delivery_rate spam_inbox_rate; do
    cp "$tmp/history/charts/$m.png" "$out/charts/history-$m.png"
done
head -3 "$tmp/history/summary.csv" > "$out/compare-history-summary-head.csv"

# A parameter study: how long an MX outage delays mail in the retry queue.
"$bin" compare scenarios/examples/mx-outage.ron --replications 5 \
    --sweep 'nodes[mx-co].kind.down[0].to=10m,20m,40m,80m' --out "$tmp/sweep" \
    | sed "s#$tmp/sweep#results#g" > "$out/compare-outage-sweep.txt"
cp "$tmp/sweep/charts/sweep_legit_delay_median_s.png" "$out/charts/outage-sweep-delay.png"
echo "wrote $(ls "$out" | wc -l) entries in $out"
