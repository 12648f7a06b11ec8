#!/bin/sh
# Records the project's replay fixtures (fixtures/replay/) from the authored
# model answers: workflow 3001 over the fixture postings answered from
# fixtures/answers/3001.json, and 3001 started from its fetch against the stub
# job board (fixtures/jobboard/, 8 postings) answered from
# fixtures/answers/jobboard.json; each request and its answer is recorded. Run it after changing a prompt, a posting or an
# answer (the replay key is the request, so old fixtures stop matching).
# Usage: sh tests/make-replay.sh   (after make)
set -eu
cd "$(dirname "$0")/.."
tools=${TOOLS:-build/rel/tests}
make -s waverunner "$tools/answer-run" "$tools/stub-jobboard"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-replay.XXXXXX")
board=
trap 'rm -rf "$tmp"; [ -z "$board" ] || kill "$board" 2>/dev/null' EXIT
./waverunner --db "$tmp/r.db" init >/dev/null
./waverunner --db "$tmp/r.db" load fixtures/workflows/3001.json fixtures/postings/postings.json >/dev/null
./waverunner --db "$tmp/r.db" start --workflow 3001 --all >/dev/null
rm -rf fixtures/replay
"$tools/answer-run" "$tmp/r.db" fixtures/answers/3001.json --record fixtures/replay

"$tools/stub-jobboard" --fixtures fixtures/jobboard >"$tmp/port" &
board=$!
while [ ! -s "$tmp/port" ]; do sleep 0.05; done
./waverunner --db "$tmp/j.db" init >/dev/null
./waverunner --db "$tmp/j.db" load fixtures/workflows/3001.json >/dev/null
./waverunner --db "$tmp/j.db" start --workflow 3001 --param "base_url=http://127.0.0.1:$(head -n 1 "$tmp/port")" \
	--param max_jobs=8 --param request_delay_ms=0 >/dev/null
"$tools/answer-run" "$tmp/j.db" fixtures/answers/jobboard.json --record fixtures/replay
echo "recorded $(find fixtures/replay -name '*.json' | wc -l) responses in fixtures/replay"
