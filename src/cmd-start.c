/* cmd-start.c: waverunner start: one workflow_run per posting and its seed
 * interaction (or one run without a posting, starting at the first step). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advance.h"
#include "cmd.h"
#include "db-defs.h"
#include "db-postings.h"
#include "db-runs.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "validate.h"

struct start_args {
	long workflow;
	long *postings;
	size_t npostings;
	int all;
	const char *status;
	long from;
	int again;
	cJSON *params; /* overrides */
};

static int add_postings(struct cmd_ctx *ctx, struct start_args *a, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	int rc = E_OK, any = 0;
	for (char *tok = strtok_r(copy, ", ", &save); tok && !rc; tok = strtok_r(NULL, ", ", &save)) {
		long id;
		if ((rc = cmd_parse_id(ctx, "--posting", tok, &id)))
			break;
		a->postings = xreallocarray(a->postings, a->npostings + 1, sizeof *a->postings);
		a->postings[a->npostings++] = id;
		any = 1;
	}
	free(copy);
	/* ",," names no posting: it must not become a run without one. */
	if (!rc && !any)
		rc = cmd_usage_error(ctx, "--posting needs posting ids such as 10001,10002, not '%s'", arg);
	return rc;
}

/* KEY=VALUE; the value is typed like the parameter's default (a number stays a number). */
static int add_param(struct cmd_ctx *ctx, struct start_args *a, const struct workflow *wf, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return cmd_usage_error(ctx, "--param needs KEY=VALUE, not '%s'", arg);
	char *key = xstrndup(arg, (size_t)(eq - arg));
	const cJSON *dflt = cJSON_GetObjectItemCaseSensitive(wf->parameters, key);
	if (!dflt) {
		struct buf known = BUF_INIT;
		const cJSON *p;
		cJSON_ArrayForEach(p, wf->parameters)
			buf_printf(&known, "%s%s", known.len ? ", " : "", p->string);
		int rc = cmd_usage_error(ctx, "workflow %ld has no parameter '%s' (it has: %s)", wf->id, key,
					 known.len ? buf_str(&known) : "none");
		buf_release(&known);
		free(key);
		return rc;
	}
	cJSON *v = NULL;
	if (cJSON_IsNumber(dflt)) {
		char *end;
		double d = strtod(eq + 1, &end);
		if (*end || end == eq + 1 || !isfinite(d)) {
			int rc = cmd_usage_error(ctx, "parameter '%s' is a number, not '%s'", key, eq + 1);
			free(key);
			return rc;
		}
		v = cJSON_CreateNumber(d);
	} else if (cJSON_IsBool(dflt)) {
		int t = !strcmp(eq + 1, "true") || !strcmp(eq + 1, "1");
		if (!t && strcmp(eq + 1, "false") && strcmp(eq + 1, "0")) { /* "maybe" was silently false */
			int rc = cmd_usage_error(ctx, "parameter '%s' is true or false, not '%s'", key, eq + 1);
			free(key);
			return rc;
		}
		v = cJSON_CreateBool(t);
	} else {
		v = cJSON_CreateString(eq + 1);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(a->params, key);
	cJSON_AddItemToObject(a->params, key, v);
	free(key);
	return E_OK;
}

static int start_runs(struct cmd_ctx *ctx, struct start_args *a, const struct workflow *wf,
		      const struct wf_conv *from, const char *params)
{
	cJSON *report = cJSON_CreateObject();
	cJSON *runs = cJSON_AddArrayToObject(report, "runs");
	cJSON *skipped = cJSON_AddArrayToObject(report, "skipped");
	cJSON *done = cJSON_AddArrayToObject(report, "skipped_completed");
	int rc = db_begin(ctx->db);
	long started = 0;
	size_t n = a->npostings ? a->npostings : 1;
	for (size_t i = 0; !rc && i < n; i++) {
		long posting = a->npostings ? a->postings[i] : 0;
		if (posting) {
			int exists = db_posting_exists(ctx->db, posting);
			if (exists < 0) {
				rc = E_DB;
				break;
			}
			if (!exists) {
				rc = err_set(E_INPUT, "there is no posting %ld", posting);
				break;
			}
		}
		long active = 0;
		if ((rc = db_run_active_for(ctx->db, wf->id, posting, &active)))
			break;
		if (active && !a->again) {
			cJSON *s = cJSON_CreateObject();
			if (posting)
				cJSON_AddNumberToObject(s, "posting_id", (double)posting);
			cJSON_AddNumberToObject(s, "active_run_id", (double)active);
			cJSON_AddItemToArray(skipped, s);
			continue;
		}
		/* A daily start --all does only what is new: a posting that already
		 * completed the workflow is left alone (rerun redoes steps on purpose). */
		long completed = 0;
		if (posting && (a->all || a->status) && !a->again &&
		    (rc = db_run_completed_for(ctx->db, wf->id, posting, &completed)))
			break;
		if (completed) {
			cJSON_AddItemToArray(done, cJSON_CreateNumber((double)posting));
			continue;
		}
		long run, seed;
		if ((rc = db_run_create(ctx->db, wf->id, posting, params, "start", &run)))
			break;
		struct spawn sp = { run, posting, params, from, 0, NULL, 0 };
		if ((rc = advance_create(ctx->db, wf, &sp, &seed)))
			break;
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "run_id", (double)run);
		if (posting)
			cJSON_AddNumberToObject(r, "posting_id", (double)posting);
		cJSON_AddNumberToObject(r, "seed_interaction_id", (double)seed);
		cJSON_AddItemToArray(runs, r);
		started++;
	}
	if ((rc = cmd_end_transaction(ctx, rc))) {
		cJSON_Delete(report);
		return rc;
	}
	int nskipped = cJSON_GetArraySize(skipped), ndone = cJSON_GetArraySize(done);
	if (ctx->json) {
		cJSON_AddNumberToObject(report, "workflow_id", (double)wf->id);
		cJSON_AddNumberToObject(report, "start_conversation_id", (double)from->id);
		json_emit(report);
		return !started && nskipped ? E_FAIL : E_OK;
	}
	if (ndone)
		note("skipped %d posting%s that already completed workflow %ld; start them again with --again, "
		     "or redo some steps with: waverunner rerun --from CONV", ndone, ndone == 1 ? "" : "s", wf->id);
	printf("started %ld run%s of workflow %ld at conversation %ld '%s'\n", started, started == 1 ? "" : "s",
	       wf->id, from->id, from->name);
	if (nskipped) {
		const cJSON *s = cJSON_GetArrayItem(skipped, 0);
		const cJSON *posting = cJSON_GetObjectItem(s, "posting_id");
		char first[64] = "";
		if (posting)
			snprintf(first, sizeof first, "posting %ld: ", (long)posting->valuedouble);
		warn("skipped %d %s that already %s an active run of workflow %ld (%srun %ld); start again with --again",
		     nskipped, a->npostings ? (nskipped == 1 ? "posting" : "postings") : "start",
		     nskipped == 1 ? "has" : "have", wf->id, first,
		     (long)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "active_run_id")));
	}
	cJSON_Delete(report);
	/* Nothing started because everything asked for is already running: say so in the status. */
	return !started && nskipped ? E_FAIL : E_OK;
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "the workflow to run" },
	{ "posting", 'p', "N[,N...]", "these postings (repeatable; ids may also follow the options)" },
	{ "all", 'a', NULL, "every enabled posting" },
	{ "status", 's', "S", "every enabled posting with posting_status S" },
	{ "from", 'f', "CONV", "start at this conversation instead of the first step" },
	{ "param", 'P', "KEY=VALUE", "set a run parameter the workflow declares (repeatable)" },
	{ "again", 'A', NULL,
	  "also start postings that have an active run of the workflow, or\n"
	  "(with --all or --status) that already completed it" },
	{ 0 },
};

static int cmd_start(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct start_args a = { 0 };
	const char **raw_params = xcalloc((size_t)argc + 1, sizeof *raw_params);
	size_t nraw = 0;
	int rc = E_OK, c;
	while ((c = cmd_getopts(ctx, argc, argv, &rc)) > 0 && !rc) {
		switch (c) {
		case 'w': rc = cmd_parse_id(ctx, "--workflow", optarg, &a.workflow); break;
		case 'p': rc = add_postings(ctx, &a, optarg); break;
		case 'a': a.all = 1; break;
		case 's':
			if (!posting_status_known(optarg))
				rc = cmd_usage_error(ctx, "--status is pending, active, complete, filled or invalid, "
						     "not '%s'", optarg);
			a.status = optarg;
			break;
		case 'f': rc = cmd_parse_id(ctx, "--from", optarg, &a.from); break;
		case 'P': raw_params[nraw++] = optarg; break;
		case 'A': a.again = 1; break;
		}
	}
	struct workflow wf = { 0 };
	if (c < 0 || rc)
		goto out;
	for (int i = optind; !rc && i < argc; i++) /* posting ids may also follow the options */
		rc = add_postings(ctx, &a, argv[i]);
	if (rc)
		goto out;
	if (!a.workflow) {
		rc = cmd_usage_error(ctx, "say which workflow: --workflow ID");
		goto out;
	}
	if ((a.all != 0) + (a.status != NULL) + (a.npostings != 0) > 1) {
		rc = cmd_usage_error(ctx, "choose postings one way: --posting, --all or --status");
		goto out;
	}
	if ((rc = cmd_open_db(ctx, 0)) || (rc = cmd_read_runnable_workflow(ctx, a.workflow, &wf)))
		goto out;
	a.params = cJSON_Duplicate(wf.parameters, 1);
	for (size_t i = 0; !rc && i < nraw; i++)
		rc = add_param(ctx, &a, &wf, raw_params[i]);
	if (rc)
		goto out;
	if (a.all || a.status) {
		if ((rc = db_posting_ids(ctx->db, a.status, &a.postings, &a.npostings)))
			goto out;
		if (!a.npostings) {
			warn("no postings%s%s to start", a.status ? " with status " : "", a.status ? a.status : "");
			goto out;
		}
	}
	const struct wf_conv *from;
	if (a.from) {
		from = workflow_conv(&wf, a.from);
		if (!from || !from->enabled) {
			rc = err_set(E_INPUT, "conversation %ld is not an enabled step of workflow %ld", a.from, wf.id);
			goto out;
		}
		struct buf needs = BUF_INIT;
		if (validate_start_needs(from, &needs)) {
			rc = err_set(E_INPUT, "a run cannot start at conversation %ld '%s': it needs %s, which only earlier "
				     "steps fill (waverunner rerun --from %ld reuses them from a posting's latest run)",
				     from->id, from->name, buf_str(&needs), from->id);
			buf_release(&needs);
			goto out;
		}
	} else {
		from = a.npostings ? workflow_posting_entry(&wf) : workflow_first_step(&wf);
		if (!from) {
			rc = err_set(E_INPUT, "workflow %ld has no step that works on a posting", wf.id);
			goto out;
		}
	}
	char *params = json_print(a.params);
	rc = start_runs(ctx, &a, &wf, from, params);
	free(params);
out:
	workflow_release(&wf);
	cJSON_Delete(a.params);
	free(a.postings);
	free(raw_params);
	return rc;
}

CMD_DEFINE(start, options,
	   "start --workflow ID [--posting N[,N...]... | --all | --status S] [--from CONV] "
	   "[--param KEY=VALUE]... [--again]",
	   "create one run per posting (or one run without a posting, at the first step) and its "
	   "first interaction");
