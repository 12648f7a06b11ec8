/* defs.h: the workflow definitions a run command uses, read from the database
 * once and kept for the length of the command. */
#ifndef defs_h
#define defs_h

#include <stddef.h>

#include "workflow.h"

struct db;

struct defs {
	struct workflow **wfs;
	size_t n;
};

/* The workflow id (read on first use). E_INPUT if it does not exist. */
int defs_get(struct defs *d, struct db *db, long workflow_id, const struct workflow **out);
void defs_release(struct defs *d);

#endif
