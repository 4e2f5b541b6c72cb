#!/usr/bin/env bash
# Makes the book's screenshots of the classroom window with the GUI's own
# screenshot command (the one CI checks), under a virtual X server with
# software Vulkan: `apt-get install xvfb xauth mesa-vulkan-drivers libvulkan1
# libxkbcommon-x11-0 libxcursor1 libxi6`. Run it after a change to the GUI or
# to the scenarios shown, and commit book/src/generated/gui/.
#
#   book/screenshots.sh        build (dev, with the GUI) and shoot
#   RELAYSIM=path book/screenshots.sh   use that binary
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${RELAYSIM:-} ]]; then
    bin=$RELAYSIM
else
    cargo build -q
    bin=target/debug/relaysim
fi
out=book/src/generated/gui
mkdir -p "$out"
XDG_RUNTIME_DIR="$(mktemp -d)"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
shot() {
    local name=$1
    shift
    xvfb-run -a -s "-screen 0 1280x720x24" "$bin" gui "$@" --screenshot "$out/$name.png"
    echo "$out/$name.png"
}
# Era 1 after two simulated hours: the lesson panel, replies at the nodes, plots.
shot era1-2h scenarios/history/01-open-relay.ron --after 2h
# Era 7 in Japanese: a legit mail that greylisting held for five minutes,
# open in the inspector (envelope, header From:, X-Greylist header).
shot era7-greylisted-ja scenarios/history/07-greylisting.ron --after 3h --japanese --message 7
shot era2-events scenarios/history/02-relay-restriction.ron --after 1h --events
shot era5-presenter scenarios/history/05-op25b-submission.ron --after 2h --presenter --node mx-co
