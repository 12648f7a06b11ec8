#!/bin/sh
# Throughput and memory of the engine with replayed model responses:
# workflow 3001 over generated postings (every path of the workflow), with
# synchronous=FULL. Prints interactions per second, milliseconds per
# interaction and peak memory, for two sizes to show memory does not grow
# with the number of postings. Usage: replay.sh [N...] (default 1000 2000)
set -eu
: "${WAVERUNNER:?}" "${TOOLS:?}"
REPO=${REPO:-$(pwd)}
sizes=${*:-1000 2000}
work=$(mktemp -d "${TMPDIR:-/tmp}/waverunner-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "replay benchmark: workflow 3001, synchronous=FULL, $(nproc) cores"
printf '%9s %13s %14s %12s %13s %12s\n' postings interactions "interactions/s" "ms/interaction" "peak RSS (KB)" "wall (s)"
for n in $sizes; do
	d="$work/$n"
	sh "$REPO/tests/bench/generate.sh" "$n" "$d"
	db="$d/record.db"
	"$WAVERUNNER" --db "$db" init >/dev/null
	"$WAVERUNNER" --db "$db" load "$REPO/fixtures/workflows/3001.json" "$d/postings.json" >/dev/null
	"$WAVERUNNER" --db "$db" start --workflow 3001 --all >/dev/null
	"$TOOLS/answer-run" "$db" "$d/answers.json" --record "$d/replay" >/dev/null
	db="$d/bench.db"
	"$WAVERUNNER" --db "$db" init >/dev/null
	"$WAVERUNNER" --db "$db" load "$REPO/fixtures/workflows/3001.json" "$d/postings.json" >/dev/null
	"$WAVERUNNER" --db "$db" start --workflow 3001 --all >/dev/null
	t0=$(date +%s%N)
	out=$("$WAVERUNNER" --db "$db" --json run --llm replay --replay-dir "$d/replay")
	t1=$(date +%s%N)
	echo "$out" | awk -v n="$n" -v t0="$t0" -v t1="$t1" '{
		wall = (t1 - t0) / 1e9
		match($0, /"interactions":[0-9]+/); i = substr($0, RSTART + 15, RLENGTH - 15)
		match($0, /"elapsed_ms":[0-9]+/); ms = substr($0, RSTART + 13, RLENGTH - 13)
		match($0, /"max_rss_kb":[0-9]+/); rss = substr($0, RSTART + 13, RLENGTH - 13)
		match($0, /"failed":[0-9]+/); failed = substr($0, RSTART + 9, RLENGTH - 9)
		printf "%9d %13d %14.0f %12.3f %13d %12.2f\n", n, i, i / (ms / 1000), ms / i, rss, wall
		if (failed + 0 != 0) printf "  (%d interactions failed: the benchmark data is wrong)\n", failed
	}'
	done_runs=$("$WAVERUNNER" --db "$db" --json status | grep -o '"completed":[0-9]*' | head -1)
	echo "          runs $done_runs of $n"
done
