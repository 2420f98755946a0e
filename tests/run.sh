#!/bin/sh
# Runs every cmocka test binary of a build, from the repository root, and
# ends with one summary line: "N passed, N failed".
#
#   sh tests/run.sh BUILD_DIR [name-filter]
#
# Under the sanitizer build the suppression file hides only DirectFB's own
# leaks (libdirect, libfusion, libdirectfb and their plugins); everything
# of ours is still checked.
set -u
build=${1:-build}
filter=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

export CIVICTV_BUILD="$build"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0
failed=0
broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    name=$(basename "$t")
    if [ -n "$filter" ] && ! echo "$name" | grep -q "$filter"; then
        continue
    fi
    echo "=== $name"
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    # A binary may run several cmocka groups, each with its own summary:
    # add them all up.
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" |
        awk '{ n += $1 } END { if (NR) print n }')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p' "$log" |
        awk '{ n += $1 } END { if (NR) print n }')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    # A binary that crashed or exited non-zero without cmocka's failure
    # line still counts as a failure.
    if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
        failed=$((failed + 1))
        broken="$broken $name(exit $rc)"
    fi
done

echo
[ -n "$broken" ] && echo "test binaries that did not finish cleanly:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
