#!/bin/sh
# make bench: runs every benchmark in tests/bench/ (each prints its figures).
set -eu
cd "$(dirname "$0")/../.."
for b in tests/bench/*.sh; do
	case "$b" in */run.sh | */generate.sh) continue ;; esac
	echo "== $b"
	sh "$b"
	echo
done
