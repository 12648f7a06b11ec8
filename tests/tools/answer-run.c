/* answer-run: runs the engine with every model call answered from an answers
 * file instead of a model server, and (with --record) writes the replay
 * fixtures of those calls. This is how the project's recorded responses are
 * authored (tests/make-replay.sh) and how engine tests script model answers.
 *
 *   answer-run DB ANSWERS.json [--record DIR] [--workflow ID]
 *
 * ANSWERS.json: {"<posting id>": {"<conversation id>": ANSWER}, "*": {...}}
 * where ANSWER is a string, or an array of strings: the Nth call for the same
 * run and conversation gets the Nth (the last repeats). "*" answers postings
 * (and runs without a posting) that have no entry of their own. An answer may
 * also be an object {"fail": CLASS, "message": TEXT} (CLASS: connection,
 * timeout, rate_limit, server_error, not_found, bad_request, ...): that call
 * fails with that failure class, which is how tests exercise retries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "engine.h"
#include "err.h"
#include "exec.h"
#include "json.h"
#include "util.h"

struct answers {
	cJSON *doc;
	struct counter {
		long run, conv;
		int calls;
	} *counts;
	size_t ncounts;
};

static int *calls_for(struct answers *a, long run, long conv)
{
	for (size_t i = 0; i < a->ncounts; i++)
		if (a->counts[i].run == run && a->counts[i].conv == conv)
			return &a->counts[i].calls;
	a->counts = xreallocarray(a->counts, a->ncounts + 1, sizeof *a->counts);
	a->counts[a->ncounts] = (struct counter){ run, conv, 0 };
	return &a->counts[a->ncounts++].calls;
}

static int answer_start(struct executor *ex, struct db *db, struct task *t)
{
	struct answers *a = ex->state;
	(void)db;
	char posting[32], conv[32];
	snprintf(posting, sizeof posting, "%ld", t->r.posting_id);
	snprintf(conv, sizeof conv, "%ld", t->r.conversation_id);
	const cJSON *byconv = cJSON_GetObjectItemCaseSensitive(a->doc, posting);
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(byconv, conv);
	if (!ans)
		ans = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a->doc, "*"), conv);
	int *calls = calls_for(a, t->r.run_id, t->r.conversation_id);
	const cJSON *pick = ans;
	if (cJSON_IsArray(ans)) {
		int n = cJSON_GetArraySize(ans);
		pick = cJSON_GetArrayItem(ans, *calls < n ? *calls : n - 1);
	}
	(*calls)++;
	cJSON *req = cJSON_Parse(t->r.input ? t->r.input : "");
	const char *model = req ? json_str(req, "model") : NULL;
	t->res.model = xstrdup(model ? model : "");
	t->res.backend = xstrdup("answers");
	cJSON_Delete(req);
	const char *fail = json_str(pick, "fail");
	if (fail) {
		static const enum fail_class classes[] = { FC_CONNECTION, FC_TIMEOUT, FC_RATE_LIMIT, FC_SERVER,
							   FC_NOT_FOUND, FC_BAD_REQUEST, FC_AUTH, FC_INVALID_OUTPUT };
		enum fail_class c = FC_INTERNAL;
		for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
			if (!strcmp(fail_class_name(classes[i]), fail))
				c = classes[i];
		const char *m = json_str(pick, "message");
		result_fail(&t->res, c, "%s", m ? m : fail);
		return E_OK;
	}
	if (!cJSON_IsString(pick)) {
		result_fail(&t->res, FC_REPLAY_MISS, "the answers file has no answer for posting %s, conversation %s",
			    posting, conv);
		return E_OK;
	}
	t->res.ok = 1;
	t->res.output = xstrdup(pick->valuestring);
	return E_OK;
}

static void answer_destroy(struct executor *ex)
{
	(void)ex;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: answer-run DB ANSWERS.json [--record DIR] [--workflow ID]\n");
		return 2;
	}
	struct engine_opts o;
	engine_opts_default(&o);
	if (engine_opts_env(&o)) {
		err_print();
		return 2;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--record")) {
			o.llm = LLM_RECORD;
			o.replay_dir = argv[i + 1];
		} else if (!strcmp(argv[i], "--workflow")) {
			o.scope.workflow_id = atol(argv[i + 1]);
		}
	}
	char *text, *msg;
	size_t len;
	if (read_file(argv[2], &text, &len) < 0) {
		perror(argv[2]);
		return 3;
	}
	struct answers a = { json_parse(text, len, &msg), NULL, 0 };
	free(text);
	if (!cJSON_IsObject(a.doc)) {
		fprintf(stderr, "answer-run: %s: %s\n", argv[2], msg ? msg : "not a JSON object");
		return 3;
	}
	struct executor ex = { .name = "answers", .finishes_inline = 1, .start = answer_start,
			       .destroy = answer_destroy, .state = &a };
	o.model_executor = &ex;
	struct db *db;
	int rc = db_open(argv[1], 0, &db);
	struct engine_stats st;
	if (!rc)
		rc = engine_run(db, &o, &st);
	if (rc) {
		fprintf(stderr, "answer-run: %s\n", err_msg());
	} else {
		printf("answer-run: %ld interactions: %ld completed, %ld failed, %ld retried\n", st.finished,
		       st.adv.completed, st.adv.failed, st.adv.retried);
	}
	db_close(db);
	cJSON_Delete(a.doc);
	free(a.counts);
	return rc;
}
