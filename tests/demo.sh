#!/bin/sh
# The demo: workflow 3001 over the fixture postings, offline, with the model
# responses replayed from fixtures/replay. Creates a fresh demo.db and prints,
# per posting, what the run produced (waverunner list), and one posting in full
# with the path its run took (waverunner show); ends by writing the HTML report
# demo-report.html and printing its path.
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
echo "== results per posting: waverunner list postings"
"$W" --db "$DB" list postings --workflow 3001
echo
echo "== one posting in full: waverunner show 10004 (its summary failed review twice, then made a ticket)"
"$W" --db "$DB" show 10004
echo
sqlite3 -batch -noheader "$DB" "
SELECT count(*) || ' postings: ' ||
  sum(extracted_summary IS NOT NULL AND skill_keywords IS NOT NULL AND ihl_score IS NOT NULL) || ' with a summary, skills and an IHL score; ' ||
  (SELECT count(*) FROM workflow_runs WHERE status = 'failed') || ' run(s) failed visibly (see: waverunner --db demo.db status)'
FROM postings;"
echo "Look closer: ./waverunner --db $DB status    ./waverunner --db $DB show POSTING    ./waverunner --db $DB trace --posting POSTING"
echo
echo "== waverunner report -o demo-report.html"
"$W" --db "$DB" report --workflow 3001 -o demo-report.html >/dev/null
echo "The report, one self-contained HTML file (open it in a browser; click a run to see its path):"
echo "$(pwd)/demo-report.html"
