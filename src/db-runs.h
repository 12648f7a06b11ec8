/* db-runs.h: workflow runs, interactions, their parents and events: the
 * engine's work queue and audit log. */
#ifndef db_runs_h
#define db_runs_h

#include <stddef.h>
#include <stdint.h>

struct db;

/* Runs ------------------------------------------------------------------ */

/* Creates a running workflow_run; posting_id 0 for a run without a posting. */
int db_run_create(struct db *db, long workflow_id, long posting_id, const char *params_json,
		  const char *created_by, long *run_id);
/* The id of a running run of workflow for posting, or 0. */
int db_run_active_for(struct db *db, long workflow_id, long posting_id, long *run_id);
/* The id of a completed run of workflow for posting, or 0. */
int db_run_completed_for(struct db *db, long workflow_id, long posting_id, long *run_id);
/* Recomputes a run's status from its interactions: running while anything is
 * pending or running; else failed (with the reason in status_detail) when an
 * interaction failed, a path found no rule, or a fan-in waits for a group that
 * can no longer finish; else completed. *status is set to the new status. */
int db_run_refresh(struct db *db, long run_id, const char **status);

/* Interactions ------------------------------------------------------------ */

struct new_interaction {
	long run_id;
	long posting_id;          /* 0: none */
	long conversation_id;
	long actor_id;
	const char *status;       /* "pending", "waiting" or "failed" */
	long via_rule_id;         /* 0: a seed */
	const char *input;        /* NULL for a waiting fan-in */
	const size_t *cuts;       /* where input's substituted values begin and end */
	size_t ncuts;             /* (db-texts.h: the pieces stored once) */
	const char *error;        /* for "failed": why it could not even be created */
	const char *failure_class;
	int max_attempts;
	const long *parents;
	size_t nparents;
	const char *event_data;   /* extra JSON for the created event, or NULL */
};

/* Inserts an interaction with its parents and its interaction_created event
 * (and interaction_failed when created failed). */
int db_interaction_create(struct db *db, const struct new_interaction *ni, long *id);

/* One interaction that is ready to run. Strings are owned (db_ready_release). */
struct ready {
	long id;
	long run_id;
	long workflow_id;
	long posting_id;
	long conversation_id;
	int attempts;
	int max_attempts;
	char *input;
	char *params;
};
void db_ready_release(struct ready *r);

/* Scope of a run command: 0 means any. */
struct scope {
	long workflow_id;
	long run_id;
};
/* E_INPUT ("there is no run N", "there is no workflow N") unless what the
 * scope names exists. */
int db_scope_check(struct db *db, const struct scope *scope);

/* Up to max ready interactions (pending, due, of a running run, in scope): the
 * oldest run's first, so that postings finish one after another; those of the
 * actors in later_actors (a JSON array of actor ids, or NULL) after all others.
 * Their input and params are not read (NULL): db_ready_load reads them. */
int db_ready(struct db *db, const struct scope *scope, const char *now, const char *later_actors, size_t max,
	     struct ready *out, size_t *n);
/* Reads the input and params of a ready interaction. */
int db_ready_load(struct db *db, struct ready *r);
/* When the next pending interaction in scope becomes due ("" when none waits). */
int db_next_due(struct db *db, const struct scope *scope, char out[32]);

/* Marks interaction id running under a lease; counts the attempt. attempts is
 * its attempts column as read when it was found ready. *claimed is 0 when
 * another process got there first. */
int db_interaction_claim(struct db *db, long id, const char *owner, const char *lease_until, int attempts,
			 int *claimed);
/* Extends every lease owner holds on a running interaction to lease_until;
 * *renewed: how many. Leases taken over by another process are not touched. */
int db_leases_renew(struct db *db, const char *owner, const char *lease_until, long *renewed);

/* The fence of an attempt: every write that ends an attempt (complete, fail,
 * retry, release) applies only while the interaction is still in that attempt:
 * running under owner's lease with attempts as the claim left it, or, for an
 * attempt that was never claimed (owner NULL: a step finished inline in the
 * transaction that selected it), still pending with attempts unchanged. A
 * process that was stopped (SIGSTOP, a paused VM) or whose clock jumped may
 * have lost its lease to another run meanwhile; its result is then discarded. */
struct fence {
	const char *owner;        /* the lease owner, or NULL: not claimed */
	int attempts;             /* the interactions.attempts of this attempt */
};
/* Whether the attempt f of interaction id is still current; when it is not,
 * *why (caller frees) says what happened to it, else *why is NULL. */
int db_interaction_holds(struct db *db, long id, const struct fence *f, char **why);
/* Records that attempt f of interaction id ended (outcome: "completed",
 * "failed", "retry", "released") but was discarded, and why. */
int db_attempt_discarded(struct db *db, long id, const struct fence *f, const char *outcome, const char *why);

/* What a finished step produced, as stored. */
struct step_record {
	const char *output;
	const char *branch_text;
	int64_t duration_ms;
	const char *backend;
	const char *model;
	long prompt_tokens;       /* -1: unknown */
	long output_tokens;       /* -1: unknown */
	double total_ms;          /* < 0: unknown */
	double load_ms;
	double eval_ms;
	const char *done_reason;
	const char *log;          /* a script's stderr (its end), or NULL: put in the event */
};

/* The ends of attempt f (see struct fence). Each applies only while f is
 * current; the caller checks that first (db_interaction_holds) in the same
 * transaction, so a write that matches no row is an error (E_DB). attempts:
 * the count to store (this attempt included). */
/* running|pending -> completed, with its record and completed event. */
int db_interaction_complete(struct db *db, long id, const struct fence *f, const struct step_record *rec,
			    int attempts);
/* -> failed for good, keeping any output (a save that found nothing usable). */
int db_interaction_fail(struct db *db, long id, const struct fence *f, const char *failure_class,
			const char *error, const struct step_record *rec, int attempts);
/* -> pending again, due at not_before, after a failure worth retrying. log:
 * what the attempt wrote on stderr, or NULL (kept in the event). */
int db_interaction_retry(struct db *db, long id, const struct fence *f, const char *failure_class,
			 const char *error, const char *not_before, int attempts, int64_t delay_ms, const char *log);
/* running -> pending without counting the attempt: interrupted by the user, or
 * its model server failed; event_data is the interaction_released event's JSON
 * (NULL: {"reason": "interrupted"}). */
int db_interaction_release(struct db *db, long id, const struct fence *f, const char *event_data);

/* Appends an event; data is a JSON object text (NULL for {}). */
int db_event_add(struct db *db, long interaction_id, const char *type, const char *data);

/* The output of the interaction's nearest earlier interaction of conversation
 * conv in the same run, walking parents from the given ones. *found is 0 when
 * none. output: a new string or NULL. */
int db_ancestor_output(struct db *db, long run_id, const long *parents, size_t nparents, long conv,
		       char **output, int *found);
/* The output of the first parent (for {parent_response}). */
int db_parent_output(struct db *db, const long *parents, size_t nparents, char **output, int *found);

/* How many interactions of run were created by rule_id (for max_iterations). */
int db_rule_fired(struct db *db, long run_id, long rule_id, long *count);

/* Fan-in: the waiting interaction of conversation conv in run, or 0. */
int db_waiting_for(struct db *db, long run_id, long conv, long *id);
/* Adds a parent (ignored when already one). */
int db_parent_add(struct db *db, long id, long parent);
/* The latest completed interaction of conv in run, or 0. */
int db_latest_completed(struct db *db, long run_id, long conv, long *id);
/* The parents of id (caller frees *parents). */
int db_parents(struct db *db, long id, long **parents, size_t *n);
/* A waiting interaction becomes pending with its rendered input (or failed);
 * cuts as in struct new_interaction. */
int db_interaction_activate(struct db *db, long id, const char *input, const size_t *cuts, size_t ncuts,
			    const char *error);

/* Crash recovery: running interactions whose lease expired, or whose owner
 * (alive_fn says) is gone, return to pending; an exhausted budget fails them. */
typedef int (*owner_alive_fn)(const char *owner);
int db_recover_leases(struct db *db, const char *now, owner_alive_fn alive, long *recovered);

#endif
