#!/bin/sh
# Throughput, memory and size with replayed model responses: workflow 3001
# over generated postings (every path of the workflow), with
# synchronous=FULL, every posting started at once (the whole backlog queued).
# Per size: interactions per second, milliseconds per interaction, peak
# memory of run, database bytes per posting, and how long `status` takes on
# the finished database; the figures should stay flat as the backlog grows.
# Then where the bytes per posting are, by table. (Requests share their
# repeated pieces since schema 0009: 25.6 KB per posting before, about 13 KB
# after, on this data.)
# Recording the fixtures (tests/tools/answer-run) is timed apart.
# Usage: replay.sh [N...] (default: $BENCH_SIZES, else 1000 10000 100000)
set -eu
: "${WAVERUNNER:?}" "${TOOLS:?}"
REPO=${REPO:-$(pwd)}
sizes=${*:-${BENCH_SIZES:-1000 10000 100000}}
work=$(mktemp -d "${TMPDIR:-/tmp}/waverunner-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
now_ns() { date +%s%N; }
echo "replay benchmark: workflow 3001, synchronous=FULL, $(nproc) cores"
printf '%9s %12s %10s %10s %10s %12s %10s %10s\n' postings interactions "inter./s" "ms/inter." "RSS (KB)" "bytes/post." "status ms" "record s"
for n in $sizes; do
	d="$work/$n"
	sh "$REPO/tests/bench/generate.sh" "$n" "$d"
	db="$d/record.db"
	"$WAVERUNNER" --db "$db" init >/dev/null
	"$WAVERUNNER" --db "$db" load "$REPO/fixtures/workflows/3001.json" "$d/postings.json" >/dev/null
	"$WAVERUNNER" --db "$db" start --workflow 3001 --all >/dev/null
	t0=$(now_ns)
	"$TOOLS/answer-run" "$db" "$d/answers.json" --record "$d/replay" >/dev/null
	rec=$(( ($(now_ns) - t0) / 1000000 ))
	rm -f "$db" "$db-wal" "$db-shm"
	db="$d/bench.db"
	"$WAVERUNNER" --db "$db" init >/dev/null
	"$WAVERUNNER" --db "$db" load "$REPO/fixtures/workflows/3001.json" "$d/postings.json" >/dev/null
	"$WAVERUNNER" --db "$db" start --workflow 3001 --all >/dev/null
	t0=$(now_ns)
	out=$("$WAVERUNNER" --db "$db" --json run --llm replay --replay-dir "$d/replay")
	t1=$(now_ns)
	"$WAVERUNNER" --db "$db" status >/dev/null # once untimed: the timed one reads a warm cache
	s0=$(now_ns)
	"$WAVERUNNER" --db "$db" status >/dev/null
	s1=$(now_ns)
	bytes=$(sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null && wc -c <"$db")
	echo "$out" | awk -v n="$n" -v t0="$t0" -v t1="$t1" -v s="$(( (s1 - s0) / 1000000 ))" -v b="$bytes" -v rec="$rec" '{
		match($0, /"interactions":[0-9]+/); i = substr($0, RSTART + 15, RLENGTH - 15)
		match($0, /"elapsed_ms":[0-9]+/); ms = substr($0, RSTART + 13, RLENGTH - 13)
		match($0, /"max_rss_kb":[0-9]+/); rss = substr($0, RSTART + 13, RLENGTH - 13)
		match($0, /"failed":[0-9]+/); failed = substr($0, RSTART + 9, RLENGTH - 9)
		printf "%9d %12d %10.0f %10.3f %10d %12.0f %10d %10.1f\n", n, i, i / (ms / 1000), ms / i, rss, b / n, s, rec / 1000
		if (failed + 0 != 0) printf "  (%d interactions failed: the benchmark data is wrong)\n", failed
	}'
	done_runs=$("$WAVERUNNER" --db "$db" --json status | grep -o '"completed":[0-9]*' | head -1)
	echo "          runs $done_runs of $n"
	# Where the bytes are: each table with its indexes, per posting.
	sqlite3 "$db" "SELECT CASE WHEN t IN ('interactions', 'interaction_events', 'texts', 'postings') THEN t
	                ELSE 'other' END AS k, sum(b) FROM (SELECT coalesce(m.tbl_name, d.name) AS t, d.pgsize AS b
	                FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name) GROUP BY k ORDER BY 2 DESC" |
		awk -F'|' -v n="$n" '{ s = s sprintf("%s%s %.0f", (NR > 1 ? ", " : ""), $1, $2 / n) }
			END { print "          bytes/posting by table (with its indexes): " s }'
	rm -rf "$d"
done
