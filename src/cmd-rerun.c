/* cmd-rerun.c: waverunner rerun: a new run per posting that reuses the steps
 * its latest run made before a given step, and executes from that step on
 * (with the step's template as it is now: the way to try an edited prompt
 * without calling the models for everything before it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advance.h"
#include "cmd.h"
#include "db-browse.h"
#include "db-postings.h"
#include "db-rerun.h"
#include "db-runs.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "workflow.h"

/* Old interaction ids and their copies in the new run. */
struct copies {
	long *from;
	long *to;
	size_t n;
};

/* The copies of the interactions in ids; ids without a copy are left out. */
static size_t map_ids(const struct copies *c, const long *ids, size_t n, long *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < c->n; j++)
			if (c->from[j] == ids[i]) {
				out[k++] = c->to[j];
				break;
			}
	return k;
}

/* Copies the interactions in ids (in the order they ran) into run, each with
 * the copies of its parents. */
static int copy_steps(struct db *db, long run, const long *ids, size_t n, struct copies *c)
{
	c->from = xcalloc(n ? n : 1, sizeof *c->from);
	c->to = xcalloc(n ? n : 1, sizeof *c->to);
	for (size_t i = 0; i < n; i++) {
		long *parents, *mapped;
		size_t np;
		int rc = db_parents(db, ids[i], &parents, &np);
		if (rc)
			return rc;
		mapped = xcalloc(np ? np : 1, sizeof *mapped);
		size_t nm = map_ids(c, parents, np, mapped);
		rc = db_interaction_copy(db, ids[i], run, mapped, nm, &c->to[c->n]);
		free(parents);
		free(mapped);
		if (rc)
			return rc;
		c->from[c->n++] = ids[i];
	}
	return E_OK;
}

/* One posting: a new run with the steps before conv reused and conv pending.
 * *why is set (and nothing written) when the posting cannot be rerun. */
static int rerun_posting(struct db *db, const struct workflow *wf, const struct wf_conv *conv, long posting,
			 cJSON *runs, char **why)
{
	long latest, active, anchor, via_rule;
	int rc;
	*why = NULL;
	if ((rc = db_latest_run(db, posting, wf->id, &latest)) || (rc = db_run_active_for(db, wf->id, posting, &active)))
		return rc;
	if (!latest) {
		*why = xasprintf("it has no run of workflow %ld (start it with waverunner start)", wf->id);
		return E_OK;
	}
	if (active) {
		*why = xasprintf("its run %ld is still running", active);
		return E_OK;
	}
	if ((rc = db_rerun_anchor(db, latest, conv->id, &anchor, &via_rule)))
		return rc;
	if (!anchor) {
		*why = xasprintf("its latest run %ld never reached conversation %ld", latest, conv->id);
		return E_OK;
	}
	long *before = NULL, *parents = NULL, *mapped = NULL, run = 0, seed = 0;
	size_t nbefore = 0, nparents = 0;
	char *params = NULL;
	struct copies c = { 0 };
	if ((rc = db_rerun_ancestors(db, latest, anchor, &before, &nbefore)) ||
	    (rc = db_run_params(db, latest, &params)) ||
	    (rc = db_run_create(db, wf->id, posting, params, "rerun", &run)) ||
	    (rc = copy_steps(db, run, before, nbefore, &c)) || (rc = db_parents(db, anchor, &parents, &nparents)))
		goto out;
	mapped = xcalloc(nparents ? nparents : 1, sizeof *mapped);
	struct spawn sp = { run, posting, params, conv, via_rule, mapped, map_ids(&c, parents, nparents, mapped) };
	if ((rc = advance_create(db, wf, &sp, &seed)))
		goto out;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "run_id", (double)run);
	cJSON_AddNumberToObject(r, "posting_id", (double)posting);
	cJSON_AddNumberToObject(r, "from_run_id", (double)latest);
	cJSON_AddNumberToObject(r, "reused", (double)c.n);
	cJSON_AddNumberToObject(r, "seed_interaction_id", (double)seed);
	cJSON_AddItemToArray(runs, r);
out:
	free(before);
	free(parents);
	free(mapped);
	free(params);
	free(c.from);
	free(c.to);
	return rc;
}

static int rerun_all(struct cmd_ctx *ctx, const struct workflow *wf, const struct wf_conv *conv, const long *postings,
		     size_t n)
{
	cJSON *report = cJSON_CreateObject();
	cJSON *runs = cJSON_AddArrayToObject(report, "runs");
	cJSON *skipped = cJSON_AddArrayToObject(report, "skipped");
	int rc = db_begin(ctx->db);
	for (size_t i = 0; !rc && i < n; i++) {
		int exists = db_posting_exists(ctx->db, postings[i]);
		if (exists <= 0) {
			rc = exists < 0 ? E_DB : err_set(E_INPUT, "there is no posting %ld", postings[i]);
			break;
		}
		char *why;
		if ((rc = rerun_posting(ctx->db, wf, conv, postings[i], runs, &why)) || !why)
			continue;
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "posting_id", (double)postings[i]);
		cJSON_AddStringToObject(s, "reason", why);
		cJSON_AddItemToArray(skipped, s);
		free(why);
	}
	if ((rc = cmd_end_transaction(ctx, rc))) {
		cJSON_Delete(report);
		return rc;
	}
	int started = cJSON_GetArraySize(runs), nskipped = cJSON_GetArraySize(skipped);
	if (ctx->json) {
		cJSON_AddNumberToObject(report, "workflow_id", (double)wf->id);
		cJSON_AddNumberToObject(report, "from_conversation_id", (double)conv->id);
		json_emit(report);
		return !started && nskipped ? E_FAIL : E_OK;
	}
	double reused = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, runs)
		reused += json_num(it, "reused");
	printf("started %d run%s of workflow %ld at conversation %ld '%s', reusing %.0f earlier step%s\n", started,
	       started == 1 ? "" : "s", wf->id, conv->id, conv->name, reused, reused == 1 ? "" : "s");
	int shown = 0;
	cJSON_ArrayForEach(it, skipped)
		if (shown++ < 10)
			warn("skipped posting %.0f: %s", json_num(it, "posting_id"), json_text(it, "reason"));
	if (nskipped > 10)
		warn("skipped %d more postings (--json lists them all)", nskipped - 10);
	cJSON_Delete(report);
	return !started && nskipped ? E_FAIL : E_OK;
}

static const struct cmd_option options[] = {
	{ "from", 'f', "CONV", "the step to run again, and every step after it" },
	{ "workflow", 'w', "ID", "the workflow (default: the one CONV is a step of)" },
	{ "all", 'a', NULL, "every posting that has a run of the workflow" },
	{ 0 },
};

static int cmd_rerun(struct cmd_ctx *ctx, int argc, char **argv)
{
	long from = 0, workflow = 0, *postings = NULL;
	size_t n = 0;
	int all = 0, rc = E_OK;
	const struct cmd_arg args[] = { { 'f', .id = &from }, { 'w', .id = &workflow }, { 'a', .flag = &all }, { 0 } };
	if (cmd_parse_args(ctx, argc, argv, args, 0, &rc) < 0)
		return rc;
	if (!from)
		return cmd_usage_error(ctx, "say which step to rerun from: --from CONV");
	if (all == (optind < argc))
		return cmd_usage_error(ctx, "say which postings: POSTING... or --all");
	postings = xcalloc((size_t)argc, sizeof *postings);
	for (int i = optind; i < argc && !rc; i++)
		rc = cmd_parse_id(ctx, "POSTING", argv[i], &postings[n++]);
	struct workflow wf = { 0 };
	if (rc || (rc = cmd_open_db(ctx, 0)))
		goto out;
	if (!workflow) {
		long count;
		if ((rc = db_rerun_workflow_of(ctx->db, from, &workflow, &count)))
			goto out;
		if (count != 1) {
			rc = count ? cmd_usage_error(ctx, "conversation %ld is a step of %ld workflows: say which with --workflow",
						     from, count)
				   : err_set(E_INPUT, "conversation %ld is not a step of any workflow", from);
			goto out;
		}
	}
	if ((rc = cmd_read_runnable_workflow(ctx, workflow, &wf)))
		goto out;
	const struct wf_conv *conv = workflow_conv(&wf, from);
	if (!conv || !conv->enabled) {
		rc = err_set(E_INPUT, "conversation %ld is not an enabled step of workflow %ld", from, wf.id);
		goto out;
	}
	if (all) {
		free(postings);
		postings = NULL;
		if ((rc = db_rerun_postings(ctx->db, wf.id, &postings, &n)))
			goto out;
		if (!n) {
			warn("no posting has a run of workflow %ld to rerun", wf.id);
			goto out;
		}
	}
	rc = rerun_all(ctx, &wf, conv, postings, n);
out:
	workflow_release(&wf);
	free(postings);
	return rc;
}

CMD_DEFINE(rerun, options,
	   "rerun --from CONV [--workflow ID] POSTING...|--all",
	   "start a new run per posting at a step, reusing what the posting's latest run made before it");
