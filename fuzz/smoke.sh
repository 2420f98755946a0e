#!/bin/sh
# Runs each libFuzzer binary for a short time, from fuzz/corpus/NAME when it
# exists (seeds; new finds go to a scratch folder so the tree stays clean).
#   sh fuzz/smoke.sh SECONDS BIN...
set -u
secs=$1; shift
top=$(cd "$(dirname "$0")/.." && pwd)
fails=0
for bin in "$@"; do
    name=$(basename "$bin")
    work=$(mktemp -d)
    seeds=""
    [ -d "$top/fuzz/corpus/$name" ] && seeds="$top/fuzz/corpus/$name"
    if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=0 \
        -artifact_prefix="$work/" "$work" $seeds >"$work/log" 2>&1; then
        echo "fuzz ok: $name ($(grep -o 'Done [0-9]* runs' "$work/log" | tail -n 1))"
    else
        echo "fuzz FAILED: $name"
        tail -n 60 "$work/log"
        ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
        fails=$((fails + 1))
    fi
    rm -rf "$work"
done
[ "$fails" -eq 0 ]
