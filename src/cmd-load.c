/* cmd-load.c: waverunner load: import workflow files and posting files.
 * All files load in one transaction: one bad file and nothing is loaded. A
 * workflow file may not change what another workflow uses (db_workflow_clashes)
 * unless --replace-shared; then every workflow concerned is validated. */
#include <errno.h>
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
#include "workflow-diff.h"

/* A workflow that shares a definition a load replaces, and its errors before. */
struct affected {
	long id;
	size_t errors_before;
};

struct load_report {
	cJSON *files; /* for --json */
	int replace_shared;
	struct affected *affected;
	size_t naffected;
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

/* Validates stored workflow id; its findings are printed when print. */
static int validate_stored(struct cmd_ctx *ctx, long id, int print, struct findings *f, char **name)
{
	struct workflow wf;
	int rc = db_workflow_read(ctx->db, id, &wf);
	if (rc)
		return rc;
	validate_workflow(&wf, f);
	if (print) {
		char origin[64];
		snprintf(origin, sizeof origin, "workflow %ld", id);
		findings_print(f, origin);
	}
	if (name)
		*name = xstrdup(wf.name);
	workflow_release(&wf);
	return E_OK;
}

/* Remembers the workflows a clash concerns, with their errors before the load. */
static int note_affected(struct cmd_ctx *ctx, struct load_report *rep, const struct defs_clash *cl)
{
	for (size_t i = 0; i < cl->nothers; i++) {
		size_t k = 0;
		while (k < rep->naffected && rep->affected[k].id != cl->others[i])
			k++;
		if (k < rep->naffected)
			continue;
		struct findings f = { 0 };
		int rc = validate_stored(ctx, cl->others[i], 0, &f, NULL);
		size_t errors = f.errors;
		findings_release(&f);
		if (rc)
			return rc;
		rep->affected = xreallocarray(rep->affected, rep->naffected + 1, sizeof *rep->affected);
		rep->affected[rep->naffected++] = (struct affected){ cl->others[i], errors };
	}
	return E_OK;
}

/* A load may not change what another workflow uses unless asked to
 * (--replace-shared); then the workflows concerned are checked at the end. */
static int check_clashes(struct cmd_ctx *ctx, const char *path, const struct workflow *wf,
			 struct load_report *rep)
{
	struct defs_clashes cl = { 0 };
	int rc = db_workflow_clashes(ctx->db, wf, &cl);
	for (size_t i = 0; !rc && i < cl.n; i++) {
		if (rep->replace_shared) {
			warn("%s: replacing: %s", path, cl.items[i].message);
			rc = note_affected(ctx, rep, &cl.items[i]);
		} else {
			note("%s: error: %s", path, cl.items[i].message);
		}
	}
	if (!rc && cl.n && !rep->replace_shared)
		rc = err_set(E_INPUT, "%s: workflow %ld not loaded: it would change %zu definition%s another "
			     "workflow uses (see above; load --replace-shared replaces them)", path, wf->id, cl.n,
			     cl.n == 1 ? "" : "s");
	defs_clashes_release(&cl);
	return rc;
}

/* After the files: each workflow whose shared definitions were replaced is
 * validated as stored now; one with more errors than before fails the load. */
static int check_affected(struct cmd_ctx *ctx, struct load_report *rep)
{
	int rc = E_OK;
	for (size_t i = 0; !rc && i < rep->naffected; i++) {
		const struct affected *a = &rep->affected[i];
		struct findings f = { 0 };
		char *name = NULL;
		if ((rc = validate_stored(ctx, a->id, !ctx->json, &f, &name)))
			break;
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "kind", "affected");
			cJSON_AddNumberToObject(o, "workflow_id", (double)a->id);
			cJSON_AddNumberToObject(o, "errors", (double)f.errors);
			cJSON_AddNumberToObject(o, "warnings", (double)f.warnings);
			cJSON_AddItemToObject(o, "findings", findings_json(&f));
			cJSON_AddItemToArray(rep->files, o);
		} else {
			printf("workflow %ld '%s' (shares what was replaced): %zu error%s, %zu warning%s\n", a->id, name,
			       f.errors, f.errors == 1 ? "" : "s", f.warnings, f.warnings == 1 ? "" : "s");
		}
		if (f.errors > a->errors_before)
			rc = err_set(E_INPUT, "workflow %ld would have %zu error%s after this load (%zu before; see "
				     "above); to change both, load both files in one command", a->id, f.errors, f.errors == 1 ? "" : "s",
				     a->errors_before);
		free(name);
		findings_release(&f);
	}
	return rc;
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
	if ((rc = check_clashes(ctx, path, &wf, rep))) {
		findings_release(&f);
		goto out;
	}
	size_t nrules = 0;
	for (size_t i = 0; i < wf.nconvs; i++)
		nrules += wf.convs[i].nrules;
	/* Reloading: what changed, before the stored version is replaced. */
	struct workflow was = { 0 };
	struct buf changes = BUF_INIT;
	int existed = db_workflow_read(ctx->db, wf.id, &was) == E_OK;
	err_clear();
	size_t nchanges = existed ? workflow_diff(&was, &wf, &changes) : 0;
	workflow_release(&was);
	rc = db_workflow_store(ctx->db, &wf, rep->replace_shared);
	if (!rc) {
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "file", path);
			cJSON_AddStringToObject(o, "kind", "workflow");
			cJSON_AddNumberToObject(o, "workflow_id", (double)wf.id);
			cJSON_AddNumberToObject(o, "conversations", (double)wf.nconvs);
			cJSON_AddNumberToObject(o, "rules", (double)nrules);
			cJSON_AddNumberToObject(o, "warnings", (double)f.warnings);
			cJSON_AddBoolToObject(o, "new", !existed);
			cJSON *list = cJSON_AddArrayToObject(o, "changes");
			for (char *l = changes.data, *nl; l && (nl = strchr(l, '\n')); l = nl + 1) {
				char *item = xstrndup(l + 2, (size_t)(nl - l - 2));
				cJSON_AddItemToArray(list, cJSON_CreateString(item));
				free(item);
			}
			cJSON_AddItemToArray(rep->files, o);
		} else {
			printf("%s: workflow %ld '%s' (%zu conversation%s, %zu rule%s%s)%s\n", path, wf.id, wf.name,
			       wf.nconvs, wf.nconvs == 1 ? "" : "s", nrules, nrules == 1 ? "" : "s",
			       f.warnings ? ", with warnings" : "",
			       !existed ? "" : nchanges ? ": changed" : ": unchanged");
			fputs(buf_str(&changes), stdout);
		}
	}
	buf_release(&changes);
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

enum { OPT_REPLACE_SHARED = CMD_OPT_LONG_ONLY + 1 };

static const struct cmd_option options[] = {
	{ "replace-shared", OPT_REPLACE_SHARED, NULL,
	  "replace actors and conversations other workflows use (checking them)" },
	{ 0 },
};

static int cmd_load(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = E_OK, replace = 0;
	const struct cmd_arg args[] = { { OPT_REPLACE_SHARED, .flag = &replace }, { 0 } };
	if (cmd_parse_args(ctx, argc, argv, args, 0, &rc) < 0)
		return rc;
	if (optind == argc)
		return cmd_usage_error(ctx, "name at least one file to load");
	if ((rc = cmd_open_db(ctx, 0)) || (rc = db_begin(ctx->db)))
		return rc;
	struct load_report rep = { ctx->json ? cJSON_CreateArray() : NULL, replace, NULL, 0 };
	for (int i = optind; !rc && i < argc; i++)
		rc = load_file(ctx, argv[i], &rep);
	if (!rc)
		rc = check_affected(ctx, &rep);
	free(rep.affected);
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

CMD_DEFINE(load, options,
	   "load [--replace-shared] FILE...",
	   "import workflow files and posting files; loading a file again updates what it loaded");
