#!/usr/bin/env bash
# Formats the tracked C and C++ sources with .clang-format (driver/windows/
# opts out in its own .clang-format).
#   tools/format.sh           rewrite the files in place
#   tools/format.sh --check   list the files that would change; exit 1 if any
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
clang_format=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$clang_format" ]; then
    echo "format.sh: clang-format not found: apt-get install clang-format (or ./dev test)" >&2
    exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
case "${1:-}" in
--check)
    changed=0
    for f in "${files[@]}"; do
        if ! "$clang_format" --style=file "$f" | cmp -s - "$f"; then
            echo "$f"
            changed=1
        fi
    done
    exit "$changed"
    ;;
"")
    "$clang_format" --style=file -i "${files[@]}"
    ;;
*)
    echo "usage: tools/format.sh [--check]" >&2
    exit 2
    ;;
esac
