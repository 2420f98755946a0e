#!/bin/sh
# Make sure the Debian packages civictv builds, runs and tests with are
# installed.  As root, install what is missing (apt-get update, then
# apt-get install -y); otherwise stop and print the exact command.
set -e

PKGS="build-essential pkg-config libdirectfb-dev libdirectfb-extra \
libdvbpsi-dev libfreetype-dev libcurl4-openssl-dev libcmocka-dev zlib1g-dev \
libcjson-dev fonts-tiresias libsdl2-dev libpng-dev \
libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libpq-dev curl"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "civictv: installing missing packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing
else
    echo "civictv: these Debian packages are missing:$missing" >&2
    echo "run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
