/* db-sync.h: what sync remembers in the local database: the PostgreSQL version
 * of each pulled posting, what was pushed, where incremental pulls resume. */
#ifndef db_sync_h
#define db_sync_h

#include <stddef.h>

struct db;

/* sync_state: a value by key (*value NULL when unset; caller frees). */
int db_sync_state_get(struct db *db, const char *key, char **value);
int db_sync_state_set(struct db *db, const char *key, const char *value);

/* What the local database knows of posting id before a pull. */
struct sync_local {
	int exists;               /* the posting is in the local database */
	int pulled;               /* it came from PostgreSQL (a posting_sync row) */
	char *remote_updated_at;  /* PostgreSQL's updated_at when last pulled or pushed */
	char *external_job_id;
	int unpushed;             /* it has results not pushed yet */
};
int db_sync_local(struct db *db, long posting_id, struct sync_local *out);
void db_sync_local_release(struct sync_local *l);

/* Records that a pull brought posting id, new or changed, at PostgreSQL's
 * version remote_updated_at (pulled_at = now: results saved before then are
 * based on an older version). Not called for an unchanged posting. */
int db_sync_mark_pulled(struct db *db, long posting_id, const char *remote_updated_at, const char *now);

/* A posting whose results changed since they were last pushed. */
struct sync_item {
	long posting_id;
	char *summary;            /* extracted_summary, or NULL */
	char *skills;             /* skill_keywords (JSON array text), or NULL */
	int has_ihl;
	long ihl_score;
	long ihl_scale;           /* 0: none */
	char *ihl_verdict;
	char *status;             /* posting_status */
	char *results_at;         /* results_updated_at */
	char *remote_updated_at;  /* PostgreSQL's version when last pulled or pushed */
	int stale;                /* a pull changed the posting after these results were saved */
	char *pulled_at;          /* when a pull last changed it */
	char *claim_server;       /* a claim this database holds or held on it (posting_claims), */
	char *claim_token;        /* NULL when none: where, under which token, */
	int claim_final;          /* whether its runs have ended (some run, none running), */
	int claim_failed;         /* whether the latest of them failed, */
	int claim_released;       /* and whether it was given back unfinished */
};
/* The pulled postings with results not pushed yet, by posting id. */
int db_sync_to_push(struct db *db, struct sync_item **items, size_t *n);
void db_sync_items_free(struct sync_item *items, size_t n);
/* Postings with results that did not come from PostgreSQL (caller frees *ids). */
int db_sync_local_only(struct db *db, long **ids, size_t *n);
/* Records a push: results up to results_at are in PostgreSQL, whose row now has
 * version remote_updated_at. Call after PostgreSQL committed. */
int db_sync_mark_pushed(struct db *db, long posting_id, const char *results_at, const char *remote_updated_at,
			const char *now);

/* Claims (sync pull --claim): the token of a claim on posting_id at server,
 * stored after the posting was pulled (replaces an older claim on it). */
int db_claim_store(struct db *db, long posting_id, const char *server, const char *token, const char *claimed_at,
		   const char *expires_at);
/* A claim held at server that is not released. */
struct held_claim {
	long posting_id;
	char *token;
	char *expires_at;
	int started;   /* it has a run */
	int active;    /* a run of it is running */
	int failed;    /* its latest run failed */
	int unpushed;  /* it has results not pushed yet */
};
int db_claims_held(struct db *db, const char *server, struct held_claim **out, size_t *n);
void db_claims_free(struct held_claim *c, size_t n);
int db_claim_extended(struct db *db, long posting_id, const char *token, const char *expires_at);
/* The claim is over (its posting is done, or failed): forget it. */
int db_claim_drop(struct db *db, long posting_id, const char *token);
/* Given back unfinished: not held, but its token still fences a push. */
int db_claim_released(struct db *db, long posting_id, const char *token, const char *now);

/* Actors, for storing pulled workflows: the id of the actor named name (0 when
 * none), the name of actor id (*name NULL when none; caller frees), and the
 * largest actor id below below (0 when none). */
int db_sync_actor_id(struct db *db, const char *name, long *id);
int db_sync_actor_name(struct db *db, long id, char **name);
int db_sync_actor_max_id(struct db *db, long below, long *max);

#endif
