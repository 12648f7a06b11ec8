#!/bin/sh
# Claims at scale (waverunner-sync(1), "Beyond one building"): a throwaway
# PostgreSQL (tests/pg.sh) with N postings (default 1,000,000), half of them
# done. Prints how long sync setup takes to queue them; claims per second
# with 10 concurrent claimers running waverunner's claim statement (pgbench,
# batches of 1, 10 and 50, SKIP LOCKED), the statement's plan, buffers and
# time per claim, and the WAL a claim writes; then 10 waverunner processes
# claiming and pulling at once (sync pull --claim), end to end.
# Usage: claims.sh [N]
set -u
: "${WAVERUNNER:?}" "${TOOLS:?}"
REPO=${REPO:-$(pwd)}
export REPO
N=${1:-1000000}
. "$REPO/tests/lib.sh"
. "$REPO/tests/pg.sh"
trap 'pg_cleanup; rm -rf "$T"' EXIT
pg_start >/dev/null
PGB="$PG_BIN/pgbench"
[ -x "$PGB" ] || { echo "pgbench not found next to initdb (Debian package postgresql)"; exit 1; }
ms() { echo $(($(date +%s%N) / 1000000)); }

echo "claims benchmark: $N postings in PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $(nproc) cores, fsync off"
t0=$(ms)
pg_psql -c "INSERT INTO postings (posting_id, posting_name, job_title, job_description, external_job_id, external_url,
	posting_status) SELECT n, 'Job ' || n, 'Engineer ' || n, 'Posting ' || n || ': ' || repeat('build data pipelines; ', 5),
	'B' || n, 'https://careers.example/B' || n, 'active' FROM generate_series(1, $N) AS n" -c "VACUUM ANALYZE postings"
t1=$(ms)
echo "  inserting the postings:                 $((t1 - t0)) ms"
"$WAVERUNNER" sync setup >/dev/null || exit 1
t2=$(ms)
echo "  sync setup (table, indexes, queue all): $((t2 - t1)) ms"
pg_psql -c "UPDATE waverunner_claims SET state = 'done', instance = 'earlier', done_at = now() WHERE posting_id <= $N / 2" \
	-c "VACUUM ANALYZE waverunner_claims"
echo "  half of them marked done (the claim query must not read past them)"
echo "  table size: $(pg_psql -c "SELECT pg_size_pretty(pg_total_relation_size('waverunner_claims'))") with indexes;" \
	"free-posting index: $(pg_psql -c "SELECT pg_size_pretty(pg_relation_size('waverunner_claims_free'))")"

# waverunner's claim statement (CLAIM_SQL in sync/claims.c: keep in step), as a pgbench script.
claim_script() {
	cat <<EOF
WITH expired AS (SELECT posting_id, instance FROM waverunner_claims WHERE state = 'claimed' AND expires_at < now()
  ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED),
fresh AS (SELECT posting_id, NULL::text AS instance FROM waverunner_claims WHERE state = 'free'
  ORDER BY posting_id LIMIT $1 FOR UPDATE SKIP LOCKED),
picked AS (SELECT * FROM expired UNION ALL SELECT * FROM fresh LIMIT $1)
UPDATE waverunner_claims c SET state = 'claimed', instance = 'bench-' || :client_id, token = gen_random_uuid()::text,
  claimed_at = now(), expires_at = now() + 600000 * interval '1 millisecond', claims = c.claims + 1
FROM picked WHERE c.posting_id = picked.posting_id RETURNING c.posting_id, c.token;
EOF
}

echo
echo "concurrent claimers, 5 s each (pgbench, waverunner's claim statement):"
printf '  %8s %6s %12s %14s %14s %16s\n' claimers batch "claims/s" "statements/s" "ms/statement" "WAL bytes/claim"
for cb in "1 50" "10 1" "10 10" "10 50"; do
	c=${cb% *}
	b=${cb#* }
	claim_script "$b" >"$T/claim.sql"
	lsn0=$(pg_psql -c "SELECT pg_current_wal_lsn()")
	out=$("$PGB" -n -h "$PG_DIR" -p "$PG_PORT" -U postgres -f "$T/claim.sql" -c "$c" -j "$c" -T 5 turing 2>&1)
	lsn1=$(pg_psql -c "SELECT pg_current_wal_lsn()")
	tps=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
	lat=$(printf '%s\n' "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
	tx=$(printf '%s\n' "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
	wal=$(pg_psql -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
	if [ -z "$tps" ]; then
		echo "  pgbench failed:"
		printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
		exit 1
	fi
	awk -v c="$c" -v b="$b" -v tps="$tps" -v lat="$lat" -v wal="$wal" -v tx="$tx" \
		'BEGIN { printf "  %8d %6d %12.0f %14.0f %14.2f %16.0f\n", c, b, tps * b, tps, lat, wal / (tx * b) }'
done
claimed=$(pg_psql -c "SELECT count(*) FROM waverunner_claims WHERE state = 'claimed'")
echo "  load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "  (then $claimed postings claimed; no two claimers got the same: $(pg_psql -c "SELECT count(*) = count(DISTINCT token) FROM waverunner_claims WHERE state = 'claimed'"))"

echo
echo "one claim of 50 with the table as it is now (EXPLAIN ANALYZE, BUFFERS):"
claim_script 50 | sed 's/:client_id/0/' >"$T/one.sql"
pg_psql -c "BEGIN" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $(cat "$T/one.sql" | sed 's/;$//')" -c "ROLLBACK" |
	grep -E "^Update|^  Buffers|Index Scan|Execution Time|Planning Time" | sed 's/^ */  /'

echo
echo "expired claims: 1000 claims expire; the next claims take them first:"
pg_psql -c "UPDATE waverunner_claims SET expires_at = now() - interval '1 minute'
	WHERE posting_id IN (SELECT posting_id FROM waverunner_claims WHERE state = 'claimed' ORDER BY posting_id LIMIT 1000)"
claim_script 50 >"$T/claim.sql"
out=$("$PGB" -n -h "$PG_DIR" -p "$PG_PORT" -U postgres -f "$T/claim.sql" -c 10 -j 10 -t 2 turing 2>&1)
echo "  $(printf '%s\n' "$out" | sed -n 's/^latency average = /latency per statement of 50 = /p')," \
	"$(pg_psql -c "SELECT count(*) FROM waverunner_claims WHERE state = 'claimed' AND expires_at < now()") expired left"

echo
echo "10 waverunner processes at once, each: sync pull --claim 50, 5 times (claim, pull, record; end to end):"
for i in 0 1 2 3 4 5 6 7 8 9; do "$WAVERUNNER" --db "$T/w$i.db" init >/dev/null; done
t0=$(ms)
for i in 0 1 2 3 4 5 6 7 8 9; do
	(for k in 1 2 3 4 5; do "$WAVERUNNER" --db "$T/w$i.db" sync pull --claim 50 >/dev/null || exit 1; done) &
done
wait
t1=$(ms)
got=$(for i in 0 1 2 3 4 5 6 7 8 9; do sqlite3 "$T/w$i.db" "SELECT count(*) FROM posting_claims"; done | awk '{ s += $1 } END { print s }')
echo "  $got postings claimed and pulled in $((t1 - t0)) ms: $(awk -v g="$got" -v ms="$((t1 - t0))" 'BEGIN { printf "%.0f", g * 1000 / ms }') postings/s"
