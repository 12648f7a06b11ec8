#!/bin/sh
# Records the project's replay fixtures (fixtures/replay/) from the authored
# model answers (fixtures/answers/3001.json): runs workflow 3001 over the fixture
# postings with every model call answered from that file, recording each
# request and its answer. Run it after changing a prompt, a posting or an
# answer (the replay key is the request, so old fixtures stop matching).
# Usage: sh tests/make-replay.sh   (after make)
set -eu
cd "$(dirname "$0")/.."
tools=${TOOLS:-build/rel/tests}
make -s waverunner "$tools/answer-run"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
./waverunner --db "$tmp/r.db" init >/dev/null
./waverunner --db "$tmp/r.db" load fixtures/workflows/3001.json fixtures/postings/postings.json >/dev/null
./waverunner --db "$tmp/r.db" start --workflow 3001 --all >/dev/null
rm -rf fixtures/replay
"$tools/answer-run" "$tmp/r.db" fixtures/answers/3001.json --record fixtures/replay
echo "recorded $(find fixtures/replay -name '*.json' | wc -l) responses in fixtures/replay"
