#!/bin/sh
# Installs the Debian packages waverunner needs to build and test, when missing.
# Run as root on Debian (CI does); elsewhere it names what is missing and fails.
set -eu

PKGS="build-essential pkg-config libsqlite3-dev libcurl4-openssl-dev libcjson-dev
libpq-dev sqlite3 postgresql mandoc procps"
# report draws with Graphviz (optional for a build, needed by make check); the
# report test uses Graphviz's dot and headless Chromium driven by chromedriver.
PKGS="$PKGS libgraphviz-dev graphviz chromium chromium-driver curl"
# make fuzz needs clang's libFuzzer: sh tests/install-deps.sh --fuzz
[ "${1:-}" = "--fuzz" ] && PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: install them with: apt-get install$missing" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
