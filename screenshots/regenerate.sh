#!/usr/bin/env bash
# Regenerates the screenshots (PNGs and the tmux captures they come from) from
# real runs of the live viewer on this machine. Needs: tmux, python3-pil,
# fonts-dejavu-core (tools/apt-packages.txt), root or CAP_NET_ADMIN/BPF for
# an event source. Usage: screenshots/regenerate.sh [path/to/proctree]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:-$here/../build/tui/proctree}"
if [ ! -x "$binary" ]; then
    cmake -S "$here/.." -B "$here/../build" -G Ninja >/dev/null
    cmake --build "$here/../build" --target proctree
fi
exec /usr/bin/python3 "$here/regenerate.py" --binary "$binary" --out "$here"
