/* db-defs.h: workflow definitions in the database: storing a loaded file,
 * reading a workflow back, listing workflows. */
#ifndef db_defs_h
#define db_defs_h

#include "workflow.h"

struct db;

/* Adds to wf the actors its conversations name that the database holds and wf
 * does not, so that validation sees every actor. */
int db_workflow_complete_actors(struct db *db, struct workflow *wf);

/* A definition in a workflow being stored that would change what another
 * workflow uses: an actor one of its steps runs, defined differently; one of
 * its conversations, defined differently; an instruction or rule id that one
 * of its conversations holds. */
struct defs_clash {
	char *message;  /* "actor 7 'grader' is used by workflow 3001 '...' (...); workflow 9 defines it differently: type" */
	long *others;   /* the other workflows it concerns */
	size_t nothers;
};
struct defs_clashes {
	struct defs_clash *items;
	size_t n;
};
void defs_clashes_release(struct defs_clashes *c);

/* Finds every clash of wf with the other workflows stored (appended to *out).
 * A conversation or actor that another workflow shares, defined the same, is
 * no clash. */
int db_workflow_clashes(struct db *db, const struct workflow *wf, struct defs_clashes *out);

/* Stores wf: the workflow, its actors, conversations, membership, instructions
 * and rules, replacing what an earlier load of the same workflow stored. Must be
 * called inside a transaction; fills in the ids it assigns. E_INPUT when the
 * file clashes with what is stored: an actor name owned by another id, or,
 * unless replace_shared, a clash with another workflow (db_workflow_clashes).
 * A conversation another workflow shares, defined the same, is left as it is. */
int db_workflow_store(struct db *db, struct workflow *wf, int replace_shared);

/* Reads workflow id into wf (release with workflow_release). E_INPUT if there is
 * no such workflow. */
int db_workflow_read(struct db *db, long id, struct workflow *wf);

/* The ids of all workflows, ascending (caller frees *ids). */
int db_workflow_ids(struct db *db, long **ids, size_t *n);

#endif
