/* engine.c: the scheduler loop (see engine.h).
 *
 * Built-ins and replayed model calls finish at once, so they are executed and
 * finished inside the transaction that selects them: one commit for a whole
 * batch. Model servers and scripts take time: their interactions are claimed
 * under a lease in one transaction, run concurrently, and finished in another
 * (all that ended since the last wait share it). */
#include "engine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "db.h"
#include "defs.h"
#include "err.h"
#include "exec.h"
#include "fetch.h"
#include "http.h"
#include "json.h"
#include "replay.h"
#include "script.h"
#include "util.h"

#define WINDOW 256 /* ready interactions looked at per round */

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	(void)sig;
	if (++interrupts >= 2) {
		static const char msg[] = "\nwaverunner: interrupted again: exiting now (stopping scripts); "
					  "leased work is taken back by the next run\n";
		ssize_t r = write(2, msg, sizeof msg - 1);
		(void)r;
		exec_kill_children(); /* no script or fetch outlives us */
		_exit(E_INTERRUPT);
	}
}

struct model_load {
	char key[128];
	int running;
	int limit;
};

struct engine {
	struct db *db;
	const struct engine_opts *o;
	struct engine_stats *st;
	struct defs defs;
	struct retry_policy policy;
	char owner[160];
	struct executor *builtin, *replay, *fetch, *scripts;
	struct executor *backends[LLM_RECORD + 1]; /* the live model backends, made on first use */
	struct executor *all[8];
	size_t nall;
	long started;
	size_t in_flight;
	size_t scripts_running;
	struct model_load *models;
	size_t nmodels;
	int64_t last_progress;
	long crash_after; /* WAVERUNNER_TEST_CRASH_AFTER: SIGKILL after this many (tests) */
};

void engine_opts_default(struct engine_opts *o)
{
	memset(o, 0, sizeof *o);
	o->llm = LLM_ACTOR;
	o->replay_dir = llm_default_replay_dir();
	o->parallel = 8;
	o->per_model = 1;
	o->scripts = 4;
	o->retry_base_ms = 1000;
	o->retry_cap_ms = 60000;
	o->grace_ms = 5000;
	/* Milliseconds; tests make retries fast with a small base. */
	const char *s = getenv("WAVERUNNER_RETRY_BASE_MS");
	if (s && atol(s) > 0)
		o->retry_base_ms = atol(s);
	s = getenv("WAVERUNNER_RETRY_CAP_MS");
	if (s && atol(s) > 0)
		o->retry_cap_ms = atol(s);
}

/* The process start time from /proc, so a reused pid is not taken for us. */
static unsigned long long start_time_of(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long long start = 0;
	/* After the command name: state, then fields 4..22; starttime is field 22. */
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

static void make_owner(char *out, size_t size)
{
	char host[64] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	snprintf(out, size, "%s:%ld:%llu", host, (long)getpid(), start_time_of(getpid()));
}

/* Is the process that holds a lease still running? Owners on another host are
 * presumed alive until their lease expires. */
static int owner_alive(const char *owner)
{
	char host[64] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	size_t hl = strlen(host);
	if (strncmp(owner, host, hl) || owner[hl] != ':')
		return 1;
	long pid = strtol(owner + hl + 1, NULL, 10);
	const char *colon = strchr(owner + hl + 1, ':');
	unsigned long long start = colon ? strtoull(colon + 1, NULL, 10) : 0;
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	return start_time_of(pid) == start;
}

static struct executor *remember(struct engine *e, struct executor *ex)
{
	if (ex && e->nall < ARRAY_LEN(e->all))
		e->all[e->nall++] = ex;
	return ex;
}

static struct executor *executor_for(struct engine *e, struct task *t)
{
	const char *type = t->actor->type;
	if (!strcmp(type, "builtin")) {
		if (strcmp(builtin_of(t->actor), "fetch_jobs"))
			return e->builtin;
		if (!e->fetch)
			e->fetch = remember(e, fetch_executor_new(db_path(e->db)));
		return e->fetch;
	}
	if (!strcmp(type, "script")) {
		if (!e->scripts)
			e->scripts = remember(e, script_executor_new(db_path(e->db)));
		return e->scripts;
	}
	if (e->o->model_executor)
		return e->o->model_executor;
	enum llm_mode b = llm_backend_for(t->actor, e->o->llm);
	if (b == LLM_REPLAY)
		return e->replay;
	if (!e->backends[b])
		e->backends[b] = remember(e, http_backend_new(b, e->o));
	return e->backends[b];
}

static struct model_load *model_load(struct engine *e, const struct task *t)
{
	for (size_t i = 0; i < e->nmodels; i++)
		if (!strcmp(e->models[i].key, t->model_key))
			return &e->models[i];
	e->models = xreallocarray(e->models, e->nmodels + 1, sizeof *e->models);
	struct model_load *m = &e->models[e->nmodels++];
	memset(m, 0, sizeof *m);
	snprintf(m->key, sizeof m->key, "%s", t->model_key);
	long limit = 0;
	m->limit = json_get_long(t->actor->config, "parallel", &limit) == 0 && limit > 0 ? (int)limit
										       : e->o->per_model;
	return m;
}

/* Whether t may start now without exceeding a limit. */
static int has_capacity(struct engine *e, struct task *t)
{
	if (e->in_flight >= (size_t)e->o->parallel)
		return 0;
	if (!strcmp(t->actor->type, "script") || !strcmp(t->actor->type, "builtin"))
		return e->scripts_running < (size_t)e->o->scripts;
	return model_load(e, t)->running < model_load(e, t)->limit;
}

static void account(struct engine *e, struct task *t, int delta)
{
	e->in_flight += (size_t)delta;
	if (!strcmp(t->actor->type, "script") || !strcmp(t->actor->type, "builtin"))
		e->scripts_running += (size_t)delta;
	else
		model_load(e, t)->running += delta;
}

static int limit_reached(const struct engine *e)
{
	return e->o->max_interactions && e->started >= e->o->max_interactions;
}

/* Builds the task for a ready row; NULL (row released) if its definition is
 * gone, after failing the interaction with the reason. */
static struct task *make_task(struct engine *e, struct ready *r)
{
	struct task *t = xcalloc(1, sizeof *t);
	t->r = *r;
	memset(r, 0, sizeof *r);
	result_init(&t->res);
	t->started_ms = mono_ms();
	if (defs_get(&e->defs, e->db, t->r.workflow_id, &t->wf) == E_OK)
		t->conv = workflow_conv(t->wf, t->r.conversation_id);
	if (t->conv)
		t->actor = workflow_actor(t->wf, t->conv->actor);
	if (t->actor) {
		t->deadline_ms = t->started_ms + (int64_t)t->conv->timeout_seconds * 1000;
		if (!strcmp(t->actor->type, "ai_model"))
			snprintf(t->model_key, sizeof t->model_key, "%s", wf_actor_model(t->actor));
	}
	return t;
}

/* Finishes one task inside the current transaction. */
static int finish(struct engine *e, struct task *t)
{
	if (e->o->llm == LLM_RECORD && t->res.ok && t->actor && !strcmp(t->actor->type, "ai_model")) {
		char *error;
		int changed;
		if (replay_write(e->o->replay_dir, t->r.input, &t->res, &changed, &error) < 0) {
			warn("could not record the response of interaction %ld: %s", t->r.id, error);
			free(error);
		} else if (changed) {
			warn("interaction %ld: the model answered a request it had answered before differently; "
			     "the recording keeps the last answer (set temperature 0 and a seed for runs that replay)",
			     t->r.id);
		}
	}
	e->st->finished++;
	/* Test hook: die here, inside the open transaction, like a power cut. */
	if (e->crash_after && e->st->finished >= e->crash_after)
		raise(SIGKILL);
	if (t->on_finish) {
		int rc = t->on_finish(e->db, t);
		if (rc)
			return rc;
	}
	return advance_finish(e->db, t, &e->policy, &e->st->adv);
}

/* One round: select ready work; run what finishes at once and claim what does
 * not, all in one transaction; then start the claimed tasks. */
static int claim_round(struct engine *e, int *progressed)
{
	struct ready *ready = xcalloc(WINDOW, sizeof *ready);
	struct task *to_start = NULL;
	size_t n = 0;
	char now[32];
	*progressed = 0;
	iso_now(now);
	int rc = db_begin(e->db);
	if (!rc)
		rc = db_ready(e->db, &e->o->scope, now, WINDOW, ready, &n);
	for (size_t i = 0; !rc && i < n && !limit_reached(e); i++) {
		struct task *t = make_task(e, &ready[i]);
		if (!t->actor) {
			result_fail(&t->res, FC_INTERNAL,
				    "conversation %ld is no longer a step of workflow %ld (or its actor is gone)",
				    t->r.conversation_id, t->r.workflow_id);
			err_clear();
			rc = finish(e, t);
			task_free(t);
			e->started++;
			*progressed = 1;
			continue;
		}
		struct executor *ex = executor_for(e, t);
		if (ex->finishes_inline) {
			rc = ex->start(ex, e->db, t);
			if (!rc)
				rc = finish(e, t);
			task_free(t);
			e->started++;
			*progressed = 1;
			continue;
		}
		if (!has_capacity(e, t)) {
			task_free(t);
			continue;
		}
		char lease[32];
		iso_time(now_ms() + (int64_t)t->conv->timeout_seconds * 1000 + 60000, lease);
		int claimed = 0;
		rc = db_interaction_claim(e->db, t->r.id, e->owner, lease, &claimed);
		if (rc || !claimed) {
			task_free(t);
			continue;
		}
		t->claimed = 1;
		t->priv = ex;
		account(e, t, +1);
		t->next = to_start;
		to_start = t;
		e->started++;
		*progressed = 1;
	}
	for (size_t i = 0; i < n; i++)
		db_ready_release(&ready[i]);
	free(ready);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	while (to_start) {
		struct task *t = to_start;
		to_start = t->next;
		t->next = NULL;
		if (rc) { /* the claims were rolled back */
			account(e, t, -1);
			task_free(t);
			continue;
		}
		struct executor *ex = t->priv;
		t->priv = NULL;
		t->started_ms = mono_ms();
		t->deadline_ms = t->started_ms + (int64_t)t->conv->timeout_seconds * 1000;
		ex->start(ex, NULL, t);
	}
	return rc;
}

/* Finishes the tasks the executors handed back, in one transaction. */
static int finish_batch(struct engine *e, struct task *done, int release)
{
	if (!done)
		return E_OK;
	int rc = db_begin(e->db);
	for (struct task *t = done; !rc && t; t = t->next)
		rc = release ? db_interaction_release(e->db, t->r.id) : finish(e, t);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	while (done) {
		struct task *t = done;
		done = t->next;
		account(e, t, -1);
		task_free(t);
	}
	return rc;
}

static void progress(struct engine *e, int final)
{
	if (!e->o->progress)
		return;
	int64_t now = mono_ms();
	if (!final && now - e->last_progress < 200)
		return;
	e->last_progress = now;
	const struct advance_stats *a = &e->st->adv;
	fprintf(stderr, "\r\033[Kwaverunner: run: %ld completed, %ld failed, %ld retried, %zu running%s",
		a->completed, a->failed, a->retried, e->in_flight, final ? "\n" : "");
	fflush(stderr);
}

/* Waits for executors (or until timeout_ms). */
static void wait_for_work(struct engine *e, int timeout_ms)
{
	struct pollfd fds[512];
	size_t n = 0;
	struct executor *waiter = NULL;
	for (size_t i = 0; i < e->nall; i++) {
		struct executor *ex = e->all[i];
		if (ex->wait && !waiter) {
			waiter = ex;
			continue;
		}
		if (ex->fds)
			n += ex->fds(ex, fds + n, ARRAY_LEN(fds) - n);
	}
	int64_t now = mono_ms();
	for (size_t i = 0; i < e->nall; i++) {
		if (!e->all[i]->next_wakeup)
			continue;
		int64_t w = e->all[i]->next_wakeup(e->all[i], now);
		if (w >= 0 && w < timeout_ms)
			timeout_ms = (int)w;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (waiter)
		waiter->wait(waiter, fds, n, timeout_ms);
	else if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
		usleep(1000);
}

int engine_run(struct db *db, const struct engine_opts *o, struct engine_stats *st)
{
	struct engine e = { .db = db, .o = o, .st = st };
	memset(st, 0, sizeof *st);
	e.policy.base_ms = o->retry_base_ms;
	e.policy.cap_ms = o->retry_cap_ms;
	e.policy.rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	make_owner(e.owner, sizeof e.owner);
	const char *crash = getenv("WAVERUNNER_TEST_CRASH_AFTER");
	e.crash_after = crash ? atol(crash) : 0;
	e.builtin = remember(&e, builtin_executor_new());
	e.replay = remember(&e, replay_executor_new(o->replay_dir));
	if (o->model_executor)
		remember(&e, o->model_executor);

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	interrupts = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	int64_t t0 = mono_ms();
	char now[32];
	iso_now(now);
	int rc = db_begin(db);
	if (!rc)
		rc = db_recover_leases(db, now, owner_alive, &st->recovered);
	if (!rc)
		rc = db_commit(db);
	else
		db_rollback(db);

	int stopping = 0;
	int64_t stop_deadline = 0;
	while (!rc) {
		if (interrupts && !stopping) {
			stopping = 1;
			stop_deadline = mono_ms() + o->grace_ms;
			if (e.in_flight && o->progress)
				fprintf(stderr, "\nwaverunner: run: interrupted: letting %zu interaction%s finish "
						"(Ctrl-C again to exit now)\n",
					e.in_flight, e.in_flight == 1 ? "" : "s");
		}
		if (stopping) {
			if (!e.in_flight)
				break;
			if (mono_ms() >= stop_deadline) {
				struct task *done = NULL;
				for (size_t i = 0; i < e.nall; i++)
					if (e.all[i]->abort_all)
						e.all[i]->abort_all(e.all[i], &done);
				rc = finish_batch(&e, done, 1);
				break;
			}
		}
		int progressed = 0;
		if (!stopping && !limit_reached(&e))
			rc = claim_round(&e, &progressed);
		if (rc)
			break;
		progress(&e, 0);
		if (!e.in_flight) {
			if (progressed)
				continue;
			if (stopping || limit_reached(&e))
				break;
			char due[32];
			if ((rc = db_next_due(db, &o->scope, due)))
				break;
			if (!due[0])
				break; /* nothing pending in scope: done */
			/* Only retries waiting for their time: sleep until the first is due. */
			iso_now(now);
			int64_t wait = strcmp(due, now) <= 0 ? 0 : 50;
			while (wait && !interrupts) {
				usleep(50000);
				iso_now(now);
				if (strcmp(due, now) <= 0)
					break;
				progress(&e, 0);
			}
			continue;
		}
		wait_for_work(&e, progressed ? 0 : 250);
		struct task *done = NULL;
		for (size_t i = 0; i < e.nall; i++)
			if (e.all[i]->collect)
				e.all[i]->collect(e.all[i], &done);
		rc = finish_batch(&e, done, 0);
	}
	st->elapsed_ms = mono_ms() - t0;
	st->interrupted = interrupts > 0;
	progress(&e, 1);
	for (size_t i = 0; i < e.nall; i++)
		if (e.all[i] != o->model_executor)
			e.all[i]->destroy(e.all[i]);
	free(e.models);
	defs_release(&e.defs);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (!rc && st->interrupted)
		rc = E_INTERRUPT;
	return rc;
}
