#!/bin/sh
# The query plans of the statements the engine and status run, pinned: with a
# large backlog (50,000 runs) a plan that walks every running run or sorts
# every pending row costs each scheduling round (30 ms a round). Every
# statement that run, run --run and status prepare is recorded with its
# EXPLAIN QUERY PLAN (the WAVERUNNER_TEST_EXPLAIN hook of src/db.c), on a fresh
# database and again after ANALYZE (plans must not depend on statistics), and
# checked: no SCAN of a big table (interactions, workflow_runs,
# interaction_events, interaction_parents, postings, texts) other than through a
# covering index or the walk of the pending queue in its order
# (interactions_pending, stopped by LIMIT); no temporary b-tree in a statement
# that reads a big table. status over every workflow reads counts of the
# finished interactions kept as they change (schema *-status-counts.sql) and
# the live ones through their partial index: none of its statements scans a
# big table at all, not even through a covering index, so that its cost does
# not grow with the finished postings.
. "$(dirname "$0")/lib.sh"

wr init >/dev/null
wr load "$REPO/fixtures/workflows/3001.json" "$REPO/fixtures/postings/postings.json" >/dev/null
wr start --workflow 3001 --all >/dev/null

# check_plans WHAT FILE [strict]: one check per statement in FILE; strict: no
# SCAN of a big table at all.
check_plans() {
	awk -v what="$1" -v strict="${3:-}" '
	function flush() {
		if (sql == "") return
		n++
		line = substr(sql, 1, 150)
		if (bad == "") print "ok " n " - " what ": " line
		else { print "not ok " n " - " what ": " line; print "#   " bad; print "#   sql: " sql }
	}
	/^== / {
		flush()
		sql = substr($0, 4); bad = ""
		delete big; reads_big = 0
		# The big tables and their aliases: FROM/JOIN table [AS] [alias].
		t = sql; gsub(/[(),]/, " ", t)
		k = split(t, w, " ")
		for (i = 1; i < k; i++) {
			if (w[i] != "FROM" && w[i] != "JOIN") continue
			name = w[i + 1]
			if (name !~ /^(interactions|workflow_runs|interaction_events|interaction_parents|postings|texts)$/) continue
			reads_big = 1; big[name] = 1
			a = w[i + 2]; if (a == "AS") a = w[i + 3]
			if (a !~ /^(ON|USING|WHERE|JOIN|CROSS|LEFT|INNER|INDEXED|GROUP|ORDER|LIMIT|SET|HAVING)$/ && a != "") big[a] = 1
		}
		next
	}
	{
		d = $0
		if (d ~ /^SCAN / && (split(d, s, " ") >= 2) && (s[2] in big) &&
		    (strict != "" || (d !~ /USING COVERING INDEX/ && d !~ /USING INDEX interactions_pending$/)))
			bad = bad (bad == "" ? "" : "; ") d
		if (d ~ /USE TEMP B-TREE/ && reads_big)
			bad = bad (bad == "" ? "" : "; ") d
	}
	END { flush() }' "$2" >"$T/plans.tap"
	while IFS= read -r l; do
		case "$l" in
		"ok "*) _ok "${l#ok * - }" ;;
		"not ok "*) _not_ok "${l#not ok * - }" ;;
		"#   "*) echo "$l" ;;
		esac
	done <"$T/plans.tap"
}

for round in fresh analyzed; do
	rm -f "$T/plan"
	if [ "$round" = analyzed ]; then
		sql "ANALYZE"
		wr start --workflow 3001 --all --again >/dev/null
	fi
	run=$(sql "SELECT max(workflow_run_id) FROM workflow_runs WHERE status = 'running'")
	WAVERUNNER_TEST_EXPLAIN="$T/plan" wr run --llm replay --replay-dir "$REPO/fixtures/replay" --run "$run" >/dev/null 2>&1
	WAVERUNNER_TEST_EXPLAIN="$T/plan" wr run --llm replay --replay-dir "$REPO/fixtures/replay" >/dev/null 2>&1
	check_eq "$round: every run finished" "$(sql "SELECT count(*) FROM workflow_runs WHERE status = 'running'")" 0
	rm -f "$T/status-plan"
	WAVERUNNER_TEST_EXPLAIN="$T/status-plan" wr status >/dev/null
	cat "$T/status-plan" >>"$T/plan"
	WAVERUNNER_TEST_EXPLAIN="$T/plan" wr status "$run" >/dev/null
	plan=$(cat "$T/plan")
	check_contains "$round: the ready query was recorded" "$plan" "INDEXED BY interactions_pending"
	check_contains "$round: ... and the next due time" "$plan" "ORDER BY i.not_before LIMIT 1"
	check_contains "$round: ... and the look-up of a stored text by its hash" "$plan" "FROM texts WHERE hash = ?1"
	check_contains "$round: ... and the reading of one by its id" "$plan" "FROM texts WHERE text_id = ?1"
	check_contains "$round: ... and status's counts of the steps" "$plan" "FROM status_steps WHERE workflow_id = ?1"
	check_contains "$round: ... and of the runs" "$plan" "FROM status_runs"
	check_contains "$round: ... and status's walk over the live interactions" "$plan" \
		"INDEXED BY interactions_ready CROSS JOIN workflow_runs"
	check_contains "$round: ... and status RUN's pass over the run" "$plan" "INDEXED BY interactions_by_run"
	check_plans "$round" "$T/plan"
	check_plans "$round: status, no scan at all" "$T/status-plan" strict
done
finish
