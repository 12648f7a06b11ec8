/* engine.c: the scheduler loop (see engine.h).
 *
 * Built-ins and replayed model calls finish at once, so they are executed and
 * finished inside the transaction that selects them: one commit for a whole
 * batch. Model servers and scripts take time: their interactions are claimed
 * under a lease in one transaction, run concurrently, and finished in another
 * (all that ended since the last wait share it).
 *
 * Loaded model first. A model server that holds one model at a time (Ollama on
 * most machines) pays seconds to switch models, and it only switches once the
 * requests for the loaded model have drained; requests for another model sent
 * meanwhile wait in its queue and force the switch as soon as they can. So each
 * server has a set of active models: only requests for those are sent, and a
 * model leaves the set only when none of its requests is ready or in flight.
 * The set holds --loaded-models, else as many models as the server was seen to
 * keep loaded at once: a server that lists what it keeps loaded (Ollama's
 * /api/ps) is asked at the start and after each switch, once it has answered
 * the new model; one that still holds the model before gets work for both from
 * then on (OLLAMA_MAX_LOADED_MODELS). A request that completes usually makes
 * the next step of the same posting ready, often for the same model, so holding on while
 * requests are in flight costs nothing on such a server: the other model could
 * not start before they ended anyway. The free place goes to the model with the
 * most ready work (then the oldest). Ready rows of models that are not active
 * are read last (db_ready's later_actors), so a window full of them never hides
 * the work of the active model. No starvation: a model that has held its
 * place for TURN_MS while the set is full and other models of its server have
 * work pending gets no more requests; once drained it leaves the set, and the
 * place goes to a model whose turn was not ended more recently (then the one
 * with the most ready work). So the oldest work of any model waits at most
 * about a turn per model and a drain. --order fifo turns all this off, to
 * compare.
 *
 * Outages. A model call that fails because of its server (unreachable,
 * refused, reset, HTTP 5xx: result.server_down) is not the posting's fault:
 * its interaction is released, pending again without spending an attempt, and
 * the server is marked down. No work is sent to a down server but one probe
 * at a time, the next of its requests, with exponential backoff; when a
 * request to it gets an answer, it is up again. If it has failed for the
 * patience (--patience) since it last answered, run gives up on it: its
 * interactions stay pending, the rest of the work goes on, and run ends with
 * E_REMOTE naming it. An interaction whose request met a server failure
 * FREE_FAILURES times while its server was taken to be up is counted as
 * failing itself (it spends attempts), so that a request that breaks a
 * server cannot keep it busy forever.
 *
 * Limits. How many requests a server takes at once is learned, not asked of
 * the user: a server that reports its slots (llama.cpp's /props total_slots)
 * gets that many; any other starts at FIRST_LIMIT (a server of one slot
 * queues the few extra, and they are given back within a window; a server
 * of many is full after one window instead of several doublings from one)
 * and is adjusted from what is measured, a Vegas-style limiter: each model call's time less its load time
 * is compared with the shortest seen for its step (at a limit of one the
 * latest is taken as that, so a server that became slower is relearned);
 * when an answer reports that the model was loaded for it (LOAD_MS or
 * more), the other answers to requests sent before it are not measured,
 * since they waited for the load, whatever load time each reports (Ollama
 * and the stub report it for the first); over
 * a window of about a limit's worth of answers, the requests queued at the
 * server are estimated as limit * (1 - shortest / average). Fewer than half a
 * request queued while the limit was reached: the limit doubles, or rises by
 * one once it has fallen; more than one and a half: it falls to what the
 * server served (limit * shortest / average) and one more. A limit one over
 * the slots keeps a request waiting at the server, so a slot that comes free
 * is used at once. A model's limit is its
 * server's (a server holding one model at a time still runs only that one's
 * work); never above --parallel. --per-server, --per-model or an actor's
 * "parallel" fix the limits instead; nothing is learned then. Learned limits
 * are stored (db_server_limit_set) for status.
 *
 * Pools. One actor's calls may go to several servers (several GPU boxes
 * serving the same model): the addresses its "base_url", OLLAMA_HOST or
 * OPENAI_BASE_URL lists (http_actor_urls). Each server keeps its own limit,
 * its own set of active models and its own outage state; ready work counts
 * for its model on every server of its pool that is up, so each of them
 * chooses its models as above. A model call is placed on a server only when
 * it is claimed (place): a down server due for a probe takes it as the probe
 * (so that a server that is back is found while the others carry the work);
 * else the up server with the most room under its limits where its model is
 * active. A server that fails releases its requests, spending no attempt,
 * and the next round places them on the others; only when every server of a
 * pool has been down for the patience does its work wait, and run end with
 * E_REMOTE naming each. A server given up on gets nothing more in this run. */
#include "engine.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "db-report.h"
#include "db.h"
#include "db-outage.h"
#include "db-limits.h"
#include "defs.h"
#include "err.h"
#include "exec.h"
#include "fetch.h"
#include "http.h"
#include "json.h"
#include "llmreply.h"
#include "preflight.h"
#include "replay.h"
#include "script.h"
#include "util.h"

#define WINDOW 256 /* ready interactions looked at per round */
#define FREE_FAILURES 5 /* server failures of one request that spend no attempt */
#define PROBE_CAP_MS 15000 /* the longest wait between probes of a down server */
#define QUEUE_LOW 0.5  /* requests queued at a server below which its limit rises */
#define QUEUE_HIGH 1.5 /* above which it falls */
#define TURN_MS 60000  /* how long one model may keep a full server from other models' work */
#define FIRST_LIMIT 8  /* a measured limit starts here (see Limits) */
#define LOAD_MS 50     /* a load time from which an answer says its model was loaded for it (see Limits) */

/* Leases. Work that takes time is claimed under a lease of LEASE_MS; while it
 * is in flight the engine renews every lease it holds once less than
 * RENEW_MARGIN of it is left (half the lease: every minute). The margin is twice
 * the 30 s a transaction may wait for the database lock (the busy timeout in
 * db.c), so a renewal is not late even when the database was busy. A process
 * that cannot renew in time (stopped, a paused VM, its clock jumped) may lose
 * its leases to another run; what it finishes afterwards is discarded, not
 * recorded (the fence: db-runs.h). WAVERUNNER_TEST_LEASE_MS sets another
 * length (tests). */
#define LEASE_MS 120000
#define RENEW_MARGIN(lease_ms) ((lease_ms) / 2)

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

/* Keys are allocated: a long server or model name must not be cut into one
 * shared with another. */
struct model_load {
	char *key;                /* the server, a space, the model */
	size_t server;            /* index in engine.servers */
	int running;
	int limit;                /* fixed (actor "parallel", --per-model), or 0: its server's */
	int active;               /* in its server's set of active models */
	int ready;                /* ready requests in this round's window */
	size_t first;             /* the window position of the first of them */
	int64_t active_since;     /* monotonic: when its turn began */
	int closing;              /* its turn is over: nothing more is sent; it leaves once drained */
	int64_t passed;           /* monotonic: when its turn was last ended for others; 0: never */
	int64_t loaded_at;        /* monotonic: when an answer last said it was loaded for it (see measure) */
};

struct server_load {
	char *key;
	char *url;                /* where its requests go (http_actor_urls); NULL: not a live server */
	int running;
	int nactive;
	/* Its limit (see Limits at the top). */
	int limit;                /* learned: requests in flight it takes */
	int reported;             /* the slots it reports; 0: none (limit is measured) */
	int saturated;            /* work waited for its limit in this window */
	int samples;              /* answers in this window */
	double ratio_sum;         /* of shortest / measured time, over them */
	int store;                /* limit changed since stored */
	int asked;                /* for its slots */
	int settled;              /* the limit fell once: it rises by one, no longer doubles */
	/* Models it keeps loaded (see the top). */
	int loaded_max;           /* learned: models it is sent work for at once */
	int activations;          /* models that became active on it */
	int ask_loaded;           /* 1: ask it what it keeps loaded after its next answer; 2: now */
	enum llm_mode backend;    /* how to ask it */
	/* Outages (see the top). */
	int down;                 /* only a probe is sent */
	int gave_up;              /* down for the patience: nothing more is sent */
	int probes;               /* failed probes since it went down */
	long probe_id;            /* the interaction sent (or about to be) as the probe; 0: none */
	long last_probe;          /* probes go round the waiting interactions */
	int wrapped;              /* a waiting interaction was passed over as probed before */
	long waiting;             /* its ready interactions held back in the last round */
	int64_t failing_since;    /* when it first failed since it last answered (monotonic); 0: it answers */
	int64_t next_probe;       /* monotonic */
	char why[512];            /* its last failure */
};

/* Server failures of one interaction's requests while its server was up. */
struct freed {
	long id;
	int n;
};

/* The shortest time (ms, less loading) a model call of one step took. */
struct step_time {
	long conversation;
	size_t server;
	double min_ms;
};

/* Where an actor's model calls go (computed once per actor): its pool. */
struct actor_route {
	const struct wf_actor *actor;
	enum llm_mode backend;
	size_t *servers;          /* indexes in engine.servers; none: replayed, or no address (the call fails saying why) */
	char **urls;              /* where its requests to each go (another actor may reach one by another path) */
	long *models;             /* index in engine.models of its model on each; -1: not known yet (route_model) */
	size_t nservers;
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
	struct server_load *servers;
	size_t nservers;
	struct actor_route *routes;
	size_t nroutes;
	struct freed *freed;
	size_t nfreed;
	struct step_time *steps;
	size_t nsteps;
	int64_t last_progress;
	int64_t t0;           /* monotonic: when the run began */
	long runs_at_start;   /* runs in scope that were running then (for the progress line) */
	long crash_after; /* WAVERUNNER_TEST_CRASH_AFTER: SIGKILL after this many (tests) */
	int64_t lease_ms; /* LEASE_MS, or WAVERUNNER_TEST_LEASE_MS */
	int64_t renew_at; /* monotonic: when the leases held are next renewed; 0: none held */
	int64_t turn_ms;  /* TURN_MS, or WAVERUNNER_TEST_TURN_MS */
};

void engine_opts_default(struct engine_opts *o)
{
	memset(o, 0, sizeof *o);
	o->llm = LLM_ACTOR;
	o->replay_dir = llm_default_replay_dir();
	o->parallel = 32;
	o->per_model = 0; /* learned: see Limits at the top */
	o->per_server = 0;
	o->loaded_models = 0; /* learned: see the top */
	o->scripts = 4;
	o->retry_base_ms = 1000;
	o->retry_cap_ms = 60000;
	o->grace_ms = 5000;
	o->patience_ms = 600000; /* 10 minutes */
}

/* A whole number from the environment (unset or empty: *out stays); E_USAGE
 * naming the variable otherwise, never a silent 0 as atol would give. */
static int env_long(const char *name, long min, long max, long *out)
{
	const char *s = getenv(name);
	long v;
	if (!s || !*s)
		return E_OK;
	if (parse_long(s, &v) < 0 || v < min || v > max)
		return err_set(E_USAGE, "%s must be a whole number from %ld to %ld, not '%s'", name, min, max, s);
	*out = v;
	return E_OK;
}

int engine_opts_env(struct engine_opts *o)
{
	/* Milliseconds; tests make retries fast with a small base. */
	long base = o->retry_base_ms, cap = o->retry_cap_ms;
	int rc = env_long("WAVERUNNER_RETRY_BASE_MS", 1, 86400000, &base);
	if (!rc)
		rc = env_long("WAVERUNNER_RETRY_CAP_MS", 1, 86400000, &cap);
	o->retry_base_ms = base;
	o->retry_cap_ms = cap;
	return rc;
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
	if (t->actor->kind == ACTOR_BUILTIN) {
		const struct builtin *b = builtin_find(builtin_of(t->actor));
		if (!b || b->runs_inline)
			return e->builtin;
		if (!e->fetch)
			e->fetch = remember(e, fetch_executor_new(db_path(e->db)));
		return e->fetch;
	}
	if (t->actor->kind == ACTOR_SCRIPT) {
		if (!e->scripts)
			e->scripts = remember(e, script_executor_new(db_path(e->db)));
		return e->scripts;
	}
	if (e->o->model_executor)
		return e->o->model_executor;
	enum llm_mode b = llm_backend_for(t->actor, e->o->llm, e->o->live);
	if (b == LLM_REPLAY || (e->o->llm == LLM_CACHE && replay_has(e->o->replay_dir, t->r.input)))
		return e->replay;
	if (!e->backends[b])
		e->backends[b] = remember(e, http_backend_new(b, e->o));
	return e->backends[b];
}

static size_t server_index(struct engine *e, const char *key);

static const struct actor_route *route_of(struct engine *e, const struct wf_actor *a)
{
	for (size_t i = 0; i < e->nroutes; i++)
		if (e->routes[i].actor == a)
			return &e->routes[i];
	e->routes = xreallocarray(e->routes, e->nroutes + 1, sizeof *e->routes);
	struct actor_route *r = &e->routes[e->nroutes++];
	memset(r, 0, sizeof *r);
	r->actor = a;
	r->backend = llm_backend_for(a, e->o->llm, e->o->live);
	if (r->backend == LLM_REPLAY)
		return r;
	char **urls, *error = NULL;
	r->nservers = http_actor_urls(r->backend, a, &urls, &error);
	free(error);
	r->urls = urls;
	r->servers = xcalloc(r->nservers ? r->nservers : 1, sizeof *r->servers);
	r->models = xcalloc(r->nservers ? r->nservers : 1, sizeof *r->models);
	for (size_t i = 0; i < r->nservers; i++) {
		r->models[i] = -1;
		char *key = llmreply_origin(urls[i]);
		size_t si = server_index(e, key);
		free(key);
		struct server_load *s = &e->servers[si];
		if (!s->url) { /* asked for its slots and loaded models as this actor reaches it */
			s->url = xstrdup(urls[i]);
			s->backend = r->backend;
		}
		r->servers[i] = si;
	}
	return r;
}

static int learning(const struct engine *e)
{
	return !e->o->per_server && !e->o->per_model;
}

static void ask_loaded(struct engine *e, struct server_load *s);

/* Asks server s for its slots once, when limits are learned. */
static void ask_slots(struct engine *e, struct server_load *s)
{
	if (s->asked || e->o->model_executor || !s->url)
		return;
	s->asked = 1;
	ask_loaded(e, s);
	if (!learning(e))
		return;
	int slots = http_server_slots(s->backend, s->url);
	if (slots > 0) {
		s->reported = slots;
		s->limit = slots < e->o->parallel ? slots : e->o->parallel;
	}
	s->store = 1;
}

/* How many models server s is sent work for at once: --loaded-models, else
 * as many as it was seen to keep loaded together (at least one). */
static int loaded_limit(const struct engine *e, const struct server_load *s)
{
	return e->o->loaded_models > 0 ? e->o->loaded_models : s->loaded_max;
}

/* Asks server s what it keeps loaded: a server seen holding several models at
 * once gets work for that many. */
static void ask_loaded(struct engine *e, struct server_load *s)
{
	s->ask_loaded = 0;
	if (e->o->loaded_models > 0 || !s->url)
		return;
	int n = http_server_loaded(s->backend, s->url);
	if (n > s->loaded_max)
		s->loaded_max = n;
}

static size_t server_index(struct engine *e, const char *key)
{
	for (size_t i = 0; i < e->nservers; i++)
		if (!strcmp(e->servers[i].key, key))
			return i;
	e->servers = xreallocarray(e->servers, e->nservers + 1, sizeof *e->servers);
	struct server_load *s = &e->servers[e->nservers];
	memset(s, 0, sizeof *s);
	s->key = xstrdup(key);
	s->limit = e->o->parallel < FIRST_LIMIT ? e->o->parallel : FIRST_LIMIT;
	s->loaded_max = 1;
	return e->nservers++;
}

static struct model_load *find_model(struct engine *e, const char *key)
{
	for (size_t i = 0; i < e->nmodels; i++)
		if (!strcmp(e->models[i].key, key))
			return &e->models[i];
	return NULL;
}

/* The load of actor a's model on server (an index), made on first use. */
static struct model_load *model_at(struct engine *e, size_t server, const struct wf_actor *a)
{
	char *key = xasprintf("%s %s", e->servers[server].key, wf_actor_model(a));
	struct model_load *m = find_model(e, key);
	if (m) {
		free(key);
		return m;
	}
	e->models = xreallocarray(e->models, e->nmodels + 1, sizeof *e->models);
	m = &e->models[e->nmodels++];
	memset(m, 0, sizeof *m);
	m->key = key;
	m->server = server;
	long limit = 0;
	m->limit = json_get_long(a->config, "parallel", &limit) == 0 && limit > 0
			   ? (limit < INT_MAX ? (int)limit : INT_MAX) /* 2^32 must not become 0 */
			   : e->o->per_model;
	ask_slots(e, &e->servers[server]);
	return m;
}

/* The load of route r's model on the i-th server of its pool: made on first
 * use when make, else NULL until made. Remembered in the route, so that the
 * scheduler's rounds do not build and look up its key again. */
static struct model_load *route_model(struct engine *e, const struct actor_route *r, size_t i, int make)
{
	if (r->models[i] < 0) {
		struct model_load *m = NULL;
		if (make) {
			m = model_at(e, r->servers[i], r->actor);
		} else {
			char *key = xasprintf("%s %s", e->servers[r->servers[i]].key, wf_actor_model(r->actor));
			m = find_model(e, key);
			free(key);
		}
		if (!m)
			return NULL;
		r->models[i] = (long)(m - e->models);
	}
	return &e->models[r->models[i]];
}

/* The load of the model a placed task calls on its server. */
static struct model_load *model_load(struct engine *e, const struct task *t)
{
	struct model_load *m = find_model(e, t->model_key);
	return m ? m : model_at(e, server_index(e, t->server), t->actor);
}

/* The requests server s takes at once: --per-server, else what was learned
 * (nothing when only --per-model is given: INT_MAX). */
static int server_limit(const struct engine *e, const struct server_load *s)
{
	if (e->o->per_server > 0)
		return e->o->per_server;
	return learning(e) ? s->limit : INT_MAX;
}

static int model_limit(const struct engine *e, const struct model_load *m)
{
	return m->limit > 0 ? m->limit : server_limit(e, &e->servers[m->server]);
}

static int is_model_call(const struct task *t)
{
	return t->actor->kind == ACTOR_AI_MODEL;
}

/* Whether t may start now without exceeding a limit. */
static int has_capacity(struct engine *e, struct task *t)
{
	if (e->in_flight >= (size_t)e->o->parallel)
		return 0;
	if (!is_model_call(t))
		return e->scripts_running < (size_t)e->o->scripts;
	struct model_load *m = model_load(e, t);
	struct server_load *s = &e->servers[m->server];
	if (m->closing)
		return 0;
	if (s->running >= server_limit(e, s) || m->running >= model_limit(e, m)) {
		s->saturated = 1;
		return 0;
	}
	return 1;
}

static struct step_time *step_time(struct engine *e, long conversation, size_t server)
{
	for (size_t i = 0; i < e->nsteps; i++)
		if (e->steps[i].conversation == conversation && e->steps[i].server == server)
			return &e->steps[i];
	e->steps = xreallocarray(e->steps, e->nsteps + 1, sizeof *e->steps);
	e->steps[e->nsteps] = (struct step_time){ conversation, server, 0 };
	return &e->steps[e->nsteps++];
}

/* A model call answered: its time goes into its server's limiter (see Limits
 * at the top). */
static void measure(struct engine *e, const struct task *t)
{
	if (!learning(e) || !t->res.ok || !t->actor || !is_model_call(t) || !t->server || !t->server[0])
		return;
	struct model_load *m = model_load(e, t);
	struct server_load *s = &e->servers[m->server];
	if (s->reported)
		return;
	/* Requests sent before an answer that loaded the model waited for the
	 * load, whatever load time each reports: not a queue. */
	int64_t now = mono_ms();
	if (t->res.load_ms < LOAD_MS && t->started_ms < m->loaded_at)
		return;
	double ms = (double)(now - t->started_ms) - (t->res.load_ms > 0 ? t->res.load_ms : 0);
	if (ms < 1)
		ms = 1;
	struct step_time *st = step_time(e, t->r.conversation_id, m->server);
	if (!st->min_ms || ms < st->min_ms || s->limit == 1)
		st->min_ms = ms;
	s->ratio_sum += st->min_ms / ms;
	/* A window of limit answers (at a limit of one, the answer is its own
	 * shortest: one tells as much as more). */
	if (++s->samples < s->limit)
		return;
	double ratio = s->ratio_sum / s->samples, queued = s->limit * (1 - ratio);
	int was = s->limit;
	if (queued < QUEUE_LOW && s->saturated && s->limit < e->o->parallel) {
		s->limit = s->settled ? s->limit + 1 : s->limit * 2;
	} else if (queued > QUEUE_HIGH && s->limit > 1) {
		/* What the server served of the limit, and one waiting. */
		int fit = (int)(s->limit * ratio + 0.5) + 1;
		s->limit = fit < s->limit ? fit : s->limit - 1;
		s->settled = 1;
	}
	if (s->limit > e->o->parallel)
		s->limit = e->o->parallel;
	if (s->limit < 1)
		s->limit = 1;
	if (s->limit != was)
		s->store = 1;
	s->samples = 0;
	s->ratio_sum = 0;
	s->saturated = 0;
}

/* Stores the learned limits that changed, inside the current transaction. */
static int store_limits(struct engine *e)
{
	int rc = E_OK;
	for (size_t i = 0; !rc && i < e->nservers; i++) {
		struct server_load *s = &e->servers[i];
		if (!s->store || !s->key[0] || !learning(e))
			continue;
		rc = db_server_limit_set(e->db, s->key, s->limit, s->reported ? "reported" : "measured");
		if (!rc)
			s->store = 0;
	}
	return rc;
}

static void account(struct engine *e, struct task *t, int delta)
{
	e->in_flight += (size_t)delta;
	if (!is_model_call(t)) {
		e->scripts_running += (size_t)delta;
	} else {
		struct model_load *m = model_load(e, t);
		m->running += delta;
		e->servers[m->server].running += delta;
	}
}

/* Whether server (an index) is in route r's pool. */
static int in_pool(const struct actor_route *r, size_t server)
{
	for (size_t i = 0; i < r->nservers; i++)
		if (r->servers[i] == server)
			return 1;
	return 0;
}

/* The ids of the model actors for which pick(e, route, arg) holds, as a JSON
 * array for the db queries (NULL when none). */
static char *actors_where(struct engine *e, int (*pick)(struct engine *, const struct actor_route *, const void *),
			  const void *arg)
{
	struct buf b = BUF_INIT;
	for (size_t w = 0; w < e->defs.n; w++) {
		const struct workflow *wf = e->defs.wfs[w];
		for (size_t i = 0; i < wf->nactors; i++) {
			const struct wf_actor *a = &wf->actors[i];
			if (a->kind == ACTOR_AI_MODEL && pick(e, route_of(e, a), arg))
				buf_printf(&b, "%s%ld", b.len ? "," : "[", a->id);
		}
	}
	if (!b.len)
		return NULL;
	buf_putc(&b, ']');
	return buf_detach(&b);
}

/* An actor whose pool holds m's server, for another model than m's. */
static int other_model(struct engine *e, const struct actor_route *r, const void *arg)
{
	const struct model_load *m = arg;
	return in_pool(r, m->server) && strcmp(wf_actor_model(r->actor), m->key + strlen(e->servers[m->server].key) + 1);
}

/* Ends the turn of an active model that has held a full server's place for
 * turn_ms while other models' work is pending there (see the top). */
static void end_long_turns(struct engine *e)
{
	int64_t now = mono_ms();
	for (size_t i = 0; i < e->nmodels; i++) {
		struct model_load *m = &e->models[i];
		struct server_load *s = &e->servers[m->server];
		if (!m->active || m->closing || s->nactive < loaded_limit(e, s) || now - m->active_since < e->turn_ms)
			continue;
		char *others = actors_where(e, other_model, m);
		long waiting = 0;
		if (others && db_count_pending_of(e->db, &e->o->scope, others, &waiting))
			err_clear(); /* not known: the turn goes on */
		free(others);
		if (waiting > 0) {
			m->closing = 1;
			m->passed = now;
		} else {
			m->active_since = now; /* no one waits: a new turn */
		}
	}
}

/* Updates each server's set of active models from the model calls that are
 * ready (cands, in window order); see the comment at the top. A model leaves
 * the set only if may_drop: not when steps that finished inline in this round
 * (a save) may have made its next request ready, unseen in this window. */
static void choose_models(struct engine *e, struct task **cands, size_t n, int may_drop)
{
	for (size_t i = 0; i < e->nmodels; i++)
		e->models[i].ready = 0;
	/* Ready work counts for its model on each server of its pool that is up. */
	for (size_t i = 0; i < n; i++) {
		const struct actor_route *r = route_of(e, cands[i]->actor);
		for (size_t k = 0; k < r->nservers; k++) {
			if (e->servers[r->servers[k]].down)
				continue;
			struct model_load *m = route_model(e, r, k, 1);
			if (!m->ready++)
				m->first = i;
		}
	}
	for (size_t i = 0; i < e->nmodels; i++) {
		struct model_load *m = &e->models[i];
		if (may_drop && m->active && !m->running && (!m->ready || m->closing)) {
			m->active = m->closing = 0;
			e->servers[m->server].nactive--;
		}
	}
	end_long_turns(e);
	for (size_t s = 0; s < e->nservers; s++) {
		while (e->servers[s].nactive < loaded_limit(e, &e->servers[s])) {
			struct model_load *best = NULL;
			for (size_t i = 0; i < e->nmodels; i++) {
				struct model_load *m = &e->models[i];
				if (m->server != s || m->active || !m->ready)
					continue;
				if (!best || m->passed < best->passed ||
				    (m->passed == best->passed &&
				     (m->ready > best->ready || (m->ready == best->ready && m->first < best->first))))
					best = m;
			}
			if (!best)
				break;
			best->active = 1;
			best->active_since = mono_ms();
			e->servers[s].nactive++;
			if (e->servers[s].activations++) /* a switch: does it keep the other loaded? */
				e->servers[s].ask_loaded = 1;
		}
	}
}

/* An actor whose work is read last (db_ready's later): no server of its
 * pool is up and, unless in FIFO order, has its model active or room for
 * another model. A down server's work comes after all else, in either order. */
static int read_later(struct engine *e, const struct actor_route *r, const void *arg)
{
	(void)arg;
	if (r->backend == LLM_REPLAY || !r->nservers)
		return 0;
	for (size_t i = 0; i < r->nservers; i++) {
		const struct server_load *s = &e->servers[r->servers[i]];
		if (s->down)
			continue;
		const struct model_load *m = route_model(e, r, i, 0);
		if (e->o->fifo || (m && m->active) || s->nactive < loaded_limit(e, s))
			return 0;
	}
	return 1;
}

static struct server_load *server_of(struct engine *e, const struct task *t)
{
	return t->actor && is_model_call(t) && t->server[0] ? &e->servers[server_index(e, t->server)] : NULL;
}

/* An actor whose pool holds the server *arg (an index), or, when *arg < 0,
 * whose servers are all down. */
static int served_by(struct engine *e, const struct actor_route *r, const void *arg)
{
	long server = *(const long *)arg;
	if (server >= 0)
		return in_pool(r, (size_t)server);
	for (size_t i = 0; i < r->nservers; i++)
		if (!e->servers[r->servers[i]].down)
			return 0;
	return r->nservers > 0;
}

static char *actors_of(struct engine *e, long server)
{
	return actors_where(e, served_by, &server);
}

/* Whether t may go to down server s now, as its probe: when one is due.
 * Probes go round the waiting interactions (ids above the last probe's
 * first), so that one request that fails by itself does not keep a server
 * taken for down. */
static int probe_due(struct server_load *s, const struct task *t)
{
	s->waiting++;
	if (s->gave_up || s->probe_id || mono_ms() < s->next_probe)
		return 0;
	if (t->r.id <= s->last_probe) {
		s->wrapped = 1;
		return 0;
	}
	return 1;
}

/* Sends t to the i-th server of its actor's pool r: it calls its model there. */
static void place_on(struct engine *e, struct task *t, const struct actor_route *r, size_t i)
{
	free(t->server);
	free(t->model_key);
	free(t->url);
	const struct server_load *s = &e->servers[r->servers[i]];
	t->server = xstrdup(s->key);
	t->model_key = xasprintf("%s %s", s->key, wf_actor_model(t->actor));
	t->url = xstrdup(r->urls[i]);
}

/* Chooses the server of its actor's pool a model call is sent to (see Pools
 * at the top); need_active: only one where its model is active. Returns 0
 * when none may take it now (it stays pending). */
static int place(struct engine *e, struct task *t, int need_active)
{
	const struct actor_route *r = route_of(e, t->actor);
	long best = -1;
	int best_room = 0;
	if (!r->nservers) /* replayed, or no address: the executor says why */
		return 1;
	for (size_t i = 0; i < r->nservers; i++) {
		struct server_load *s = &e->servers[r->servers[i]];
		if (s->down) {
			if (!probe_due(s, t))
				continue;
			place_on(e, t, r, i);
			s->probe_id = t->r.id;
			return 1;
		}
		struct model_load *m = route_model(e, r, i, 1);
		if (m->closing || (need_active && !m->active))
			continue;
		int room = server_limit(e, s) - s->running, mroom = model_limit(e, m) - m->running;
		if (mroom < room)
			room = mroom;
		if (room <= 0)
			s->saturated = 1; /* work waited for its limit */
		else if (best < 0 || room > best_room)
			best = (long)i, best_room = room;
	}
	if (best < 0)
		return 0;
	place_on(e, t, r, (size_t)best);
	return 1;
}

/* Frees a task that was not claimed after all (it stays pending). */
static void unclaimed(struct engine *e, struct task *t)
{
	struct server_load *s = t->actor ? server_of(e, t) : NULL;
	if (s && s->probe_id == t->r.id)
		s->probe_id = 0;
	task_free(t);
}

static int *freed_count(struct engine *e, long id)
{
	for (size_t i = 0; i < e->nfreed; i++)
		if (e->freed[i].id == id)
			return &e->freed[i].n;
	e->freed = xreallocarray(e->freed, e->nfreed + 1, sizeof *e->freed);
	e->freed[e->nfreed] = (struct freed){ id, 0 };
	return &e->freed[e->nfreed++].n;
}

/* A model call ended: its server answered (it is up), or failed (see the top).
 * Returns 1 when the interaction is to be released, spending no attempt. */
static int note_server(struct engine *e, struct task *t)
{
	struct server_load *s = server_of(e, t);
	if (!s)
		return 0;
	int probe = s->probe_id == t->r.id;
	if (probe)
		s->probe_id = 0;
	if (t->res.ok || !t->res.server_down) {
		s->down = s->gave_up = s->probes = 0;
		s->failing_since = 0;
		return 0;
	}
	int64_t now = mono_ms();
	snprintf(s->why, sizeof s->why, "%s", t->res.error ? t->res.error : "failed");
	if (!s->down || probe) {
		if (!s->down)
			s->failing_since = now;
		s->down = 1;
		int64_t end = s->failing_since + e->o->patience_ms;
		if (now >= end) {
			s->gave_up = 1;
		} else {
			int64_t cap = e->policy.cap_ms < PROBE_CAP_MS ? e->policy.cap_ms : PROBE_CAP_MS;
			int64_t at = now + retry_delay_ms(++s->probes, e->policy.base_ms, cap, t->res.retry_after_ms,
							   &e->policy.rng);
			s->next_probe = at < end ? at : end; /* the last probe at the end of the patience */
		}
	}
	return probe || ++*freed_count(e, t->r.id) <= FREE_FAILURES;
}

/* The monotonic time of the next probe a down server with waiting work is
 * due for, or -1 when none. */
static int64_t next_probe_at(const struct engine *e)
{
	int64_t first = -1;
	for (size_t i = 0; i < e->nservers; i++) {
		const struct server_load *s = &e->servers[i];
		if (s->down && !s->gave_up && s->waiting && !s->probe_id && (first < 0 || s->next_probe < first))
			first = s->next_probe;
	}
	return first;
}

/* After the work ended: E_REMOTE naming each server given up on that has
 * interactions waiting for it. */
static int report_given_up(struct engine *e)
{
	struct buf b = BUF_INIT;
	int rc = E_OK;
	for (size_t i = 0; !rc && i < e->nservers; i++) {
		const struct server_load *s = &e->servers[i];
		if (!s->gave_up)
			continue;
		char *actors = actors_of(e, (long)i);
		long waiting = 0;
		rc = db_count_pending_of(e->db, &e->o->scope, actors, &waiting);
		free(actors);
		if (!rc && waiting)
			buf_printf(&b, "%sthe model server %s did not answer for %.1f s (%s): %ld interaction%s wait%s for it, "
				       "pending with no attempt spent; run again once it is back",
				   b.len ? "; " : "", s->key, (double)e->o->patience_ms / 1000.0, s->why, waiting,
				   waiting == 1 ? "" : "s", waiting == 1 ? "s" : "");
	}
	if (!rc && b.len)
		rc = err_set(E_REMOTE, "%s", buf_str(&b));
	buf_release(&b);
	return rc;
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
		if (is_model_call(t)) { /* no server yet: place chooses one of its pool */
			t->server = xstrdup("");
			t->model_key = xasprintf(" %s", wf_actor_model(t->actor));
		}
	}
	return t;
}

/* The fence of t's attempt: a claimed task's lease (the claim counted an
 * attempt), or the pending row a task that finishes inline was selected as. */
static struct fence fence_of(const struct engine *e, const struct task *t)
{
	struct fence f = { t->claimed ? e->owner : NULL, t->claimed ? t->r.attempts + 1 : t->r.attempts };
	return f;
}

/* Whether t's attempt may still end (inside the current transaction): when
 * another process has taken its lease, records that it was discarded and
 * why, and sets *held to 0. Tasks that were not claimed ended in the
 * transaction that selected them: their row cannot have changed. */
static int check_fence(struct engine *e, struct task *t, const struct fence *f, const char *outcome, int *held)
{
	*held = 1;
	if (!t->claimed)
		return E_OK;
	char *why;
	int rc = db_interaction_holds(e->db, t->r.id, f, &why);
	if (rc || !why)
		return rc;
	*held = 0;
	warn("interaction %ld: attempt %d %s after its lease was lost (%s): discarded", t->r.id, f->attempts,
	     outcome, why);
	rc = db_attempt_discarded(e->db, t->r.id, f, outcome, why);
	free(why);
	e->st->discarded++;
	return rc;
}

/* Finishes one task inside the current transaction. */
static int finish(struct engine *e, struct task *t)
{
	struct fence f = fence_of(e, t);
	int held;
	int rc = check_fence(e, t, &f, t->res.ok ? "completed" : "failed", &held);
	if (rc || !held)
		return rc;
	/* Record what a live server answered (cache: a replayed answer is recorded already). */
	int live = t->res.backend && strcmp(t->res.backend, "replay");
	if ((e->o->llm == LLM_RECORD || (e->o->llm == LLM_CACHE && live)) && t->res.ok && t->actor &&
	    t->actor->kind == ACTOR_AI_MODEL) {
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
	if (t->on_finish && (rc = t->on_finish(e->db, t)))
		return rc;
	return advance_finish(e->db, t, &f, &e->policy, &e->st->adv);
}

/* Gives t's claim back without counting the attempt: interrupted (data
 * NULL), or its model server failed (data: the event's JSON). */
static int release(struct engine *e, struct task *t, const char *data)
{
	struct fence f = fence_of(e, t);
	int held;
	int rc = check_fence(e, t, &f, "released", &held);
	if (rc || !held)
		return rc;
	if (data)
		e->st->released++;
	return db_interaction_release(e->db, t->r.id, &f, data);
}

/* The interaction_released event of a task whose model server failed. */
static char *server_down_event(const struct task *t)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "reason", "server_down");
	cJSON_AddStringToObject(d, "failure_class", fail_class_name(t->res.fail));
	cJSON_AddStringToObject(d, "error", t->res.error ? t->res.error : "");
	char *data = json_print(d);
	cJSON_Delete(d);
	return data;
}

/* What the counters said when a transaction began: one that rolls back
 * takes back what it counted, so the counts are of committed work only. */
struct counts {
	struct advance_stats adv;
	long finished, started, released;
};

static struct counts counts_save(const struct engine *e)
{
	return (struct counts){ e->st->adv, e->st->finished, e->started, e->st->released };
}

static void counts_restore(struct engine *e, const struct counts *c)
{
	e->st->adv = c->adv;
	e->st->finished = c->finished;
	e->started = c->started;
	e->st->released = c->released;
}

/* Claims t if a limit allows it now, and appends it to the list to start
 * (*tail is where the next goes); else frees it (it stays pending). */
static int claim(struct engine *e, struct task *t, struct executor *ex, struct task ***tail, int *progressed)
{
	if (!has_capacity(e, t)) {
		unclaimed(e, t);
		return E_OK;
	}
	char lease[32];
	iso_time(now_ms() + e->lease_ms, lease);
	int claimed = 0;
	int rc = db_interaction_claim(e->db, t->r.id, e->owner, lease, t->r.attempts, &claimed);
	if (!rc && claimed)
		rc = db_ready_load(e->db, &t->r);
	if (rc || !claimed) {
		unclaimed(e, t);
		return rc;
	}
	if (!e->renew_at) /* later claims expire later: the first one says when to renew */
		e->renew_at = mono_ms() + e->lease_ms - RENEW_MARGIN(e->lease_ms);
	struct server_load *s = server_of(e, t);
	if (s && s->down)
		s->last_probe = t->r.id;
	t->claimed = 1;
	t->priv = ex;
	account(e, t, +1);
	t->next = NULL;
	**tail = t;
	*tail = &t->next;
	e->started++;
	*progressed = 1;
	return E_OK;
}

/* What one claim round gathers. */
struct round {
	int quick;                /* only start more of the work that waits (see claim_round) */
	int ran_inline;           /* a step finished inside the round */
	int progressed;
	struct task **cands;      /* model calls, for choose_models */
	size_t ncands;
	struct task *to_start, **tail; /* claimed, to start after the commit */
};

/* Runs t to its end inside the round's transaction (ex NULL: it cannot run,
 * its result says why) and frees it. */
static int finish_now(struct engine *e, struct task *t, struct executor *ex, struct round *rd)
{
	int rc = db_ready_load(e->db, &t->r);
	if (!rc && ex)
		rc = ex->start(ex, e->db, t);
	if (!rc)
		rc = finish(e, t);
	task_free(t);
	e->started++;
	rd->progressed = 1;
	return rc;
}

/* One ready row: finished now, set aside as a model call for choose_models,
 * or claimed. */
static int take(struct engine *e, struct ready *row, struct round *rd)
{
	struct task *t = make_task(e, row);
	if (!t->actor) {
		result_fail(&t->res, FC_INTERNAL, "conversation %ld is no longer a step of workflow %ld (or its actor is gone)",
			    t->r.conversation_id, t->r.workflow_id);
		err_clear();
		return finish_now(e, t, NULL, rd);
	}
	/* cache: whether a model call is answered from a recording depends on
	 * its request, so that is read first. */
	int rc;
	if (e->o->llm == LLM_CACHE && t->actor->kind == ACTOR_AI_MODEL && (rc = db_ready_load(e->db, &t->r))) {
		task_free(t);
		return rc;
	}
	struct executor *ex = executor_for(e, t);
	if (ex->finishes_inline) {
		if (rd->quick) {
			task_free(t);
			return E_OK;
		}
		rd->ran_inline = 1;
		return finish_now(e, t, ex, rd);
	}
	if (is_model_call(t) && !e->o->fifo) {
		t->priv = ex;
		rd->cands[rd->ncands++] = t;
		return E_OK;
	}
	if (is_model_call(t) && !place(e, t, 0)) {
		unclaimed(e, t);
		return E_OK;
	}
	return claim(e, t, ex, &rd->tail, &rd->progressed);
}

/* The model calls set aside: each server's models chosen, then each call
 * placed and claimed, or left pending. */
static int claim_models(struct engine *e, struct round *rd, int rc)
{
	if (rd->ncands)
		choose_models(e, rd->cands, rd->ncands, !rd->quick && !rd->ran_inline);
	for (size_t i = 0; i < rd->ncands; i++) {
		struct task *t = rd->cands[i];
		struct executor *ex = t->priv;
		t->priv = NULL;
		if (rc || limit_reached(e) || !place(e, t, 1))
			unclaimed(e, t);
		else
			rc = claim(e, t, ex, &rd->tail, &rd->progressed);
	}
	/* A down server whose waiting work was all probed before starts over. */
	for (size_t i = 0; i < e->nservers; i++)
		if (e->servers[i].wrapped && !e->servers[i].probe_id)
			e->servers[i].last_probe = 0;
	return rc;
}

/* Starts the tasks claimed in a round that committed (rc E_OK); else gives
 * back what they held. */
static void start_claimed(struct engine *e, struct task *to_start, int rc)
{
	while (to_start) {
		struct task *t = to_start;
		to_start = t->next;
		t->next = NULL;
		if (rc) { /* the claims were rolled back */
			account(e, t, -1);
			unclaimed(e, t);
			continue;
		}
		struct executor *ex = t->priv;
		t->priv = NULL;
		t->started_ms = mono_ms();
		t->deadline_ms = t->started_ms + (int64_t)t->conv->timeout_seconds * 1000;
		ex->start(ex, NULL, t);
	}
}

/* One round: select ready work; run what finishes at once and claim what does
 * not, all in one transaction; then start the claimed tasks. A quick round
 * (when requests have just ended, and before they are recorded) only starts
 * more of the work that is waiting: no steps that finish at once, no model
 * switch. */
static int claim_round(struct engine *e, int *progressed, int quick)
{
	struct ready *ready = xcalloc(WINDOW, sizeof *ready);
	struct round rd = { .quick = quick, .cands = xcalloc(WINDOW, sizeof *rd.cands) };
	rd.tail = &rd.to_start;
	size_t n = 0;
	char now[32];
	iso_now(now);
	char *later = actors_where(e, read_later, NULL);
	struct counts before = counts_save(e);
	for (size_t i = 0; i < e->nservers; i++)
		e->servers[i].waiting = e->servers[i].wrapped = 0;
	int rc = db_begin(e->db);
	if (!rc)
		rc = db_ready(e->db, &e->o->scope, now, later, WINDOW, ready, &n);
	free(later);
	for (size_t i = 0; !rc && i < n && !limit_reached(e); i++)
		rc = take(e, &ready[i], &rd);
	rc = claim_models(e, &rd, rc);
	free(rd.cands);
	for (size_t i = 0; i < n; i++)
		db_ready_release(&ready[i]);
	free(ready);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	if (rc)
		counts_restore(e, &before);
	start_claimed(e, rd.to_start, rc);
	*progressed = rd.progressed;
	return rc;
}

/* The capacity of tasks that ended is free again. */
static void free_capacity(struct engine *e, struct task *done)
{
	for (struct task *t = done; t; t = t->next)
		account(e, t, -1);
}

/* Finishes the tasks the executors handed back (their capacity freed), in one
 * transaction. */
static int finish_batch(struct engine *e, struct task *done, int release_all)
{
	if (!done)
		return E_OK;
	/* What was loaded, before any answer of the batch is measured. */
	for (struct task *t = done; t; t = t->next)
		if (t->res.ok && t->res.load_ms >= LOAD_MS && server_of(e, t))
			model_load(e, t)->loaded_at = mono_ms();
	struct counts before = counts_save(e);
	int rc = db_begin(e->db);
	for (struct task *t = done; !rc && t; t = t->next) {
		if (release_all) {
			rc = release(e, t, NULL);
		} else if (note_server(e, t)) {
			char *data = server_down_event(t);
			rc = release(e, t, data);
			free(data);
		} else {
			measure(e, t);
			struct server_load *s = t->res.ok ? server_of(e, t) : NULL;
			if (s && s->ask_loaded)
				s->ask_loaded = 2; /* answered since the switch: asked after the commit */
			rc = finish(e, t);
		}
	}
	if (!rc && !release_all)
		rc = store_limits(e);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	for (size_t i = 0; i < e->nservers; i++)
		if (e->servers[i].ask_loaded == 2)
			ask_loaded(e, &e->servers[i]);
	if (rc)
		counts_restore(e, &before);
	while (done) {
		struct task *t = done;
		done = t->next;
		task_free(t);
	}
	return rc;
}

/* Renews the leases of the work in flight when the first of them has less
 * than RENEW_MARGIN left; only those this process still holds (fenced by
 * owner in db_leases_renew). */
static int renew_leases(struct engine *e)
{
	if (!e->in_flight) {
		e->renew_at = 0;
		return E_OK;
	}
	int64_t now = mono_ms();
	if (!e->renew_at || now < e->renew_at)
		return E_OK;
	char until[32];
	iso_time(now_ms() + e->lease_ms, until);
	long renewed = 0;
	int rc = db_begin(e->db);
	if (!rc)
		rc = db_leases_renew(e->db, e->owner, until, &renewed);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	e->renew_at = now + e->lease_ms - RENEW_MARGIN(e->lease_ms);
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
	/* Runs are what a user waits for: done of all (fan-outs add to them), and
	 * when the rest will be done at the pace so far. */
	long done = a->runs_completed + a->runs_failed, total = e->runs_at_start + a->runs_created;
	double secs = (double)(now - e->t0) / 1000.0, rate = secs > 0 ? (double)(a->completed + a->failed) / secs : 0;
	char eta[32] = "?";
	if (done && total > done && secs > 0) {
		long left = (long)((double)(total - done) * secs / (double)done + 0.5);
		if (left >= 3600)
			snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
		else
			snprintf(eta, sizeof eta, "%ld:%02ld", left / 60, left % 60);
	} else if (total <= done) {
		snprintf(eta, sizeof eta, "0:00");
	}
	/* The learned limit of each server in use ("limit 4", "limits 4+2"). */
	char limits[64] = "";
	int nlim = 0;
	for (size_t i = 0; learning(e) && i < e->nservers; i++) {
		size_t len = strlen(limits);
		if (e->servers[i].key[0] && len + 12 < sizeof limits)
			snprintf(limits + len, sizeof limits - len, "%s%d", nlim++ ? "+" : "", e->servers[i].limit);
	}
	fprintf(stderr, "\r\033[Kwaverunner: run: %ld/%ld runs done, %ld completed, %ld failed, %ld retried, "
		"%zu running%s%s%s%s, %.*f/s, ETA %s%s", done, total, a->completed, a->failed, a->retried, e->in_flight,
		nlim ? " (limit" : "", nlim > 1 ? "s " : nlim ? " " : "", limits, nlim ? ")" : "", rate < 10 ? 1 : 0, rate, eta,
		final ? "\n" : "");
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

/* --retry-failed: the interactions that failed for a class that may succeed
 * later go back to pending, in place, with a fresh attempt budget. */
static int retry_failed(struct db *db, const struct scope *scope, long *count)
{
	struct buf classes = BUF_INIT;
	for (int c = FC_NONE + 1; c <= FC_INTERNAL; c++)
		if (fail_class_retryable((enum fail_class)c))
			buf_printf(&classes, "%s\"%s\"", classes.len ? "," : "[", fail_class_name((enum fail_class)c));
	buf_putc(&classes, ']');
	int rc = db_begin(db);
	if (!rc)
		rc = db_retry_failed(db, scope, buf_str(&classes), count);
	if (!rc)
		rc = db_commit(db);
	else
		db_rollback(db);
	buf_release(&classes);
	return rc;
}

/* What engine_run needs before the first round: the settings from the
 * environment, the configuration checked (mistakes stop the run before
 * anything is claimed), --retry-failed applied, the executors that are always
 * there. */
static int engine_setup(struct engine *e)
{
	const struct engine_opts *o = e->o;
	long lease_ms = LEASE_MS, turn_ms = TURN_MS;
	if (env_long("WAVERUNNER_TEST_CRASH_AFTER", 0, LONG_MAX, &e->crash_after) ||
	    env_long("WAVERUNNER_TEST_LEASE_MS", 1, LONG_MAX, &lease_ms) ||
	    env_long("WAVERUNNER_TEST_TURN_MS", 1, LONG_MAX, &turn_ms))
		return E_USAGE;
	e->lease_ms = lease_ms;
	e->turn_ms = turn_ms;
	e->policy.base_ms = o->retry_base_ms;
	e->policy.cap_ms = o->retry_cap_ms;
	e->policy.rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	make_owner(e->owner, sizeof e->owner);
	int rc = preflight_check(e->db, o);
	if (!rc && o->retry_failed)
		rc = retry_failed(e->db, &o->scope, &e->st->resumed);
	if (rc)
		return rc;
	e->builtin = remember(e, builtin_executor_new());
	e->replay = remember(e, replay_executor_new(o->replay_dir));
	if (o->model_executor)
		remember(e, o->model_executor);
	return E_OK;
}

/* Takes back the leases of processes that are gone; notes how many runs
 * there are to do, for the progress line. */
static int engine_recover(struct engine *e)
{
	char now[32];
	iso_now(now);
	if (e->o->progress) {
		struct run_counts counts;
		if (!db_report_run_counts(e->db, &e->o->scope, &counts))
			e->runs_at_start = counts.running;
	}
	int rc = db_begin(e->db);
	if (!rc)
		rc = db_recover_leases(e->db, now, owner_alive, &e->st->recovered);
	if (!rc)
		rc = db_commit(e->db);
	else
		db_rollback(e->db);
	return rc;
}

static void engine_free(struct engine *e)
{
	for (size_t i = 0; i < e->nall; i++)
		if (e->all[i] != e->o->model_executor)
			e->all[i]->destroy(e->all[i]);
	for (size_t i = 0; i < e->nmodels; i++)
		free(e->models[i].key);
	for (size_t i = 0; i < e->nservers; i++) {
		free(e->servers[i].key);
		free(e->servers[i].url);
	}
	for (size_t i = 0; i < e->nroutes; i++) {
		for (size_t k = 0; k < e->routes[i].nservers; k++)
			free(e->routes[i].urls[k]);
		free(e->routes[i].urls);
		free(e->routes[i].servers);
		free(e->routes[i].models);
	}
	free(e->models);
	free(e->servers);
	free(e->routes);
	free(e->freed);
	free(e->steps);
	defs_release(&e->defs);
}

/* Nothing in flight and nothing ready: waits until pending work is due, or a
 * down server's next probe. *done is set when nothing more will come (nothing
 * pending in scope, or only for servers given up on). */
static int wait_until_due(struct engine *e, int *done)
{
	for (size_t i = 0; i < e->nservers; i++)
		e->servers[i].probe_id = 0; /* nothing is in flight */
	char due[32], now[32];
	char *down = actors_of(e, -1);
	iso_now(now);
	int rc = db_next_due_except(e->db, &e->o->scope, down, now, due);
	free(down);
	if (rc)
		return rc;
	int64_t probe = next_probe_at(e);
	*done = !due[0] && probe < 0;
	while (!*done && !interrupts) {
		iso_now(now);
		if ((due[0] && strcmp(due, now) <= 0) || (probe >= 0 && mono_ms() >= probe))
			break;
		usleep(probe >= 0 && probe - mono_ms() < 50 ? 5000 : 50000);
		progress(e, 0);
	}
	return E_OK;
}

/* Waits for work in flight to end, then records what ended in one
 * transaction. The next requests are started before the ones that ended are
 * recorded: a server slot that came free should not wait for that
 * bookkeeping. Answers that arrive meanwhile (a server often finishes
 * several at once) get the same treatment before anything is recorded. No
 * model switch yet: what the ended requests lead to is not known. */
static int collect_round(struct engine *e, int progressed, int stopping)
{
	int timeout = progressed ? 0 : 250;
	int64_t to_renew = e->renew_at ? e->renew_at - mono_ms() : timeout;
	if (to_renew < timeout) /* no wait makes a renewal late */
		timeout = to_renew > 0 ? (int)to_renew : 0;
	wait_for_work(e, timeout);
	struct task *done = NULL;
	int early = E_OK;
	for (int round = 0; round < 4 && !early; round++) {
		struct task *more = NULL;
		for (size_t i = 0; i < e->nall; i++)
			if (e->all[i]->collect)
				e->all[i]->collect(e->all[i], &more);
		if (!more)
			break;
		free_capacity(e, more);
		int ignored;
		if (!stopping && !limit_reached(e))
			early = claim_round(e, &ignored, 1);
		struct task **end = &more;
		while (*end)
			end = &(*end)->next;
		*end = done;
		done = more;
	}
	int rc = finish_batch(e, done, 0);
	return rc ? rc : early;
}

/* The grace after Ctrl-C is over: what is still in flight is stopped and
 * given back, its attempts not counted. */
static int abort_in_flight(struct engine *e)
{
	struct task *done = NULL;
	for (size_t i = 0; i < e->nall; i++)
		if (e->all[i]->abort_all)
			e->all[i]->abort_all(e->all[i], &done);
	free_capacity(e, done);
	return finish_batch(e, done, 1);
}

int engine_run(struct db *db, const struct engine_opts *o, struct engine_stats *st)
{
	struct engine e = { .db = db, .o = o, .st = st };
	memset(st, 0, sizeof *st);
	int rc = engine_setup(&e);
	if (rc) {
		engine_free(&e);
		return rc;
	}
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	interrupts = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	e.t0 = mono_ms();
	rc = engine_recover(&e);

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
		if (stopping && (!e.in_flight || mono_ms() >= stop_deadline)) {
			if (e.in_flight)
				rc = abort_in_flight(&e);
			break;
		}
		if ((rc = renew_leases(&e)))
			break;
		int progressed = 0;
		if (!stopping && !limit_reached(&e))
			rc = claim_round(&e, &progressed, 0);
		if (rc)
			break;
		progress(&e, 0);
		if (e.in_flight) {
			rc = collect_round(&e, progressed, stopping);
			continue;
		}
		if (progressed)
			continue;
		int done = stopping || limit_reached(&e);
		if (!done)
			rc = wait_until_due(&e, &done);
		if (done)
			break;
	}
	if (!rc && !interrupts)
		rc = report_given_up(&e);
	st->elapsed_ms = mono_ms() - e.t0;
	st->interrupted = interrupts > 0;
	progress(&e, 1);
	engine_free(&e);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (!rc && st->interrupted)
		rc = E_INTERRUPT;
	return rc;
}
