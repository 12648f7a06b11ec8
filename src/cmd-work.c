/* cmd-work.c: waverunner work: the claim-run-push loop of an instance that
 * shares turing with others. Each round claims postings no other instance
 * holds and pulls them, starts their runs, runs them, pushes the results and
 * ends the claims; again, until nothing is left (or, with --every, for good)
 * or Ctrl-C. The engine knows nothing of PostgreSQL: it runs in a thread of
 * its own while this thread extends the claims' leases on a timer, so a long
 * step never lets a lease lapse, and a process that stops (kill -9, a
 * suspended laptop) stops extending and its claims go to the others. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "advance.h"
#include "claims.h"
#include "cmd.h"
#include "db-runs.h"
#include "db-sync.h"
#include "db.h"
#include "engine.h"
#include "err.h"
#include "json.h"
#include "llm.h"
#include "pg.h"
#include "sync.h"
#include "util.h"
#include "validate.h"
#include "workflow.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	cmd_signal_again(&stop, "work: interrupted again: exiting now; claims not given back expire and go to "
				"other instances\n");
}

struct work_args {
	const char *conninfo;
	long workflow;
	long claim;
	int64_t lease_ms;
	int64_t every_ms;
	struct engine_opts eng;
};

struct work_state {
	struct cmd_ctx *ctx;
	struct work_args *a;
	struct pg *pg;
	char *instance;
	struct workflow wf;
	const struct wf_conv *from;
	long pushed, conflicts, done, failed, rounds;
};

/* Sleeps ms unless interrupted. */
static void nap(int64_t ms)
{
	int64_t until = mono_ms() + ms;
	while (!stop && mono_ms() < until) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static int reconnect(struct work_state *w)
{
	pg_close(w->pg);
	w->pg = NULL;
	return pg_connect(w->a->conninfo, &w->pg);
}

/* Starts a run of the workflow for each claimed posting that has none running
 * and has not completed it (a claim taken back after a crash of this very
 * database continues its run). One transaction. */
static int start_claimed(struct work_state *w, const cJSON *claimed, long *started)
{
	struct db *db = w->ctx->db;
	const cJSON *it;
	char *params = json_print(w->wf.parameters);
	*started = 0;
	int rc = db_begin(db);
	cJSON_ArrayForEach(it, claimed) {
		long posting = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "posting_id"));
		long active = 0, completed = 0, run, seed;
		struct sync_local local;
		if (rc || (rc = db_sync_local(db, posting, &local)))
			break;
		int here = local.exists && local.pulled;
		db_sync_local_release(&local);
		if (!here)
			continue;
		if ((rc = db_run_active_for(db, w->wf.id, posting, &active)) ||
		    (rc = db_run_completed_for(db, w->wf.id, posting, &completed)))
			break;
		if (active || completed)
			continue;
		if ((rc = db_run_create(db, w->wf.id, posting, params, "work", &run)))
			break;
		struct spawn sp = { run, posting, params, w->from, 0, NULL, 0 };
		if ((rc = advance_create(db, &w->wf, &sp, &seed)))
			break;
		(*started)++;
	}
	if (!rc)
		rc = db_commit(db);
	else
		db_rollback(db);
	free(params);
	return rc;
}

struct engine_job {
	struct db *db;
	const struct engine_opts *o;
	struct engine_stats st;
	int rc;
	char *msg;
	atomic_int done;
};

static void *engine_thread(void *arg)
{
	struct engine_job *j = arg;
	j->rc = engine_run(j->db, j->o, &j->st);
	if (j->rc)
		j->msg = xstrdup(err_msg());
	err_clear();
	atomic_store(&j->done, 1);
	return NULL;
}

/* Extends the leases of held; says which claims were lost. */
static void extend(struct work_state *w, const struct held_claim *held, size_t n)
{
	long *lost;
	size_t nlost;
	char until[64];
	int rc = w->pg ? sync_extend(w->pg, held, n, w->a->lease_ms, &lost, &nlost, until) : E_REMOTE;
	if (rc == E_REMOTE && !reconnect(w))
		rc = sync_extend(w->pg, held, n, w->a->lease_ms, &lost, &nlost, until);
	if (rc) {
		warn("could not extend the leases of %zu claim%s: %s", n, n == 1 ? "" : "s", err_msg());
		err_clear();
		return;
	}
	for (size_t i = 0; i < nlost; i++)
		warn("posting %ld: claim lost (it expired and another instance took it over); its results will not be "
		     "pushed over the new owner's", lost[i]);
	free(lost);
}

/* Runs the engine over the workflow's runs while extending the leases of the
 * claims this database holds every third of a lease. */
static int run_engine(struct work_state *w, struct engine_stats *st)
{
	struct held_claim *held;
	size_t nheld;
	int rc = db_claims_held(w->ctx->db, pg_where(w->pg), &held, &nheld);
	if (rc)
		return rc;
	struct engine_job j = { .db = w->ctx->db, .o = &w->a->eng };
	atomic_init(&j.done, 0);
	pthread_t t;
	if (pthread_create(&t, NULL, engine_thread, &j)) {
		db_claims_free(held, nheld);
		return err_set(E_DB, "cannot start the engine's thread");
	}
	int64_t every = w->a->lease_ms / 3, next = mono_ms() + every;
	while (!atomic_load(&j.done)) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
		if (mono_ms() >= next && !atomic_load(&j.done)) {
			extend(w, held, nheld);
			next = mono_ms() + every;
		}
	}
	pthread_join(t, NULL);
	db_claims_free(held, nheld);
	*st = j.st;
	if (j.rc)
		err_set(j.rc, "%s", j.msg ? j.msg : "the engine failed");
	free(j.msg);
	if (st->interrupted)
		stop = stop ? stop : 1;
	return j.rc == E_INTERRUPT ? E_OK : j.rc;
}

/* A count in a report; 0 when absent (a push that stopped early). */
static long count(const cJSON *o, const char *key)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* Pushes what the round produced; the push ends the claims of postings whose
 * runs ended. */
static int push(struct work_state *w, long *pushed)
{
	struct push_opts po = { .batch = 100 };
	cJSON *report = cJSON_CreateObject();
	int rc = sync_push(w->ctx->db, w->pg, &po, report);
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(report, "postings")) {
		const char *result = json_str(it, "result");
		if (strcmp(result, "pushed") && strcmp(result, "up_to_date"))
			warn("posting %ld: %s: %s", count(it, "posting_id"),
			     result, json_str(it, "message") ? json_str(it, "message") : "not pushed");
	}
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(report, "claims");
	*pushed = count(report, "pushed");
	w->pushed += *pushed;
	w->conflicts += count(report, "conflicts");
	w->done += count(cl, "done");
	w->failed += count(cl, "failed");
	cJSON_Delete(report);
	return rc == E_FAIL ? E_OK : rc;
}

/* Whether anything is left: free postings or claims of other instances (its
 * own that remain could not be pushed, and were reported); *wait_ms until the
 * first of those claims expires (others may still finish theirs). */
static int left(struct work_state *w, int *any, int64_t *wait_ms)
{
	struct pg_res *r;
	const char *params[] = { w->instance };
	int rc = pg_exec(w->pg,
			 "SELECT EXISTS (SELECT 1 FROM waverunner_claims WHERE state = 'free'), "
			 "(SELECT (extract(epoch FROM min(expires_at) - now()) * 1000)::bigint FROM waverunner_claims "
			 "WHERE state = 'claimed' AND instance IS DISTINCT FROM $1)",
			 1, params, &r);
	if (rc)
		return rc == E_FAIL ? err_wrap(E_REMOTE, "PostgreSQL at %s", pg_where(w->pg)) : rc;
	const char *free_rows = pg_get(r, 0, 0), *next = pg_get(r, 0, 1);
	*any = (free_rows && !strcmp(free_rows, "t")) || next;
	long ms = 0;
	if (next)
		parse_long(next, &ms);
	*wait_ms = ms;
	pg_res_free(r);
	return E_OK;
}

/* One round: claim, start, run, push. *claimed: how many it claimed. */
static int round_once(struct work_state *w, long *claimed)
{
	cJSON *report = cJSON_CreateObject();
	*claimed = 0;
	int rc = sync_claim(w->ctx->db, w->pg, w->instance, w->a->claim, w->a->lease_ms, report);
	if (rc && rc != E_FAIL) {
		cJSON_Delete(report);
		return rc;
	}
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(report, "claimed"), *it;
	int taken = 0;
	cJSON_ArrayForEach(it, c)
		taken += json_str(it, "taken_from") != NULL;
	*claimed = cJSON_GetArraySize(c);
	long started = 0, pushed = 0;
	rc = start_claimed(w, c, &started);
	cJSON_Delete(report);
	struct held_claim *held;
	size_t nheld;
	if (!rc)
		rc = db_claims_held(w->ctx->db, pg_where(w->pg), &held, &nheld);
	if (rc)
		return rc;
	int active = 0;
	for (size_t i = 0; i < nheld; i++)
		active |= held[i].active;
	db_claims_free(held, nheld);
	struct engine_stats st = { 0 };
	if (active && (rc = run_engine(w, &st)))
		return rc;
	/* The engine may have run long: a lost connection is found again here. */
	if ((rc = push(w, &pushed)) == E_REMOTE && !reconnect(w))
		rc = push(w, &pushed);
	if (rc)
		return rc;
	if (*claimed || active || pushed) {
		w->rounds++;
		char now[32];
		iso_now(now);
		printf("round %ld at %s: claimed %ld posting%s", w->rounds, now, *claimed, *claimed == 1 ? "" : "s");
		if (taken)
			printf(" (%d taken over from expired claims)", taken);
		printf(", started %ld run%s, ran %ld interaction%s (%ld failed), pushed %ld posting%s\n", started,
		       started == 1 ? "" : "s", st.adv.completed + st.adv.failed,
		       st.adv.completed + st.adv.failed == 1 ? "" : "s", st.adv.failed, pushed, pushed == 1 ? "" : "s");
		fflush(stdout);
	}
	return E_OK;
}

/* Ctrl-C: what was produced is pushed, the claims not finished are given back. */
static int wind_down(struct work_state *w)
{
	long pushed = 0;
	int rc = w->pg ? push(w, &pushed) : E_REMOTE;
	if (rc == E_REMOTE && !reconnect(w))
		rc = push(w, &pushed);
	cJSON *rel = cJSON_CreateObject();
	if (!rc)
		rc = sync_release(w->ctx->db, w->pg, 1, rel);
	long freed = count(rel, "freed");
	cJSON_Delete(rel);
	if (rc) {
		err_wrap(rc, "interrupted, but could not push and give back the claims (they expire and go to other "
			 "instances)");
		return rc;
	}
	note("interrupted: results pushed (%ld posting%s this time), %ld unfinished claim%s given back", pushed,
	     pushed == 1 ? "" : "s", freed, freed == 1 ? "" : "s");
	return E_INTERRUPT;
}

static int work(struct work_state *w)
{
	struct work_args *a = w->a;
	int rc;
	for (;;) {
		if (stop)
			return wind_down(w);
		long claimed = 0;
		rc = w->pg ? round_once(w, &claimed) : E_REMOTE;
		if (stop)
			return wind_down(w);
		if (rc == E_REMOTE && a->every_ms) {
			/* Periodic: the server may come back by the next round. */
			err_print();
			nap(a->every_ms);
			if (reconnect(w)) {
				err_print();
				err_clear();
			}
			continue;
		}
		if (rc)
			return rc;
		if (claimed)
			continue;
		int any = 0;
		int64_t wait_ms = 0;
		if ((rc = left(w, &any, &wait_ms)))
			return rc;
		if (any) {
			/* Others hold the rest: wait until one of their claims may expire. */
			nap(wait_ms < 200 ? 200 : wait_ms > 5000 ? 5000 : wait_ms);
			continue;
		}
		if (!a->every_ms)
			break;
		nap(a->every_ms);
	}
	printf("nothing left to claim: %ld round%s, %ld posting%s pushed, %ld claim%s done, %ld failed\n", w->rounds,
	       w->rounds == 1 ? "" : "s", w->pushed, w->pushed == 1 ? "" : "s", w->done, w->done == 1 ? "" : "s",
	       w->failed);
	if (w->conflicts)
		return err_set(E_FAIL, "%ld result%s not pushed: conflicts (see above)", w->conflicts,
			       w->conflicts == 1 ? " was" : "s were");
	return E_OK;
}

static int parse_count(struct cmd_ctx *ctx, const char *opt, const char *arg, long max, long *out)
{
	long v;
	if (parse_long(arg, &v) < 0 || v < 1 || v > max)
		return cmd_usage_error(ctx, "%s needs a number from 1 to %ld, not '%s'", opt, max, arg);
	*out = v;
	return E_OK;
}

enum { O_PG = CMD_OPT_LONG_ONLY + 1, O_LEASE };

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "the workflow to run on each claimed posting (loaded or pulled here)" },
	{ "claim", 'c', "N", "postings to claim at a time" },
	{ "pg", O_PG, "CONNINFO", "the PostgreSQL server (as for sync; default $WAVERUNNER_PG)" },
	{ "lease", O_LEASE, "DURATION",
	  "how long a claim lasts unless extended; work extends it every third\n"
	  "of that while it runs (default 10m)" },
	{ "every", 'e', "DURATION",
	  "when nothing is left, look again every DURATION (30s, 5m) instead of\n"
	  "exiting" },
	{ "llm", 'l', "MODE", "where model calls go, as for run (replay, ollama, openai, record)" },
	{ "parallel", 'j', "N", "interactions in flight at once, as for run (default 32)" },
	{ "per-model", 'm', "N", "requests in flight per model, as for run (default 1)" },
	{ 0 },
};

static int cmd_work(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct work_args a = { .claim = 0, .lease_ms = 10 * 60 * 1000 };
	engine_opts_default(&a.eng);
	int rc = E_OK, c;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0 && !rc) {
		long v = 0;
		switch (c) {
		case O_PG: a.conninfo = optarg; break;
		case 'w': rc = cmd_parse_id(ctx, "--workflow", optarg, &a.workflow); break;
		case 'c': rc = parse_count(ctx, "--claim", optarg, 100000, &a.claim); break;
		case O_LEASE:
			if (parse_duration_ms(optarg, &a.lease_ms) < 0 || a.lease_ms < 1000 ||
			    a.lease_ms > 7LL * 24 * 3600 * 1000)
				rc = cmd_usage_error(ctx, "--lease needs a duration from 1s to 7d, such as 30s or 10m, "
						     "not '%s'", optarg);
			break;
		case 'e':
			if (parse_duration_ms(optarg, &a.every_ms) < 0 || a.every_ms < 1000)
				rc = cmd_usage_error(ctx, "--every needs a duration of at least 1s, such as 30s or 5m, "
						     "not '%s'", optarg);
			break;
		case 'l': {
			int m = llm_mode_parse(optarg);
			if (m < 0)
				rc = cmd_usage_error(ctx, "--llm is replay, ollama, openai or record, not '%s'", optarg);
			else
				a.eng.llm = (enum llm_mode)m;
			break;
		}
		case 'j':
			if (!(rc = parse_count(ctx, "--parallel", optarg, 100000, &v)))
				a.eng.parallel = (int)v;
			break;
		case 'm':
			if (!(rc = parse_count(ctx, "--per-model", optarg, 100000, &v)))
				a.eng.per_model = (int)v;
			break;
		}
	}
	if (c < 0 || rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (!a.workflow)
		return cmd_usage_error(ctx, "say which workflow: --workflow ID");
	if (!a.claim)
		return cmd_usage_error(ctx, "say how many postings to claim at a time: --claim N");
	a.eng.scope.workflow_id = a.workflow;
	if ((rc = engine_opts_env(&a.eng)) || (rc = cmd_open_db(ctx, 0)))
		return rc;
	struct work_state w = { .ctx = ctx, .a = &a };
	if ((rc = cmd_read_runnable_workflow(ctx, a.workflow, &w.wf)))
		goto out;
	w.from = workflow_posting_entry(&w.wf);
	if (!w.from) {
		rc = err_set(E_INPUT, "workflow %ld has no step that works on a posting", w.wf.id);
		goto out;
	}
	if ((rc = sync_instance(ctx->db, 1, &w.instance)) || (rc = pg_connect(a.conninfo, &w.pg)))
		goto out;
	if ((rc = sync_claims_ready(w.pg)))
		goto out;
	stop = 0;
	cmd_catch_signals(on_signal);
	printf("instance %s works on workflow %ld with PostgreSQL at %s: %ld posting%s at a time, leases of %lld s\n",
	       w.instance, a.workflow, pg_where(w.pg), a.claim, a.claim == 1 ? "" : "s", (long long)(a.lease_ms / 1000));
	fflush(stdout);
	rc = work(&w);
out:
	pg_close(w.pg);
	free(w.instance);
	workflow_release(&w.wf);
	return rc;
}

CMD_DEFINE(work, options,
	   "work --workflow ID --claim N [--pg CONNINFO] [--lease DURATION] [--every DURATION] [--llm MODE] "
	   "[--parallel N] [--per-model N]",
	   "claim postings in PostgreSQL, run them, push the results, and again, sharing turing with "
	   "other instances");
