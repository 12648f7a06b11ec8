/* defs.c: workflow definitions kept for the length of a command. */
#include "defs.h"

#include <stdlib.h>

#include "db-defs.h"
#include "err.h"
#include "util.h"

int defs_get(struct defs *d, struct db *db, long workflow_id, const struct workflow **out)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->wfs[i]->id == workflow_id) {
			*out = d->wfs[i];
			return E_OK;
		}
	struct workflow *wf = xcalloc(1, sizeof *wf);
	int rc = db_workflow_read(db, workflow_id, wf);
	if (rc) {
		free(wf);
		return rc;
	}
	if (!wf->nconvs) {
		workflow_release(wf);
		free(wf);
		return err_set(E_INPUT, "workflow %ld has no conversations", workflow_id);
	}
	d->wfs = xreallocarray(d->wfs, d->n + 1, sizeof *d->wfs);
	d->wfs[d->n++] = wf;
	*out = wf;
	return E_OK;
}

void defs_release(struct defs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		workflow_release(d->wfs[i]);
		free(d->wfs[i]);
	}
	free(d->wfs);
	d->wfs = NULL;
	d->n = 0;
}
