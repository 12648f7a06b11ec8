# lib.sh: what the scheduling benches (matrix.sh, scheduling.sh) share:
# workflow 3001 on three models, postings, a stub model server. Source it with
# REPO, TOOLS and T set.

q() { sqlite3 -batch -noheader :memory: "$@"; }

# three_models FILE: workflow 3001 with the IHL skeptic on gemma2: three models.
three_models() {
	q "WITH w AS (SELECT readfile('$REPO/fixtures/workflows/3001.json') AS j),
	     c AS (SELECT e.key AS k FROM w, json_each(json_extract(w.j, '\$.conversations')) e
	           WHERE json_extract(e.value, '\$.conversation_id') = 9162)
	   SELECT json_set(json_insert(j, '\$.actors[#]', json('{\"actor_id\": 46, \"name\": \"gemma2:latest\",
	          \"type\": \"ai_model\", \"config\": {\"temperature\": 0, \"seed\": 42, \"num_ctx\": 8192,
	          \"num_predict\": 1024}}')), '\$.conversations[' || (SELECT k FROM c) || '].actor', 'gemma2:latest')
	   FROM w" >"$1"
}

# bench_postings N: N postings with descriptions long enough to pass the
# description check, in $T/postings.json.
bench_postings() {
	q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	   SELECT json_group_array(json_object('posting_id', i, 'job_title', 'Data engineer ' || i,
	          'job_description', 'We are hiring data engineer number ' || i || ' to build pipelines in Python and SQL, '
	          || 'maintain the warehouse, and work with analysts across the company. Remote work is possible.',
	          'location_city', 'Berlin', 'source', 'bench', 'external_job_id', 'B' || i,
	          'external_url', 'https://example.com/jobs/' || i)) FROM n" >"$T/postings.json"
}

# bench_stub PORT_FILE STATS_FILE ARGS...: a stub model server on a free port
# writing its figures to STATS_FILE; sets STUB_PID and STUB_PORT.
bench_stub() {
	pf=$1 sf=$2
	shift 2
	rm -f "$pf" "$sf"
	"$TOOLS/stub-llm" --port 0 --port-file "$pf" --stats-file "$sf" "$@" >/dev/null &
	STUB_PID=$!
	i=0
	while [ ! -s "$pf" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	STUB_PORT=$(cat "$pf")
}
