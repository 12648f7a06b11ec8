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
 * fails with that failure class, which is how tests exercise retries.
 *
 * Linear in the number of postings: the answers are indexed by posting and the
 * call counts by (run, conversation) in hash tables, and recorded fixtures are
 * written without a sync each (one sync() at the end), so that tests/bench can
 * record 100,000 postings in minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "engine.h"
#include "err.h"
#include "exec.h"
#include "json.h"
#include "util.h"

/* Open addressing, linear probing; a table of 2^k slots kept under half full. */
struct answers {
	cJSON *doc;
	struct posting_slot {
		const char *key; /* the posting's key in doc; NULL: empty */
		const cJSON *byconv;
	} *postings;
	size_t pcap;
	struct counter {
		long run, conv; /* run 0: empty */
		int calls;
	} *counts;
	size_t ncounts, ccap;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t hash_pair(long a, long b)
{
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15u ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Fu;
	return (size_t)(h ^ h >> 29);
}

/* Indexes the top-level keys of doc (the first of duplicates wins, as cJSON's lookup). */
static void index_postings(struct answers *a)
{
	size_t n = (size_t)cJSON_GetArraySize(a->doc);
	a->pcap = 16;
	while (a->pcap < 2 * n + 1)
		a->pcap *= 2;
	a->postings = xcalloc(a->pcap, sizeof *a->postings);
	const cJSON *c;
	cJSON_ArrayForEach(c, a->doc) {
		size_t i = hash_str(c->string) & (a->pcap - 1);
		while (a->postings[i].key && strcmp(a->postings[i].key, c->string))
			i = (i + 1) & (a->pcap - 1);
		if (!a->postings[i].key)
			a->postings[i] = (struct posting_slot){ c->string, c };
	}
}

static const cJSON *answers_of(const struct answers *a, const char *key)
{
	size_t i = hash_str(key) & (a->pcap - 1);
	while (a->postings[i].key && strcmp(a->postings[i].key, key))
		i = (i + 1) & (a->pcap - 1);
	return a->postings[i].byconv;
}

static int *calls_for(struct answers *a, long run, long conv)
{
	if (2 * (a->ncounts + 1) > a->ccap) {
		struct counter *old = a->counts;
		size_t oldcap = a->ccap;
		a->ccap = oldcap ? oldcap * 2 : 1024;
		a->counts = xcalloc(a->ccap, sizeof *a->counts);
		for (size_t j = 0; j < oldcap; j++) {
			if (!old[j].run)
				continue;
			size_t i = hash_pair(old[j].run, old[j].conv) & (a->ccap - 1);
			while (a->counts[i].run)
				i = (i + 1) & (a->ccap - 1);
			a->counts[i] = old[j];
		}
		free(old);
	}
	size_t i = hash_pair(run, conv) & (a->ccap - 1);
	while (a->counts[i].run && !(a->counts[i].run == run && a->counts[i].conv == conv))
		i = (i + 1) & (a->ccap - 1);
	if (!a->counts[i].run) {
		a->counts[i] = (struct counter){ run, conv, 0 };
		a->ncounts++;
	}
	return &a->counts[i].calls;
}

static int answer_start(struct executor *ex, struct db *db, struct task *t)
{
	struct answers *a = ex->state;
	(void)db;
	char posting[32], conv[32];
	snprintf(posting, sizeof posting, "%ld", t->r.posting_id);
	snprintf(conv, sizeof conv, "%ld", t->r.conversation_id);
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(answers_of(a, posting), conv);
	if (!ans)
		ans = cJSON_GetObjectItemCaseSensitive(answers_of(a, "*"), conv);
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
	struct answers a = { .doc = json_parse(text, len, &msg) };
	free(text);
	if (!cJSON_IsObject(a.doc)) {
		fprintf(stderr, "answer-run: %s: %s\n", argv[2], msg ? msg : "not a JSON object");
		return 3;
	}
	index_postings(&a);
	write_files_durable(0);
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
	if (o.llm == LLM_RECORD)
		sync();
	cJSON_Delete(a.doc);
	free(a.postings);
	free(a.counts);
	return rc;
}
