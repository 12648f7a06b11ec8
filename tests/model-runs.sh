# model-runs.sh: what the scenario tests of scheduling against stub model
# servers share (t-limits.sh, t-pools.sh): two small workflows of two models
# (7201 in $T/two.json: two steps; 7202 in $T/alternate.json: four that
# alternate), and figures of a finished run. Source it after stub-llm.sh
# (postings, fresh).

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
completed() { sql "SELECT count(*) FROM interactions WHERE status = 'completed'"; }
# The learned limits, "N measured" or "N reported" each.
limits() { sql "SELECT max_in_flight || ' ' || source FROM model_servers ORDER BY server"; }

