#!/bin/sh
# Runs the programs and the unit tests of a normal (non-sanitizer) build
# under valgrind's memcheck: invalid reads and writes, uninitialised values
# and leaks all fail the run.  DirectFB's own process-lifetime allocations
# are suppressed in tests/valgrind.supp; nothing of ours is.
#
#   sh tests/valgrind.sh BUILD_DIR
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

vg="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --suppressions=$top/tests/valgrind.supp"
failed=0
ran=0
check() {
    name=$1; shift
    ran=$((ran + 1))
    if $vg "$@" >"$tmp/out" 2>&1; then
        echo "valgrind ok: $name"
    else
        rc=$?
        # 99 is valgrind's; any other status is the program's own failure,
        # which the unit tests judge, not this run.
        if [ "$rc" -eq 99 ]; then
            echo "valgrind FAILED: $name"
            cat "$tmp/out"
            failed=$((failed + 1))
        else
            echo "valgrind ok: $name (program exit $rc)"
        fi
    fi
}

check "carousel validate" "$build/civictv-carousel" validate content
check "carousel build" "$build/civictv-carousel" build content -o "$tmp/s.ts"
check "civictv headless tour" "$build/civictv" --headless \
    --screenshots "$tmp/shots" --keys down,down,ok,down,back,down,ok,back,exit "$tmp/s.ts"
head -c 3000 "$tmp/s.ts" >"$tmp/cut.ts"
check "civictv truncated stream" "$build/civictv" --headless --keys ok "$tmp/cut.ts"
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    CIVICTV_BUILD="$build" check "$(basename "$t")" "$t"
done
echo "valgrind: $ran runs, $failed failed"
[ "$failed" -eq 0 ]
