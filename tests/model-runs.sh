# model-runs.sh: what the scenario tests that run workflows against stub
# model servers share (t-limits.sh, t-pools.sh): two small workflows of two
# models (7201: two steps; 7202: four that alternate), N postings, a fresh
# database. Source it after lib.sh.

# Four steps that alternate between two models.
cat >"$T/alternate.json" <<'EOF2'
{"workflow_id": 7202, "name": "Alternating models",
 "actors": [
  {"actor_id": 723, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0}},
  {"actor_id": 724, "name": "mistral:latest", "type": "ai_model", "config": {"temperature": 0}}],
 "conversations": [
  {"conversation_id": 731, "name": "A", "actor": "qwen2.5:7b", "order": 1, "instruction": {"template": "A {job_title}"},
   "rules": [{"id": 7311, "condition": "*", "next": 732, "priority": 1}]},
  {"conversation_id": 732, "name": "B", "actor": "mistral:latest", "order": 2, "instruction": {"template": "B {job_title}"},
   "rules": [{"id": 7321, "condition": "*", "next": 733, "priority": 1}]},
  {"conversation_id": 733, "name": "C", "actor": "qwen2.5:7b", "order": 3, "instruction": {"template": "C {job_title}"},
   "rules": [{"id": 7331, "condition": "*", "next": 734, "priority": 1}]},
  {"conversation_id": 734, "name": "D", "actor": "mistral:latest", "order": 4, "terminal": true,
   "instruction": {"template": "D {job_title}"}}]}
EOF2
# Two steps on two models; every posting can run at once.
cat >"$T/two.json" <<'EOF2'
{"workflow_id": 7201, "name": "Two models",
 "actors": [
  {"actor_id": 721, "name": "qwen2.5:7b", "type": "ai_model", "config": {"temperature": 0}},
  {"actor_id": 722, "name": "mistral:latest", "type": "ai_model", "config": {"temperature": 0}}],
 "conversations": [
  {"conversation_id": 721, "name": "Answer", "actor": "qwen2.5:7b", "order": 1, "timeout_seconds": 20,
   "instruction": {"template": "Say something about {job_title}."},
   "rules": [{"id": 7211, "condition": "*", "next": 722, "priority": 1}]},
  {"conversation_id": 722, "name": "Comment", "actor": "mistral:latest", "order": 2, "timeout_seconds": 20,
   "terminal": true, "instruction": {"template": "Comment on: {conversation_721_output}"}}]}
EOF2
postings() {
	sqlite3 -batch -noheader :memory: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
	  SELECT json_group_array(json_object('posting_id', i, 'job_title', 'Data engineer ' || i,
	    'job_description', 'We are hiring data engineer number ' || i || '.',
	    'external_job_id', 'L' || i, 'external_url', 'https://example.com/jobs/' || i)) FROM n" >"$T/postings.json"
}
# fresh N [WORKFLOW_FILE WORKFLOW_ID]: a new database with N postings started
# (default: 7201).
fresh() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	postings "$1"
	wr init >/dev/null && wr load "${2:-$T/two.json}" "$T/postings.json" >/dev/null &&
		wr start --workflow "${3:-7201}" --all >/dev/null
}
completed() { sql "SELECT count(*) FROM interactions WHERE status = 'completed'"; }
# The learned limits, "N measured" or "N reported" each.
limits() { sql "SELECT max_in_flight || ' ' || source FROM model_servers ORDER BY server"; }

