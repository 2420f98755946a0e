#!/bin/sh
# `make run`: build the sample carousel from content/ and run the app on it.
# With a display, the TV screen opens in a desktop window (SDL2 presenter;
# keys: arrows, Enter = OK, Backspace = Back, Esc = Exit, F1-F4 = colour
# keys, digits).  Without one, a short scripted tour runs headless and the
# screenshots are written to out/screenshots/.
set -eu
build=${1:-build}
out=out
mkdir -p "$out"

"$build/civictv-carousel" build content -o "$out/sample.ts"

if [ -n "${DISPLAY:-}" ] && [ -z "${CIVICTV_HEADLESS:-}" ]; then
    echo "civictv: opening the emulator window (red (F1) opens the service; Esc on the TV quits; F5 shows the keys)"
    exec "$build/civictv" --emulator --scale 1 "$out/sample.ts"
fi

rm -rf "$out/screenshots"
"$build/civictv" --headless --settings "$out/settings" --screenshots "$out/screenshots" \
    --keys "red,down,down,ok,back,down,down,down,ok,down,back,1,ok,2,2,2,3,3,1,blue,yellow,blue,exit" \
    "$out/sample.ts"
echo "civictv: no display; screenshots of a scripted tour are in $out/screenshots/:"
ls "$out/screenshots"
