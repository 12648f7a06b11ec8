/* pending.c: executors not written yet. Each fails its tasks with a message
 * saying so, never silently. Replaced by script.c and fetch.c. */
#include <stdlib.h>

#include "err.h"
#include "fetch.h"
#include "script.h"
#include "util.h"

static int unavailable(struct executor *ex, struct db *db, struct task *t)
{
	(void)db;
	result_fail(&t->res, FC_INTERNAL, "the %s executor is not available in this build", ex->name);
	return E_OK;
}

static void destroy(struct executor *ex)
{
	free(ex);
}

static struct executor *make(const char *name)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	ex->name = name;
	ex->finishes_inline = 1;
	ex->start = unavailable;
	ex->destroy = destroy;
	return ex;
}

struct executor *script_executor_new(const char *db_path)
{
	(void)db_path;
	return make("script");
}

struct executor *fetch_executor_new(const char *db_path)
{
	(void)db_path;
	return make("fetch_jobs");
}
