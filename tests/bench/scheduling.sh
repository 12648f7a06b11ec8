#!/bin/sh
# scheduling.sh: how well the engine keeps a model server busy. 200 postings
# go through workflow 3001 (with the skeptic on a third model) against the stub
# model server: 100 ms per call, 4 slots, one model loaded at a time, 1 s to
# switch models. Printed for the loaded-model-first order and for a plain
# first-come order: the wall time against the ideal (total service time / slots
# + the loads no order can avoid), slot utilisation, and model switches.
# The first-come run switches models hundreds of times and takes over ten
# minutes; BENCH_ORDERS=model leaves it out.
# Environment: BENCH_POSTINGS (200), BENCH_LATENCY_MS (100), BENCH_SLOTS (4),
# BENCH_SWITCH_MS (1000), BENCH_ORDERS ("model fifo").
set -u
: "${WAVERUNNER:?}" "${TOOLS:?}"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_POSTINGS:-200}
LAT=${BENCH_LATENCY_MS:-100}
SLOTS=${BENCH_SLOTS:-4}
SWITCH=${BENCH_SWITCH_MS:-1000}
ORDERS=${BENCH_ORDERS:-model fifo}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-scheduling.XXXXXX")
STUB_PID=
cleanup() {
	[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
. "$REPO/tests/bench/lib.sh"

three_models "$T/3001-3models.json"
bench_postings "$N"

# bench ORDER: prints one block of figures.
bench() {
	order=$1
	db="$T/$order.db"
	WAVERUNNER_DB=$db "$WAVERUNNER" init >/dev/null &&
		WAVERUNNER_DB=$db "$WAVERUNNER" load "$T/3001-3models.json" "$T/postings.json" >/dev/null &&
		WAVERUNNER_DB=$db "$WAVERUNNER" start --workflow 3001 --all >/dev/null || return 1
	bench_stub "$T/port" "$T/stats.json" --latency-ms "$LAT" --slots "$SLOTS" --switch-ms "$SWITCH"
	OLLAMA_HOST=127.0.0.1:$STUB_PORT WAVERUNNER_DB=$db "$WAVERUNNER" --json run --llm ollama --quiet \
		--parallel "$SLOTS" --per-server "$SLOTS" --per-model "$SLOTS" --order "$order" >"$T/run.json" ||
		return 1
	kill "$STUB_PID"
	wait "$STUB_PID" 2>/dev/null
	STUB_PID=
	# The least any order can do: load the first model, then qwen -> mistral -> gemma2
	# -> qwen (the HR expert needs the skeptic, who needs the analyst).
	q "WITH s AS (SELECT json(readfile('$T/stats.json')) AS j), r AS (SELECT json(readfile('$T/run.json')) AS j)
	   SELECT printf('order %-5s  %d postings, %d calls, %d runs completed, %d failed',
	                 '$order', $N, json_extract(s.j, '\$.requests'), json_extract(r.j, '\$.runs.completed'),
	                 json_extract(r.j, '\$.runs.failed')),
	          printf('  wall time     %7.1f s   (the server busy for %.1f s of it)',
	                 json_extract(r.j, '\$.elapsed_ms') / 1000.0, json_extract(s.j, '\$.span_ms') / 1000.0),
	          printf('  ideal         %7.1f s   (%.0f s of service / %d slots + 4 loads x %.1f s)',
	                 (json_extract(s.j, '\$.service_ms') / $SLOTS + 4 * $SWITCH) / 1000.0,
	                 json_extract(s.j, '\$.service_ms') / 1000.0, $SLOTS, $SWITCH / 1000.0),
	          printf('  of ideal      %7.1f %%   (ideal / wall time)',
	                 100.0 * (json_extract(s.j, '\$.service_ms') / $SLOTS + 4 * $SWITCH) / json_extract(r.j, '\$.elapsed_ms')),
	          printf('  utilisation   %7.1f %%   (service / (slots x wall time))',
	                 100.0 * json_extract(s.j, '\$.service_ms') / ($SLOTS * json_extract(r.j, '\$.elapsed_ms'))),
	          printf('  switches      %7d     (%d loads; at least 3 switches)',
	                 json_extract(s.j, '\$.model_switches'), json_extract(s.j, '\$.model_loads')),
	          printf('  slots unused  %7.1f s   waiting for waverunner, %.1f s draining for a switch, %.1f s loading (per slot)',
	                 json_extract(s.j, '\$.idle_slot_ms') / $SLOTS / 1000.0,
	                 json_extract(s.j, '\$.drain_slot_ms') / $SLOTS / 1000.0,
	                 json_extract(s.j, '\$.loading_slot_ms') / $SLOTS / 1000.0),
	          printf('  peak          %7d     requests at the server at once',
	                 json_extract(s.j, '\$.peak_concurrency'))
	   FROM s, r" | tr '|' '\n'
	cp "$T/stats.json" "$T/stats-$order.json"
}

for order in $ORDERS; do
	bench "$order" || { echo "scheduling: the $order run failed" >&2; exit 1; }
done
case "$ORDERS" in
*model*fifo*)
	q "SELECT printf('switches: loaded model first %d, first come %d (%.2f of it; aim: at most 0.20)',
	         json_extract(readfile('$T/stats-model.json'), '\$.model_switches'),
	         json_extract(readfile('$T/stats-fifo.json'), '\$.model_switches'),
	         1.0 * json_extract(readfile('$T/stats-model.json'), '\$.model_switches') /
	         max(1, json_extract(readfile('$T/stats-fifo.json'), '\$.model_switches')))"
	;;
esac
