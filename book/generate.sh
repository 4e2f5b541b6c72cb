#!/usr/bin/env bash
# Regenerates every output the book shows, from real runs, into
# book/src/generated/. The chapters `{{#include}}` these files, so no number
# or output in the book is typed by hand. Run it after changing the
# simulator or a scenario, and commit the result.
#
#   book/generate.sh            build relaysim (release) and rewrite everything
#   book/generate.sh --quick    only the single runs (a minute), not the figures and comparisons
#   book/generate.sh --cheap    only getting started and the tutorial (seconds): what
#                               `cargo test` checks; CI checks --quick too
#   book/generate.sh --check    write nothing; list the files that differ and exit 1 if any
#   book/generate.sh --bench    also run `cargo bench` (minutes) and write the
#                               benchmark table of the developer chapter
#
# RELAYSIM=/path/to/relaysim uses that binary instead of building one (the
# test `cargo test --test book generated` runs `--check --cheap` this way,
# and .ci/run `--check --quick` with the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
quick=no
cheap=no
bench=no
for a in "$@"; do
    case $a in
        --check) mode=check ;;
        --quick) quick=yes ;;
        --cheap) quick=yes; cheap=yes ;;
        --bench) bench=yes ;;
        *) echo "usage: book/generate.sh [--check] [--quick|--cheap] [--bench]" >&2; exit 2 ;;
    esac
done

# The book needs no GUI: build without the `gui` feature (no Bevy), in a
# target folder of its own so that the GUI build in target/ is left alone.
tools=target/book-tools
if [[ -n ${RELAYSIM:-} ]]; then
    bin=$RELAYSIM
else
    cargo build --release -q --no-default-features --features cli --target-dir "$tools"
    bin=$PWD/$tools/release/relaysim
fi
relaysim() { "$bin" "$@"; }

out=book/src/generated
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `emit` runs at the end of pipelines, in subshells: it keeps its tally in files.
: > "$tmp/stale"
: > "$tmp/written"

# emit NAME: standard input becomes book/src/generated/NAME (or, with
# --check, is compared with it).
emit() {
    local new="$tmp/emit.$BASHPID"
    cat > "$new"
    if [[ $mode == check ]]; then
        cmp -s "$new" "$out/$1" || echo "$1" >> "$tmp/stale"
        rm -f "$new"
    else
        mkdir -p "$(dirname "$out/$1")"
        mv "$new" "$out/$1"
    fi
    echo "$1" >> "$tmp/written"
}

# emit_file SRC NAME: a file made by a command (a chart) becomes NAME.
emit_file() { emit "$2" < "$1"; }

# shown 'COMMAND': the command as a reader types it, then what it prints
# (standard output and errors), then its exit status when it is not 0.
shown() {
    echo "\$ $1"
    local rc=0
    eval "$1" > "$tmp/shown" 2>&1 || rc=$?
    cat "$tmp/shown"
    if [[ $rc != 0 ]]; then echo "[exit status $rc]"; fi
}

# head_of_show: the summary and headers of `show`, up to its first hop.
head_of_show() { sed '/^Hop 1 /,$d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }

# first_hop: the first hop's dialogue of `show` (up to the next blank line).
first_hop() { sed -n '/^Hop 1 /,/^$/p' | sed '/^$/d'; }

# path_diagram: one line per hop of `show`: who connected to whom, from
# which address to which port, and the last reply of the dialogue.
path_diagram() {
    sed -n 's/^Hop [0-9]* \[\(.*\) -> \(.*\)\] \([0-9.]*\) -> \([0-9.]*:[0-9]*\) .*=> \(.*\)$/\1 [\3]|\2 [\4]|\5/p' \
        | awk -F'|' '
            # Repeated identical attempts (a mail client retrying) are folded into one line.
            function flush() { if (n) printf "%-24s ──▶  %-26s %s%s\n", a, b, c, (n > 1 ? "   (×" n ")" : "") }
            { if ($1 == a && $2 == b && $3 == c) { n++; next } flush(); a = $1; b = $2; c = $3; n = 1 }
            END { flush() }'
}

# versus A.json B.json NAME_A NAME_B: a Markdown table of two runs side by
# side: the mail classes, every traffic source, refusals by reason summed
# over all servers, router drops and SMTP sessions.
versus() {
    jq -n -r --slurpfile a "$1" --slurpfile b "$2" --arg na "$3" --arg nb "$4" '
        ($a[0]) as $a | ($b[0]) as $b |
        def of(c): "\(c.delivered) of \(c.sent)";
        def refusals(r): [r.nodes[] | .refused | to_entries[]] | group_by(.key)
            | map({key: .[0].key, value: (map(.value) | add)}) | from_entries;
        (refusals($a)) as $ra | (refusals($b)) as $rb |
        "| | \($na) | \($nb) |", "|---|---:|---:|",
        "| legit delivered | \(of($a.mail.legit)) | \(of($b.mail.legit)) |",
        "| legit median delay (s) | \($a.mail.legit.delay_s.median) | \($b.mail.legit.delay_s.median) |",
        "| legit p95 delay (s) | \($a.mail.legit.delay_s.p95) | \($b.mail.legit.delay_s.p95) |",
        "| spam delivered | \(of($a.mail.spam)) | \(of($b.mail.spam)) |",
        "| spam via open relays | \($a.mail.spam.via_open_relay) | \($b.mail.spam.via_open_relay) |",
        "| backscatter delivered | \(of($a.mail.backscatter)) | \(of($b.mail.backscatter)) |",
        "| bounces to real senders delivered | \(of($a.mail.bounce)) | \(of($b.mail.bounce)) |",
        (($a.sources + $b.sources) | keys[] as $k |
            "| source `\($k)` delivered | \(if $a.sources[$k] then of($a.sources[$k]) else "–" end) | \(if $b.sources[$k] then of($b.sources[$k]) else "–" end) |"),
        (($ra + $rb) | keys[] as $k |
            "| refusals `\($k)` (all servers) | \($ra[$k] // 0) | \($rb[$k] // 0) |"),
        "| connections dropped by routers | \([$a.nodes[] | .dropped] | add) | \([$b.nodes[] | .dropped] | add) |",
        "| SMTP sessions (all servers) | \([$a.nodes[] | .sessions_in] | add) | \([$b.nodes[] | .sessions_in] | add) |"
    '
}

# field N of the first `show --list` row that matches a pattern.
first_id() { awk -v pat="$1" 'NR > 1 && $0 ~ pat { print $1; exit }'; }

# --- Getting started -------------------------------------------------------
era1=scenarios/history/01-open-relay.ron
shown "relaysim run $era1" | emit getting-started/era1-run.txt
relaysim run "$era1" --format json > "$tmp/era1.json"
{
    echo "\$ relaysim run $era1 --format json"
    jq '{scenario, seed, sim_time_s, events, dns_queries, mail: {spam: .mail.spam}}' "$tmp/era1.json"
} | emit getting-started/era1-json-excerpt.txt
relaysim show scenarios/examples/relay-chain.ron --message 0 > "$tmp/chain.txt"
{
    echo "\$ relaysim show scenarios/examples/relay-chain.ron --message 0"
    head_of_show < "$tmp/chain.txt"
    echo
    first_hop < "$tmp/chain.txt"
} | emit getting-started/relay-chain-show.txt
shown "relaysim check scenarios/history/*.ron scenarios/examples/*.ron" | emit getting-started/check-shipped.txt
{ diff scenarios/examples/relay-chain.ron book/examples/relay-chain-broken.ron || true; } \
    | emit getting-started/broken-diff.txt
shown "relaysim check book/examples/relay-chain-broken.ron" | emit getting-started/check-broken.txt
shown "relaysim check book/examples/typo.ron" | emit getting-started/check-typo.txt
shown "relaysim tour" | emit getting-started/tour.txt
shown "relaysim check era:3" | emit getting-started/check-era3.txt
shown "relaysim --help" | emit getting-started/help.txt

# --- Writing scenarios: the tutorial's steps ----------------------------------
t=book/examples/tutorial
shown "relaysim run $t/1-one-mail.ron" | emit tutorial/1-run.txt
relaysim show "$t/1-one-mail.ron" --message 0 | head_of_show | emit tutorial/1-show.txt
{ diff -u "$t/1-one-mail.ron" "$t/2-spam.ron" || true; } | tail -n +3 | emit tutorial/2-diff.txt
shown "relaysim run $t/2-spam.ron" | emit tutorial/2-run.txt
{ diff -u "$t/2-spam.ron" "$t/3-defense.ron" || true; } | tail -n +3 | emit tutorial/3-diff.txt
shown "relaysim run $t/3-defense.ron" | emit tutorial/3-run.txt
shown "relaysim show $t/3-defense.ron --list" | emit tutorial/3-list.txt
{ diff -u "$t/3-defense.ron" "$t/4-narrated.ron" || true; } | tail -n +3 | emit tutorial/4-diff.txt
shown "relaysim run $t/4-narrated.ron --narrate" | sed '/end of the narration/q' | emit tutorial/4-narrate.txt
shown "relaysim run $t/4-narrated.ron --narrate --lang ja" | sed '/end of the narration/q' | emit tutorial/4-narrate-ja.txt

# --- The teacher's guide: お馴染さん方式 beside greylisting, same traffic -------
r=scenarios/examples/regulars.ron
g=scenarios/examples/regulars-greylisting.ron
shown "relaysim run $r --narrate" | sed '/end of the narration/q' | emit lessons/regulars/narrate.txt
shown "relaysim run $r --narrate --lang ja" | sed '/end of the narration/q' | emit lessons/regulars/narrate-ja.txt
shown "relaysim run $r" | emit lessons/regulars/run.txt
shown "relaysim run $g" | emit lessons/regulars/run-greylisting.txt
relaysim run "$r" --format json > "$tmp/regulars.json"
relaysim run "$g" --format json > "$tmp/regulars-greylisting.json"
versus "$tmp/regulars-greylisting.json" "$tmp/regulars.json" greylisting "お馴染さん方式" \
    | emit lessons/regulars/versus.md
# The two files without their comments and the narration: one line differs (and the titles).
for f in "$g" "$r"; do sed -n '/^Scenario(/,$p' "$f" | sed '/^    narration: \[/,/^    \],$/d' > "$tmp/$(basename "$f")"; done
{ diff -u "$tmp/$(basename "$g")" "$tmp/$(basename "$r")" || true; } | tail -n +3 | emit lessons/regulars/diff.txt
relaysim show "$r" --message 0 > "$tmp/first-contact.txt"
path_diagram < "$tmp/first-contact.txt" | emit lessons/regulars/first-contact-path.txt

# --- The history: one run of every era with its own seed -------------------
if [[ $cheap == no ]]; then
overview="$tmp/overview.md"
echo "| era | legit sent | legit delivered | legit rejected | legit lost | legit median delay (s) | spam sent | spam delivered | spam via open relays | backscatter delivered | connections dropped by routers |" > "$overview"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" >> "$overview"
prev=
# Eras 1 to 7 share one base world and a day each; era 8 (fourteen years)
# has its own section below.
for f in scenarios/history/0[1-7]-*.ron; do
    era=$(basename "$f" .ron)
    shown "relaysim run $f" | emit "history/$era/run.txt"
    relaysim run "$f" --format json > "$tmp/$era.json"
    if grep -q '^ *narration:' "$f"; then
        # The era's lesson as `--narrate` prints it (the results tables after it are left out).
        shown "relaysim run $f --narrate" | sed '/end of the narration/q' | emit "history/$era/narrate.txt"
        shown "relaysim run $f --narrate --lang ja" | sed '/end of the narration/q' | emit "history/$era/narrate-ja.txt"
    fi
    if [[ -n $prev ]]; then
        # What the era changed, as `diff -u` against the era before, and
        # what that did to the numbers.
        # The lesson (`narration`, from its comment to the end of the list)
        # is left out: the chapters show it as `--narrate` prints it.
        sed '/^    \/\/ The lesson/,/^    \],$/d' "$prev" > "$tmp/prev.ron"
        sed '/^    \/\/ The lesson/,/^    \],$/d' "$f" > "$tmp/this.ron"
        { diff -u "$tmp/prev.ron" "$tmp/this.ron" || true; } | tail -n +3 | emit "history/$era/diff-from-previous.txt"
        versus "$tmp/$(basename "$prev" .ron).json" "$tmp/$era.json" \
            "$(basename "$prev" .ron)" "$era" | emit "history/$era/versus-previous.md"
    fi
    prev=$f
    jq -r --arg era "$era" '
        "| \($era) | \(.mail.legit.sent) | \(.mail.legit.delivered) | \(.mail.legit.rejected) | \(.mail.legit.lost) | \(.mail.legit.delay_s.median) | \(.mail.spam.sent) | \(.mail.spam.delivered) | \(.mail.spam.via_open_relay) | \(.mail.backscatter.delivered) | \([.nodes[] | .dropped // 0] | add) |"
    ' "$tmp/$era.json" >> "$overview"
    relaysim show "$f" --list > "$tmp/$era.list"
    # The first message of every traffic source: what a class can look at.
    awk 'NR > 1 && !seen[$3]++ { print }' "$tmp/$era.list" \
        | { head -1 "$tmp/$era.list"; cat; } | emit "history/$era/first-of-each-source.txt"
done
emit history/overview.md < "$overview"

# Era 8, the arms race: delivered spam by channel, year by year (from the
# run's monthly `series`), and its narration.
arms=scenarios/history/08-arms-race.ron
relaysim run "$arms" --format json --period month > "$tmp/arms.json"
jq -r '
    ["open_relay", "own_server", "direct", "stolen_auth"] as $ch
    | "| year | spam sent | spam delivered | " + ($ch | map("via \(.)") | join(" | ")) + " |",
      "|---|---:|---:|" + ($ch | map("---:") | join("|")) + "|",
      (.series | group_by(.start[0:4])[]
       | . as $p
       | "| \($p[0].start[0:4]) | \([$p[].mail.spam.sent] | add) | \([$p[].mail.spam.delivered] | add) | "
         + ($ch | map(. as $c | [$p[].spam_channels[$c].delivered // 0] | add | tostring) | join(" | ")) + " |")
' "$tmp/arms.json" | emit history/08-arms-race/channels-by-year.md
shown "relaysim run $arms --narrate" | sed '/end of the narration/q' | emit history/08-arms-race/narrate.txt
shown "relaysim run $arms --narrate --lang ja" | sed '/end of the narration/q' | emit history/08-arms-race/narrate-ja.txt

# Era 1: a spam relayed by a third party, a backscatter bounce, Ken at the hotel.
l="$tmp/01-open-relay.list"
n=$(first_id 'spam-via-relays .*delivered' < "$l")
relaysim show "$era1" --message "$n" > "$tmp/relayed.txt"
{
    echo "\$ relaysim show $era1 --message $n"
    head_of_show < "$tmp/relayed.txt"
} | emit history/01-open-relay/relayed-spam.txt
path_diagram < "$tmp/relayed.txt" | emit history/01-open-relay/relayed-spam-path.txt
b=$(first_id ' backscatter ' < "$l")
relaysim show "$era1" --message "$b" > "$tmp/bs.txt"
orig=$(sed -n 's/^  bounce of message #\([0-9]*\).*/\1/p' "$tmp/bs.txt")
relaysim show "$era1" --message "$orig" > "$tmp/orig.txt"
{
    echo "\$ relaysim show $era1 --message $orig"
    sed -n '1,/^  fate:/p' "$tmp/orig.txt"
    echo "…"
    grep '^Hop ' "$tmp/orig.txt" | tail -1
} | emit history/01-open-relay/bounced-spam.txt
{
    echo "\$ relaysim show $era1 --message $b"
    sed -n '1,/^  fate:/p' "$tmp/bs.txt"
} | emit history/01-open-relay/backscatter.txt
{
    echo "message $orig (spam, forged sender):"
    path_diagram < "$tmp/orig.txt"
    echo "message $b (its bounce, to the forged sender):"
    path_diagram < "$tmp/bs.txt"
} | emit history/01-open-relay/backscatter-path.txt
k=$(first_id ' ken-roaming ' < "$l")
echo "$k" | emit history/ken-first-message.txt
for era in 01-open-relay 02-relay-restriction; do
    f=scenarios/history/$era.ron
    relaysim show "$f" --message "$k" > "$tmp/ken.txt"
    {
        echo "\$ relaysim show $f --message $k"
        sed -n '1,/^  fate:/p' "$tmp/ken.txt"
        grep -m1 -E ' S: 5[0-9][0-9] ' "$tmp/ken.txt" || true
    } | emit "history/$era/ken.txt"
    path_diagram < "$tmp/ken.txt" | emit "history/$era/ken-path.txt"
done

# Era 2: a spam refused by one relay that moves down its list to the next.
era2=scenarios/history/02-relay-restriction.ron
for n in $(awk 'NR > 1 && $3 == "spam-via-relays" && /delivered/ { print $1 }' "$tmp/02-relay-restriction.list" | head -8); do
    relaysim show "$era2" --message "$n" > "$tmp/next.txt"
    if grep -q '^Hop 1 .*Relay access denied' "$tmp/next.txt"; then break; fi
done
{
    echo "\$ relaysim show $era2 --message $n"
    sed -n '1,/^  fate:/p' "$tmp/next.txt"
} | emit history/02-relay-restriction/next-relay.txt
path_diagram < "$tmp/next.txt" | emit history/02-relay-restriction/next-relay-path.txt

fi # cheap

# example ERA SOURCE PATTERN NAME [HEADER_REGEX]: the first message of
# SOURCE in ERA whose `show --list` line matches PATTERN: its summary (and
# the header lines matching HEADER_REGEX) as NAME.txt, its hops as
# NAME-path.txt. The chapters of eras 3 to 7 show these.
example() {
    local f=scenarios/history/$1.ron n
    n=$(relaysim show "$f" --list --source "$2" | first_id "$3")
    [[ -n $n ]] || { echo "no message of $2 matches '$3' in $1" >&2; exit 1; }
    relaysim show "$f" --message "$n" > "$tmp/example.txt"
    {
        echo "\$ relaysim show $f --message $n"
        sed -n '1,/^  fate:/p' "$tmp/example.txt"
        if [[ -n ${5:-} ]]; then
            echo "…"
            sed '/^Hop 1 /,$d' "$tmp/example.txt" | grep -E "$5" || true
        fi
    } | emit "history/$1/$4.txt"
    path_diagram < "$tmp/example.txt" | emit "history/$1/$4-path.txt"
}
if [[ $cheap == no ]]; then
    example 03-pop-before-smtp ken-roaming delivered ken
    example 03-pop-before-smtp spam-hotel delivered nat-leak '^Received: from'
    example 03-pop-before-smtp mika-roaming delivered mika
    example 04-smtp-auth spam-stolen-auth delivered stolen-password '^Received: from|with ESMTPS?A'
    example 04-smtp-auth spam-hotel rejected hotel-refused
    example 05-op25b-submission spam-direct . bot-blocked
    example 05-op25b-submission hiro-home . hiro-blocked
    example 05-op25b-submission spam-isp-c delivered displaced
    example 06-spf spam-isp-c '5\\.7\\.23' spf-fail
    example 06-spf spam-own-domain delivered own-domain '^Received-SPF:|^Authentication-Results:'
    example 06-spf to-prof . forwarded
    example 07-greylisting alice delivered greylisted '^X-Greylist:'
    example 07-greylisting spam-isp-c . no-retry
    example 07-greylisting bigmail-users delivered pool '^X-Greylist:'
fi

# --- Slow: figures and comparisons over 20 replications -----------------------
if [[ $quick == no ]]; then
    # The world of every era as SVG, with what every machine did in the run
    # (examples/world_figure; the test `figures` checks them in-process).
    cargo build -q --no-default-features --example world_figure
    for f in scenarios/history/*.ron; do
        target/debug/examples/world_figure "$f" | emit "history/$(basename "$f" .ron)/world.svg"
    done

    shown "relaysim compare scenarios/history/0[1-7]-*.ron --replications 20 --jobs 2 --out $tmp/history" \
        | sed "s#$tmp/history#results#g" | emit compare-history.txt
    for c in "$tmp"/history/charts/*.png; do
        emit_file "$c" "charts/history-$(basename "$c")"
    done
    head -3 "$tmp/history/summary.csv" | emit compare-history-summary-head.csv

    # A parameter study: how long an MX outage delays mail in the retry queue.
    shown "relaysim compare scenarios/examples/mx-outage.ron --replications 5 --sweep 'nodes[mx-co].kind.down[0].to=10m,20m,40m,80m' --out $tmp/sweep" \
        | sed "s#$tmp/sweep#results#g" | emit compare-outage-sweep.txt
    emit_file "$tmp/sweep/charts/sweep_legit_delay_median_s.png" charts/outage-sweep-delay.png
fi

# --- Benchmarks (only with --bench: they take minutes and need a quiet machine)
if [[ $bench == yes ]]; then
    benches=()
    for b in benches/*.rs; do benches+=(--bench "$(basename "$b" .rs)"); done
    # criterion writes its estimates under $CARGO_TARGET_DIR/criterion.
    CARGO_TARGET_DIR="$tools" cargo bench --no-default-features -q "${benches[@]}" -- --noplot >&2
    {
        echo "Measured by \`cargo bench\` on $(date -u +%Y-%m-%d), $(nproc) CPU core(s)" \
            "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(rustc --version | cut -d' ' -f1-2)."
        echo
        echo "| benchmark | time per iteration | throughput |"
        echo "|---|---:|---:|"
        for est in "$tools"/criterion/*/*/new/estimates.json; do
            dir=$(dirname "$(dirname "$est")")
            jq -r -n --slurpfile e "$est" --slurpfile b "$dir/new/benchmark.json" '
                ($e[0].mean.point_estimate) as $ns |
                ($b[0].throughput // null) as $t |
                def per_s(n): (n / ($ns / 1e9));
                def human(x): if x >= 1e6 then "\(x / 1e6 * 100 | round / 100) M" elif x >= 1e3 then "\(x / 1e3 * 100 | round / 100) k" else "\(x * 100 | round / 100) " end;
                def dur(ns): if ns >= 1e9 then "\(ns / 1e9 * 1000 | round / 1000) s" elif ns >= 1e6 then "\(ns / 1e6 * 100 | round / 100) ms" elif ns >= 1e3 then "\(ns / 1e3 * 100 | round / 100) µs" else "\(ns * 10 | round / 10) ns" end;
                "| `\($b[0].full_id)` | \(dur($ns)) | " +
                (if $t and $t.Elements then "\(human(per_s($t.Elements)))elements/s" elif $t and $t.Bytes then "\(human(per_s($t.Bytes)))B/s" else "–" end) + " |"'
        done
        # `relaysim bench` (the speed work's measurements), when this build has it.
        if relaysim --help | grep -q '^  bench '; then
            echo
            echo "The speed work's own measurements (\`relaysim bench\`, release build):"
            echo
            echo '```text'
            shown "relaysim bench engine"
            echo
            shown "relaysim bench run scenarios/history/01-open-relay.ron"
            echo
            shown "relaysim bench compare scenarios/history/01-open-relay.ron"
            echo '```'
        fi
    } | emit benchmarks.md
fi

written=$(wc -l < "$tmp/written")
if [[ $mode == check ]]; then
    if [[ -s $tmp/stale ]]; then
        echo "stale in $out (run book/generate.sh and commit):" >&2
        sed 's/^/  /' "$tmp/stale" >&2
        exit 1
    fi
    echo "all $written generated files are fresh"
else
    echo "wrote $written files in $out"
fi
