/* cmd-validate.c: waverunner validate: check workflows before anything runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-defs.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "validate.h"

/* Validates one workflow; adds its findings to the totals and the JSON report. */
static void check(struct workflow *wf, const char *origin, size_t *errors,
		  size_t *warnings, cJSON *report)
{
	struct findings f = { 0 };
	validate_workflow(wf, &f);
	*errors += f.errors;
	*warnings += f.warnings;
	if (report) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "workflow_id", (double)wf->id);
		cJSON_AddStringToObject(o, "source", origin);
		cJSON_AddNumberToObject(o, "errors", (double)f.errors);
		cJSON_AddNumberToObject(o, "warnings", (double)f.warnings);
		cJSON_AddItemToObject(o, "findings", findings_json(&f));
		cJSON_AddItemToArray(report, o);
	} else {
		findings_print(&f, origin);
		if (strncmp(origin, "workflow ", 9))
			printf("%s: ", origin);
		printf("workflow %ld '%s': %zu error%s, %zu warning%s\n", wf->id, wf->name, f.errors,
		       f.errors == 1 ? "" : "s", f.warnings, f.warnings == 1 ? "" : "s");
	}
	findings_release(&f);
}

static const struct cmd_option options[] = {
	{ "workflow", 'w', "ID", "check only this stored workflow" },
	{ NULL, 0, "FILE...", "check workflow files instead of stored workflows" },
	{ 0 },
};

static int cmd_validate(struct cmd_ctx *ctx, int argc, char **argv)
{
	long id = 0;
	int rc = E_OK;
	const struct cmd_arg args[] = { { 'w', .id = &id }, { 0 } };
	if (cmd_parse_args(ctx, argc, argv, args, 0, &rc) < 0)
		return rc;
	if (id && optind < argc)
		return cmd_usage_error(ctx, "give --workflow or files, not both");
	size_t errors = 0, warnings = 0;
	cJSON *report = ctx->json ? cJSON_CreateArray() : NULL;

	if (optind < argc) {
		/* Files: checked as they would load; actors they do not define are
		 * looked up in the database when there is one. */
		int have_db = cmd_open_db(ctx, 0) == E_OK;
		err_clear();
		for (int i = optind; i < argc; i++) {
			struct workflow wf;
			if ((rc = workflow_read_file(argv[i], &wf))) {
				cJSON_Delete(report);
				return rc;
			}
			if (have_db && (rc = db_workflow_complete_actors(ctx->db, &wf))) {
				workflow_release(&wf);
				cJSON_Delete(report);
				return rc;
			}
			check(&wf, argv[i], &errors, &warnings, report);
			workflow_release(&wf);
		}
	} else {
		if ((rc = cmd_open_db(ctx, 0))) {
			cJSON_Delete(report);
			return rc;
		}
		long *ids = NULL;
		size_t n = 0;
		if (id) {
			ids = xmalloc(sizeof *ids);
			ids[n++] = id;
		} else if ((rc = db_workflow_ids(ctx->db, &ids, &n))) {
			cJSON_Delete(report);
			return rc;
		}
		if (!n)
			warn("the database holds no workflows (load one with: waverunner load FILE)");
		for (size_t i = 0; !rc && i < n; i++) {
			struct workflow wf;
			if ((rc = db_workflow_read(ctx->db, ids[i], &wf)))
				break;
			char origin[64];
			snprintf(origin, sizeof origin, "workflow %ld", ids[i]);
			check(&wf, origin, &errors, &warnings, report);
			workflow_release(&wf);
		}
		free(ids);
		if (rc) {
			cJSON_Delete(report);
			return rc;
		}
	}
	if (report) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "errors", (double)errors);
		cJSON_AddNumberToObject(o, "warnings", (double)warnings);
		cJSON_AddItemToObject(o, "workflows", report);
		json_emit(o);
	}
	return errors ? E_FAIL : E_OK;
}

CMD_DEFINE(validate, options,
	   "validate [--workflow ID] [FILE...]",
	   "check workflows (stored, or files) and name each problem; errors make the exit status 1");
