/* db-defs.h: workflow definitions in the database: storing a loaded file,
 * reading a workflow back, listing workflows. */
#ifndef db_defs_h
#define db_defs_h

#include "workflow.h"

struct db;

/* Adds to wf the actors its conversations name that the database holds and wf
 * does not, so that validation sees every actor. */
int db_workflow_complete_actors(struct db *db, struct workflow *wf);

/* Stores wf: the workflow, its actors, conversations, membership, instructions
 * and rules, replacing what an earlier load of the same workflow stored. Must be
 * called inside a transaction; fills in the ids it assigns. E_INPUT when the
 * file clashes with what is stored (an actor name owned by another id). */
int db_workflow_store(struct db *db, struct workflow *wf);

/* Reads workflow id into wf (release with workflow_release). E_INPUT if there is
 * no such workflow. */
int db_workflow_read(struct db *db, long id, struct workflow *wf);

/* The ids of all workflows, ascending (caller frees *ids). */
int db_workflow_ids(struct db *db, long **ids, size_t *n);

#endif
