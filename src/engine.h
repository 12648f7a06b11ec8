/* engine.h: the scheduler. One thread claims ready interactions up to the free
 * capacity, runs them through their executors, waits on everything in flight at
 * once, and finishes each in a short transaction (several at a time). */
#ifndef engine_h
#define engine_h

#include <stddef.h>
#include <stdint.h>

#include "advance.h"
#include "db-runs.h"
#include "llm.h"

struct db;

struct engine_opts {
	struct scope scope;
	long max_interactions;    /* stop claiming after this many; 0: no limit */
	enum llm_mode llm;        /* --llm */
	enum llm_mode live;       /* --backend: the live backend of every actor; LLM_ACTOR: each its own */
	const char *replay_dir;   /* where replayed and recorded responses live */
	int parallel;             /* tasks in flight at once, in all */
	int per_model;            /* requests in flight per model (actor config "parallel" overrides) */
	int per_server;           /* requests in flight per model server; 0: no limit of its own */
	int loaded_models;        /* different models one server is sent requests for at a time */
	int fifo;                 /* oldest first whatever the model (--order fifo), not loaded model first */
	int scripts;              /* scripts running at once */
	int64_t retry_base_ms;
	int64_t retry_cap_ms;
	int64_t grace_ms;         /* after a first Ctrl-C, how long work in flight may finish */
	int64_t patience_ms;      /* how long a model server may fail before run gives up on it */
	int retry_failed;         /* --retry-failed: transiently failed interactions go back to pending */
	int progress;             /* print progress on stderr */
	size_t max_answer;        /* the cap on a model's answer in bytes; 0: the default (llmreply.h) */
	/* When set, every model call goes to this executor instead of a backend
	 * (tests and fixture authoring); the engine does not destroy it. */
	struct executor *model_executor;
};

/* Defaults: all of them, 8 in flight, 1 per model, no limit per server of its
 * own, one model per server at a time, loaded model first, 4 scripts, retries
 * from 1 s up to 60 s (engine_opts_env: WAVERUNNER_RETRY_BASE_MS, _CAP_MS), 5 s of
 * grace, 10 minutes of patience with a server that is down. */
void engine_opts_default(struct engine_opts *o);
/* Reads WAVERUNNER_RETRY_BASE_MS and WAVERUNNER_RETRY_CAP_MS into o; E_USAGE,
 * naming the variable, when one is set but not a whole number in range. */
int engine_opts_env(struct engine_opts *o);

struct engine_stats {
	struct advance_stats adv;
	long finished;            /* interactions that ended (completed, failed or retried) */
	long recovered;           /* leases taken back from a process that died */
	long discarded;           /* attempts that ended after another process took their lease */
	long resumed;             /* failed interactions put back to pending (--retry-failed) */
	long released;            /* interactions given back because their server failed */
	int64_t elapsed_ms;
	int interrupted;
};

/* Runs until nothing in scope is ready or due, the limit is reached, or the
 * user interrupts (E_INTERRUPT). E_DB on a database failure; E_INPUT, before
 * anything is claimed, when a model server's configuration is wrong (see
 * preflight.h); E_REMOTE when a model server stayed down for the patience and
 * interactions are left pending for it (the message names it). */
int engine_run(struct db *db, const struct engine_opts *o, struct engine_stats *st);

#endif
