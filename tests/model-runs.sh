# model-runs.sh: what the scenario tests of scheduling against stub model
# servers share (t-limits.sh, t-pools.sh): two small workflows of two models,
# copied to $T/two.json (7201: two steps, every posting can run at once) and
# $T/alternate.json (7202: four steps that alternate between the models), and
# figures of a finished run. Source it after stub-llm.sh (postings, fresh).
cp "$REPO/tests/data/workflows/two-models.json" "$T/two.json"
cp "$REPO/tests/data/workflows/alternating-models.json" "$T/alternate.json"

completed() { sql "SELECT count(*) FROM interactions WHERE status = 'completed'"; }
# The learned limits, "N measured" or "N reported" each.
limits() { sql "SELECT max_in_flight || ' ' || source FROM model_servers ORDER BY server"; }
