/* cmd-load.c: waverunner load: import workflow files and posting files.
 * All files load in one transaction: one bad file and nothing is loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db-defs.h"
#include "db-postings.h"
#include "db.h"
#include "err.h"
#include "json.h"
#include "util.h"
#include "validate.h"

struct load_report {
	cJSON *files; /* for --json */
};

static int load_postings(struct cmd_ctx *ctx, const char *path, const cJSON *arr, struct load_report *rep)
{
	size_t added = 0, updated = 0, i = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, arr) {
		char *where = xasprintf("%s: posting [%zu]", path, i++);
		long id = 0;
		int inserted = 0;
		int rc = db_posting_upsert(ctx->db, p, where, &id, &inserted);
		free(where);
		if (rc)
			return rc;
		inserted ? added++ : updated++;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddStringToObject(o, "kind", "postings");
		cJSON_AddNumberToObject(o, "added", (double)added);
		cJSON_AddNumberToObject(o, "updated", (double)updated);
		cJSON_AddItemToArray(rep->files, o);
	} else {
		printf("%s: %zu posting%s (%zu new, %zu updated)\n", path, added + updated,
		       added + updated == 1 ? "" : "s", added, updated);
	}
	return E_OK;
}

static int load_workflow(struct cmd_ctx *ctx, const char *path, const cJSON *root, struct load_report *rep)
{
	struct workflow wf;
	int rc = workflow_from_json(root, path, &wf);
	if (rc)
		return rc;
	char *copy = xstrdup(path), *slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	char *dir = realpath(slash ? copy : ".", NULL);
	wf.source_dir = dir ? xstrdup(dir) : NULL;
	free(dir);
	free(copy);
	if ((rc = db_workflow_complete_actors(ctx->db, &wf)))
		goto out;
	struct findings f = { 0 };
	validate_workflow(&wf, &f);
	findings_print(&f, path);
	if (f.errors) {
		rc = err_set(E_INPUT, "%s: workflow %ld not loaded: %zu error%s (see above)", path, wf.id, f.errors,
			     f.errors == 1 ? "" : "s");
		findings_release(&f);
		goto out;
	}
	size_t nrules = 0;
	for (size_t i = 0; i < wf.nconvs; i++)
		nrules += wf.convs[i].nrules;
	rc = db_workflow_store(ctx->db, &wf);
	if (!rc) {
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "file", path);
			cJSON_AddStringToObject(o, "kind", "workflow");
			cJSON_AddNumberToObject(o, "workflow_id", (double)wf.id);
			cJSON_AddNumberToObject(o, "conversations", (double)wf.nconvs);
			cJSON_AddNumberToObject(o, "rules", (double)nrules);
			cJSON_AddNumberToObject(o, "warnings", (double)f.warnings);
			cJSON_AddItemToArray(rep->files, o);
		} else {
			printf("%s: workflow %ld '%s' (%zu conversation%s, %zu rule%s%s)\n", path, wf.id, wf.name,
			       wf.nconvs, wf.nconvs == 1 ? "" : "s", nrules, nrules == 1 ? "" : "s",
			       f.warnings ? ", with warnings" : "");
		}
	}
	findings_release(&f);
out:
	workflow_release(&wf);
	return rc;
}

static int load_file(struct cmd_ctx *ctx, const char *path, struct load_report *rep)
{
	char *text, *msg;
	size_t len;
	if ((msg = read_input_file(path, INPUT_FILE_MAX, &text, &len))) {
		err_set(E_INPUT, "%s: %s", path, msg);
		free(msg);
		return E_INPUT;
	}
	if (!utf8_valid(text, len)) {
		free(text);
		return err_set(E_INPUT, "%s: not valid UTF-8", path);
	}
	cJSON *root = json_parse_strict(text, len, &msg);
	free(text);
	if (!root) {
		err_set(E_INPUT, "%s: %s", path, msg);
		free(msg);
		return E_INPUT;
	}
	int rc;
	if (cJSON_IsArray(root))
		rc = load_postings(ctx, path, root, rep);
	else if (cJSON_IsObject(root) && cJSON_HasObjectItem(root, "postings"))
		rc = cJSON_IsArray(cJSON_GetObjectItem(root, "postings"))
			     ? load_postings(ctx, path, cJSON_GetObjectItem(root, "postings"), rep)
			     : err_set(E_INPUT, "%s: 'postings' must be an array", path);
	else if (cJSON_IsObject(root))
		rc = load_workflow(ctx, path, root, rep);
	else
		rc = err_set(E_INPUT, "%s: expected a workflow (a JSON object) or postings (a JSON array)", path);
	cJSON_Delete(root);
	return rc;
}

static int cmd_load(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = E_OK;
	if (cmd_getopt(ctx, argc, argv, "", NULL, &rc) < 0)
		return rc;
	if (optind == argc)
		return cmd_usage_error(ctx, "name at least one file to load");
	if ((rc = cmd_open_db(ctx, 0)) || (rc = db_begin(ctx->db)))
		return rc;
	struct load_report rep = { ctx->json ? cJSON_CreateArray() : NULL };
	for (int i = optind; !rc && i < argc; i++)
		rc = load_file(ctx, argv[i], &rep);
	if (rc) {
		db_rollback(ctx->db);
		char *m = xstrdup(err_msg());
		err_set(rc, "%s (nothing was loaded)", m);
		free(m);
		cJSON_Delete(rep.files);
		return rc;
	}
	rc = db_commit(ctx->db);
	if (!rc && ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "files", rep.files);
		json_emit(o);
	} else {
		cJSON_Delete(rep.files);
	}
	return rc;
}

const struct cmd_entry cmd_load_entry = {
	.name = "load",
	.usage = "load FILE...",
	.summary = "import workflow files and posting files; loading a file again updates what it loaded",
	.options = "",
	.run = cmd_load,
};
