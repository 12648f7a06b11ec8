/* replay.c: answering model calls from recorded responses (replay.h). */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "json.h"
#include "llm.h"
#include "util.h"

struct replay {
	char *dir;
};

static void read_usage(const cJSON *u, struct result *res)
{
	long v;
	double d;
	if (!cJSON_IsObject(u))
		return;
	if (json_get_long(u, "prompt_tokens", &v) == 0)
		res->prompt_tokens = v;
	if (json_get_long(u, "output_tokens", &v) == 0)
		res->output_tokens = v;
	if (json_get_double(u, "total_ms", &d) == 0)
		res->total_ms = d;
	if (json_get_double(u, "load_ms", &d) == 0)
		res->load_ms = d;
	if (json_get_double(u, "eval_ms", &d) == 0)
		res->eval_ms = d;
	const char *s = json_str(u, "done_reason");
	if (s)
		res->done_reason = xstrdup(s);
}

static int replay_start(struct executor *ex, struct db *db, struct task *t)
{
	struct replay *rp = ex->state;
	struct result *res = &t->res;
	char key[65];
	(void)db;
	res->backend = xstrdup("replay");
	cJSON *req = cJSON_Parse(t->r.input ? t->r.input : "");
	const char *model = req ? json_str(req, "model") : NULL;
	res->model = xstrdup(model ? model : "");
	cJSON_Delete(req);
	if (llm_replay_key(t->r.input ? t->r.input : "", key) < 0) {
		result_fail(res, FC_INTERNAL, "the stored input is not a model request");
		return E_OK;
	}
	char *path = llm_replay_path(rp->dir, key);
	char *text;
	size_t len;
	if (read_file(path, &text, &len) < 0) {
		if (errno == ENOENT)
			result_fail(res, FC_REPLAY_MISS,
				    "no recorded response for this request to model '%s' (replay key %s, file %s); "
				    "record it with: waverunner run --llm record (against a model server)",
				    res->model, key, path);
		else
			result_fail(res, FC_REPLAY_MISS, "%s: %s", path, strerror(errno));
		free(path);
		return E_OK;
	}
	char *msg = NULL;
	cJSON *doc = json_parse(text, len, &msg);
	const char *response = doc ? json_str(doc, "response") : NULL;
	if (!response) {
		result_fail(res, FC_INVALID_OUTPUT, "%s: %s", path, msg ? msg : "no \"response\" string");
	} else {
		res->ok = 1;
		res->output = xstrdup(response);
		read_usage(cJSON_GetObjectItemCaseSensitive(doc, "usage"), res);
	}
	free(msg);
	cJSON_Delete(doc);
	free(text);
	free(path);
	return E_OK;
}

static void replay_destroy(struct executor *ex)
{
	struct replay *rp = ex->state;
	free(rp->dir);
	free(rp);
	free(ex);
}

struct executor *replay_executor_new(const char *dir)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	struct replay *rp = xcalloc(1, sizeof *rp);
	rp->dir = xstrdup(dir);
	ex->name = "replay";
	ex->finishes_inline = 1;
	ex->start = replay_start;
	ex->destroy = replay_destroy;
	ex->state = rp;
	return ex;
}

int replay_write(const char *dir, const char *request_json, const struct result *res, int *changed,
		 char **error)
{
	char key[65];
	*error = NULL;
	*changed = 0;
	if (llm_replay_key(request_json, key) < 0) {
		*error = xstrdup("not a model request");
		return -1;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "request", cJSON_Parse(request_json));
	cJSON_AddStringToObject(doc, "response", res->output ? res->output : "");
	cJSON *u = cJSON_AddObjectToObject(doc, "usage");
	if (res->prompt_tokens >= 0)
		cJSON_AddNumberToObject(u, "prompt_tokens", (double)res->prompt_tokens);
	if (res->output_tokens >= 0)
		cJSON_AddNumberToObject(u, "output_tokens", (double)res->output_tokens);
	if (res->total_ms >= 0)
		cJSON_AddNumberToObject(u, "total_ms", res->total_ms);
	if (res->load_ms >= 0)
		cJSON_AddNumberToObject(u, "load_ms", res->load_ms);
	if (res->eval_ms >= 0)
		cJSON_AddNumberToObject(u, "eval_ms", res->eval_ms);
	if (res->done_reason)
		cJSON_AddStringToObject(u, "done_reason", res->done_reason);
	char *text = json_print_pretty(doc);
	cJSON_Delete(doc);
	char *sub = xasprintf("%s/%.2s", dir, key);
	char *path = llm_replay_path(dir, key);
	int rc = 0;
	char *old;
	if (read_file(path, &old, NULL) == 0) {
		cJSON *prev = cJSON_Parse(old);
		const char *was = json_str(prev, "response");
		*changed = was && strcmp(was, res->output ? res->output : "") != 0;
		cJSON_Delete(prev);
		free(old);
	}
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	if (mkdir_p(sub) < 0 || write_file_atomic(path, text, len) < 0) {
		*error = xasprintf("%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(text);
	free(sub);
	free(path);
	return rc;
}

int replay_has(const char *dir, const char *request_json)
{
	char key[65];
	if (!request_json || llm_replay_key(request_json, key) < 0)
		return 0;
	char *path = llm_replay_path(dir, key);
	int found = access(path, R_OK) == 0;
	free(path);
	return found;
}
