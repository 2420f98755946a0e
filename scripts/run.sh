#!/bin/sh
# `make run`: build the sample carousel from content/, start the back office
# on loopback with the sample councils, and run the app on the carousel.
# With a display, the TV screen opens in a desktop window (SDL2 presenter;
# keys: arrows, Enter = OK, Backspace = Back, Esc = Exit, F1-F4 = colour
# keys, digits).  Without one, a short scripted tour runs headless and the
# screenshots are written to out/screenshots/.
#
# The back office (civictv-backoffice --seed sample) keeps its data in
# out/backoffice.db, made afresh on every run, and its log in
# out/backoffice.log.  It listens on 127.0.0.1:8080 (CIVICTV_BO_PORT to
# change it; a free port if that one is taken) and is stopped with SIGTERM
# when the app ends, fails, or Ctrl-C is pressed.
set -eu
build=${1:-build}
out=out
mkdir -p "$out"

"$build/civictv-carousel" build content -o "$out/sample.ts"

# ---- the back office ----
bo_pid=""
bo_log="$out/backoffice.log"
stop_backoffice() {
    if [ -n "$bo_pid" ]; then
        kill -TERM "$bo_pid" 2>/dev/null || true
        wait "$bo_pid" 2>/dev/null || true
        bo_pid=""
        echo "civictv: back office stopped (log: $bo_log)"
    fi
}
trap 'stop_backoffice' EXIT
trap 'stop_backoffice; exit 130' INT
trap 'stop_backoffice; exit 143' TERM

# Starts the server on port $1 and waits for its /health; returns 1 if it
# exited (the port was taken, say) or did not answer within 15 s.
start_backoffice() {
    rm -f "$out/backoffice.db" "$out/backoffice.db-wal" "$out/backoffice.db-shm"
    "$build/civictv-backoffice" --seed sample --listen 127.0.0.1 --port "$1" \
        --database "$out/backoffice.db" >"$bo_log" 2>&1 &
    bo_pid=$!
    bo_url=""
    for _ in $(seq 150); do
        if ! kill -0 "$bo_pid" 2>/dev/null; then
            wait "$bo_pid" 2>/dev/null || true
            bo_pid=""
            return 1
        fi
        [ -n "$bo_url" ] ||
            bo_url=$(sed -n 's/^civictv-backoffice: serving \(http[^ ]*\)$/\1/p' "$bo_log")
        if [ -n "$bo_url" ] &&
            curl -fsS --max-time 2 -o /dev/null "$bo_url/health" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    stop_backoffice
    return 1
}

if ! start_backoffice "${CIVICTV_BO_PORT:-8080}" && ! start_backoffice 0; then
    echo "civictv: the back office did not start; its log ($bo_log):" >&2
    cat "$bo_log" >&2
    exit 1
fi
echo "civictv: back office serving $bo_url (SQLite $out/backoffice.db, log $bo_log)"
echo "civictv: sample councils and API keys (Authorization: Bearer KEY; docs/backoffice.md):"
sed -n 's/^civictv-backoffice: sample key /    /p' "$bo_log"
echo "civictv: try  curl '$bo_url/v1/catalogue?postcode=NB3%202XY'"
echo "civictv:      curl -H 'Authorization: Bearer tv-riverton-sample' '$bo_url/v1/cases/RI-B2C3D4F5?postcode=EM12%207PL'"
echo "civictv: (the TV app does not call the back office yet: that is the return path, backend-client/)"

# ---- the app ----
app_rc=0
if [ -n "${DISPLAY:-}" ] && [ -z "${CIVICTV_HEADLESS:-}" ]; then
    echo "civictv: opening the emulator window (red (F1) opens the service; Esc on the TV quits; F5 shows the keys)"
    "$build/civictv" --emulator --scale 1 "$out/sample.ts" || app_rc=$?
else
    rm -rf "$out/screenshots"
    "$build/civictv" --headless --settings "$out/settings" --screenshots "$out/screenshots" \
        --keys "red,down,down,ok,back,down,down,down,ok,down,back,1,ok,2,2,2,3,3,1,blue,yellow,blue,exit" \
        "$out/sample.ts" || app_rc=$?
    if [ "$app_rc" -eq 0 ]; then
        echo "civictv: no display; screenshots of a scripted tour are in $out/screenshots/:"
        ls "$out/screenshots"
    fi
fi
stop_backoffice
exit "$app_rc"
