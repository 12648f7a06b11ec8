#!/bin/sh
# The demo: workflow 3001 over the fixture postings, offline, with the model
# responses replayed from fixtures/replay. Creates a fresh demo.db and prints,
# per posting, what the run produced and the path it took; ends by writing
# the HTML report demo-report.html and printing its path.
# Usage: sh tests/demo.sh WAVERUNNER   (make demo does this)
set -eu
cd "$(dirname "$0")/.."
W=${1:-./waverunner}
DB=demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "== waverunner init, load, validate"
"$W" --db "$DB" init
"$W" --db "$DB" load fixtures/workflows/3001.json fixtures/postings/postings.json
"$W" --db "$DB" validate
echo
echo "== waverunner start --workflow 3001 --all"
"$W" --db "$DB" start --workflow 3001 --all
echo
echo "== waverunner run --llm replay"
"$W" --db "$DB" run --llm replay --replay-dir fixtures/replay --quiet
echo
echo "== results per posting"
sqlite3 -batch -noheader "$DB" <<'SQL'
WITH verdict AS (
  SELECT i.interaction_id, json_extract(e.event_data, '$.verdict') AS v
  FROM interactions i JOIN interaction_events e ON e.interaction_id = i.interaction_id
  WHERE e.event_type IN ('interaction_branched', 'no_rule_matched')),
rows AS (
SELECT p.posting_id AS posting,
       p.job_title AS title,
       coalesce(length(p.extracted_summary), '-') AS summary,
       coalesce(json_array_length(p.skill_keywords), '-') AS skills,
       coalesce(p.ihl_score || '/' || p.ihl_scale || ' ' || p.ihl_verdict, '-') AS ihl,
       r.workflow_run_id || ' ' || r.status AS run,
       (SELECT group_concat(step, ' > ') FROM (
          SELECT CASE i.conversation_id
                   WHEN 9193 THEN CASE (SELECT v FROM verdict WHERE verdict.interaction_id = i.interaction_id)
                                    WHEN '[VALID]' THEN NULL ELSE 'stopped: ' ||
                                    (SELECT v FROM verdict WHERE verdict.interaction_id = i.interaction_id) END
                   WHEN 3337 THEN 'grade ' || (SELECT v FROM verdict WHERE verdict.interaction_id = i.interaction_id)
                   WHEN 3338 THEN 'improve'
                   WHEN 3339 THEN 'regrade ' || (SELECT v FROM verdict WHERE verdict.interaction_id = i.interaction_id)
                   WHEN 3340 THEN 'ticket'
                   WHEN 9168 THEN 'format, save'
                   WHEN 9170 THEN CASE i.status WHEN 'completed' THEN 'skills, IHL saved'
                                  ELSE 'skills saved, IHL save FAILED' END
                 END AS step
          FROM interactions i WHERE i.workflow_run_id = r.workflow_run_id
          ORDER BY i.execution_order, i.interaction_id) WHERE step IS NOT NULL) AS path
FROM postings p JOIN workflow_runs r ON r.posting_id = p.posting_id AND r.workflow_id = 3001)
SELECT printf('%-7s  %!-30.30s  %7s  %6s  %-23s  %-12s  %s', 'posting', 'title', 'summary', 'skills',
              'IHL score', 'run', 'path taken')
UNION ALL SELECT * FROM (SELECT printf('%-7d  %!-30.30s  %7s  %6s  %-23s  %-12s  %s', posting, title, summary,
              skills, ihl, run, path) FROM rows ORDER BY posting);
SQL
sqlite3 -batch -noheader "$DB" "
SELECT count(*) || ' postings: ' ||
  sum(extracted_summary IS NOT NULL AND skill_keywords IS NOT NULL AND ihl_score IS NOT NULL) || ' with a summary, skills and an IHL score; ' ||
  (SELECT count(*) FROM workflow_runs WHERE status = 'failed') || ' run(s) failed visibly (see: waverunner --db demo.db status)'
FROM postings;"
echo "Look closer: ./waverunner --db $DB status    ./waverunner --db $DB trace RUN    (RUN: the number in the run column)"
echo
echo "== waverunner report -o demo-report.html"
"$W" --db "$DB" report --workflow 3001 -o demo-report.html >/dev/null
echo "The report, one self-contained HTML file (open it in a browser; click a run to see its path):"
echo "$(pwd)/demo-report.html"
