/* stub-llm.c: a model server for tests and benchmarks. It speaks Ollama's
 * /api/generate and /api/chat and the OpenAI-compatible /v1/chat/completions
 * (streaming or not), answers from replay fixtures, an answers file or a simple
 * rule, and behaves like a busy server where it matters to a scheduler: a fixed
 * number of slots (more requests wait in its queue, first come first served),
 * one model loaded at a time and a cost to switch, and failures injected at
 * given rates. It reports what it saw (GET /stats, --stats-file) so that tests
 * can assert on it. Single-threaded, poll()-based; garbage in gives an error
 * answer, never a crash.
 *
 *   stub-llm [--port N] [--port-file F] [--latency-ms N] [--slots N] [--switch-ms N]
 *            [--models A,B] [--api-key K] [--fail-500 R] [--fail-503 R] [--fail-429 R]
 *            [--retry-after S] [--fail-400 R] [--stall R] [--malformed R] [--drop R]
 *            [--endless R] [--nul R] [--no-props] [--max-loaded N]
 *            [--seed N] [--replay-dir DIR] [--answers FILE] [--stats-file F] [--request-log F]
 *            [--verbose]
 *
 * Rates R are fractions of generation requests (0..1). Without --seed they are
 * spread evenly and the first request fails (rate 0.5: the 1st, 3rd, 5th...),
 * so a test knows which attempt fails; with --seed they are random. --endless
 * streams an answer that never ends (as fast as the client reads); --nul puts
 * "abc\u0000def" in the answer's first piece.
 *
 * Answers, in order: --answers FILE, a JSON object
 *   {"<posting id>": {"<conversation id>": "answer" | ["1st call", "2nd call"]}, "*": {...}}
 * chosen by the X-Waverunner-Posting and -Conversation headers (the Nth call for
 * one posting and conversation gets the Nth string, the last one repeats; "*"
 * matches any); then --replay-dir (fixtures keyed as waverunner keys them);
 * then a rule: a prompt containing "[PASS]" gets "[PASS]", "JSON array" a skill
 * list, "ihl_score" an IHL verdict, anything else a summary-shaped text.
 *
 * GET /api/tags (Ollama) and GET /v1/models (OpenAI-compatible) list the
 * models of --models; without it the stub serves any model and lists the ones
 * the tests and the benchmark use (LISTED). GET /props reports the slots as
 * llama.cpp's server does ({"total_slots": N}); --no-props answers it 404,
 * like a server that does not say. --max-loaded N keeps up to N models loaded
 * (OLLAMA_MAX_LOADED_MODELS; default 1), which GET /api/ps lists.
 *
 * --request-log F appends a line "POSTING CONVERSATION MODEL" for each
 * generation request as it arrives (the X-Waverunner headers), so that tests
 * can see which postings were asked about how often, by any number of clients. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "llm.h"
#include "sha256.h"
#include "util.h"

#define MAX_CONNS 1000
#define MAX_HEADER 65536
#define MAX_BODY (32u << 20)
#define LISTED "qwen2.5:7b,mistral:latest,gemma2:latest"
#define MAX_LOADED 16

enum api { API_GENERATE, API_CHAT, API_OPENAI };
enum fault { F_NONE, F_DROP, F_500, F_503, F_429, F_400, F_MALFORMED, F_STALL, F_ENDLESS, F_NUL, F_COUNT };
static const char *const fault_names[] = { "none", "drop", "500", "503", "429", "400", "malformed", "stall",
					   "endless", "nul" };

struct knob {
	double rate;
	long n;
};

struct job;

struct conn {
	int fd;
	struct buf in;
	struct buf out;
	size_t out_off;
	int close_after;
	int head_only; /* answering HEAD: headers without the body */
	struct job *job;
};

struct job {
	struct conn *c;
	enum api api;
	int stream;
	int include_usage;
	int stalled;
	int endless; /* stalled, and the answer keeps coming */
	int nul;
	int active;
	char *model;
	char *answer;
	long prompt_tokens;
	int64_t arrived, start, done_at;
	int64_t load_ms;
	struct job *next;
};

struct model_stat {
	char *name;
	long requests, loads, open, peak;
	struct model_stat *next;
};

static struct {
	int latency_ms, slots, switch_ms, retry_after, verbose;
	int no_props; /* --no-props: no GET /props (a server that does not report its slots) */
	int max_loaded; /* --max-loaded: models kept loaded at once (OLLAMA_MAX_LOADED_MODELS) */
	int seeded;
	uint64_t rng;
	const char *models, *api_key, *replay_dir, *stats_file;
	FILE *request_log;
	cJSON *answers;
	cJSON *calls; /* "posting conversation" -> calls so far */
	struct knob knobs[F_COUNT];
} opt = { .latency_ms = 100, .slots = 1, .retry_after = 1, .max_loaded = 1 };

static struct {
	struct job *queue; /* every open generation request, in arrival order */
	int active;
	char *loaded;      /* the model loaded last */
	int64_t loaded_at; /* when the model loaded last is ready */
	/* The models kept loaded (--max-loaded), each ready at its time. */
	char *resident[MAX_LOADED];
	int64_t resident_at[MAX_LOADED];
	int nresident;
	long requests, completed, cancelled, loads, switches, replay_hits;
	long open, peak_open, peak_active, http_requests;
	long peak_models; /* models served at once */
	long injected[F_COUNT];
	long by_api[3];
	double service_ms, switch_total_ms;
	/* Slot time not spent serving, by cause (slot-milliseconds). */
	double idle_ms, drain_ms, loading_ms;
	int64_t accounted_at;
	int64_t first_arrival, last_done;
	struct model_stat *by_model;
	int dirty;
} st;

static struct conn *conns[MAX_CONNS];
static size_t nconns;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t next_random(void)
{
	uint64_t x = opt.rng ? opt.rng : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	opt.rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Whether the knob fires for its next request (see the top of the file). */
static int fires(struct knob *k)
{
	if (k->rate <= 0)
		return 0;
	k->n++;
	if (opt.seeded)
		return (double)(next_random() >> 11) / (double)(1ull << 53) < k->rate;
	return ceil((double)k->n * k->rate - 1e-9) > ceil((double)(k->n - 1) * k->rate - 1e-9);
}

static struct model_stat *model_stat(const char *name)
{
	struct model_stat *m;
	for (m = st.by_model; m; m = m->next)
		if (!strcmp(m->name, name))
			return m;
	m = xcalloc(1, sizeof *m);
	m->name = xstrdup(name);
	m->next = st.by_model;
	st.by_model = m;
	return m;
}

/* Adds the slot time since the last call to its cause: slots free with
 * nothing queued (the client sent nothing), slots free while a request for
 * another model waits for the loaded one to drain, and loading. */
static void account_time(int64_t now)
{
	if (st.accounted_at && now > st.accounted_at && st.first_arrival) {
		double dt = (double)(now - st.accounted_at);
		int serving = 0, waiting = 0;
		for (struct job *j = st.queue; j; j = j->next) {
			if (j->active && j->start <= st.accounted_at)
				serving++;
			if (!j->active)
				waiting = 1;
		}
		double free_slots = (double)(opt.slots - serving);
		if (st.loaded_at > st.accounted_at) {
			double loading = (double)((st.loaded_at < now ? st.loaded_at : now) - st.accounted_at);
			st.loading_ms += free_slots * loading;
			dt -= loading;
		}
		if (dt <= 0)
			;
		else if (waiting)
			st.drain_ms += free_slots * dt;
		else
			st.idle_ms += free_slots * dt;
	}
	st.accounted_at = now;
}

static char *stats_json(void)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "requests", (double)st.requests);
	cJSON_AddNumberToObject(j, "completed", (double)st.completed);
	cJSON_AddNumberToObject(j, "cancelled", (double)st.cancelled);
	cJSON_AddNumberToObject(j, "http_requests", (double)st.http_requests);
	cJSON_AddNumberToObject(j, "peak_concurrency", (double)st.peak_open);
	cJSON_AddNumberToObject(j, "peak_active", (double)st.peak_active);
	cJSON_AddNumberToObject(j, "peak_models", (double)st.peak_models);
	cJSON_AddNumberToObject(j, "open", (double)st.open);
	cJSON_AddNumberToObject(j, "model_loads", (double)st.loads);
	cJSON_AddNumberToObject(j, "model_switches", (double)st.switches);
	cJSON_AddNumberToObject(j, "replay_hits", (double)st.replay_hits);
	cJSON_AddNumberToObject(j, "slots", opt.slots);
	cJSON_AddNumberToObject(j, "latency_ms", opt.latency_ms);
	cJSON_AddNumberToObject(j, "switch_ms", opt.switch_ms);
	cJSON_AddNumberToObject(j, "service_ms", st.service_ms);
	cJSON_AddNumberToObject(j, "switch_total_ms", st.switch_total_ms);
	cJSON_AddNumberToObject(j, "idle_slot_ms", st.idle_ms);
	cJSON_AddNumberToObject(j, "drain_slot_ms", st.drain_ms);
	cJSON_AddNumberToObject(j, "loading_slot_ms", st.loading_ms);
	cJSON_AddNumberToObject(j, "span_ms", st.first_arrival ? (double)(st.last_done - st.first_arrival) : 0);
	cJSON *ba = cJSON_AddObjectToObject(j, "by_api");
	cJSON_AddNumberToObject(ba, "generate", (double)st.by_api[API_GENERATE]);
	cJSON_AddNumberToObject(ba, "chat", (double)st.by_api[API_CHAT]);
	cJSON_AddNumberToObject(ba, "openai", (double)st.by_api[API_OPENAI]);
	cJSON *bm = cJSON_AddObjectToObject(j, "by_model");
	for (struct model_stat *m = st.by_model; m; m = m->next) {
		cJSON *o = cJSON_AddObjectToObject(bm, m->name);
		cJSON_AddNumberToObject(o, "requests", (double)m->requests);
		cJSON_AddNumberToObject(o, "loads", (double)m->loads);
		cJSON_AddNumberToObject(o, "peak_concurrency", (double)m->peak);
	}
	cJSON *inj = cJSON_AddObjectToObject(j, "errors_injected");
	for (int f = F_DROP; f < F_COUNT; f++)
		cJSON_AddNumberToObject(inj, fault_names[f], (double)st.injected[f]);
	char *s = json_print(j);
	cJSON_Delete(j);
	return s;
}

/* Rewrites --stats-file: at once when no request is open (so that a client
 * that got its last answer reads figures that include it), else at most four
 * times a second, so that writing does not make answers late. */
static void write_stats(int64_t now)
{
	static int64_t last;
	if (!opt.stats_file || !st.dirty || (st.open && now - last < 250))
		return;
	last = now;
	st.dirty = 0;
	char *s = stats_json();
	char *tmp = xasprintf("%s.tmp", opt.stats_file);
	FILE *f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%s\n", s);
		if (fclose(f) == 0)
			rename(tmp, opt.stats_file);
	}
	free(tmp);
	free(s);
}

/* Output ------------------------------------------------------------------ */

static void out_headers(struct conn *c, int status, const char *type, long length, const char *extra)
{
	const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 401 ? "Unauthorized"
			   : status == 404 ? "Not Found" : status == 413 ? "Payload Too Large"
			   : status == 429 ? "Too Many Requests" : status == 431 ? "Request Header Fields Too Large"
			   : status == 500 ? "Internal Server Error" : status == 503 ? "Service Unavailable" : "Error";
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", status, reason, type);
	if (length >= 0)
		buf_printf(&c->out, "Content-Length: %ld\r\n", length);
	else
		buf_puts(&c->out, "Transfer-Encoding: chunked\r\n");
	if (c->close_after)
		buf_puts(&c->out, "Connection: close\r\n");
	if (extra)
		buf_puts(&c->out, extra);
	buf_puts(&c->out, "\r\n");
}

static void respond(struct conn *c, int status, const char *type, const char *body, const char *extra)
{
	out_headers(c, status, type, (long)strlen(body), extra);
	if (!c->head_only)
		buf_puts(&c->out, body);
}

static void out_chunk(struct conn *c, const char *data, size_t len)
{
	if (!len)
		return;
	buf_printf(&c->out, "%zx\r\n", len);
	buf_add(&c->out, data, len);
	buf_puts(&c->out, "\r\n");
}

/* An error body in the shape of the API. */
static void respond_error(struct conn *c, enum api api, int status, const char *msg, const char *extra)
{
	cJSON *j = cJSON_CreateObject();
	if (api == API_OPENAI) {
		cJSON *e = cJSON_AddObjectToObject(j, "error");
		cJSON_AddStringToObject(e, "message", msg);
		cJSON_AddStringToObject(e, "type", status == 401 ? "authentication_error" : status == 404 ? "not_found_error"
						 : status == 400 ? "invalid_request_error" : "server_error");
		cJSON_AddNumberToObject(e, "code", status);
	} else {
		cJSON_AddStringToObject(j, "error", msg);
	}
	char *s = json_print(j);
	cJSON_Delete(j);
	respond(c, status, "application/json", s, extra);
	free(s);
}

/* Answers ----------------------------------------------------------------- */

static long words(const char *s)
{
	long n = 0;
	int in = 0;
	for (; s && *s; s++) {
		int sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static char *from_answers(const char *posting, const char *conversation)
{
	if (!opt.answers)
		return NULL;
	const char *ps[] = { posting, "*" };
	const char *cs[] = { conversation, "*" };
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++) {
			const cJSON *per = cJSON_GetObjectItemCaseSensitive(opt.answers, ps[i]);
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(per, cs[k]);
			if (cJSON_IsString(a))
				return xstrdup(a->valuestring);
			if (!cJSON_IsArray(a) || !cJSON_GetArraySize(a))
				continue;
			char *key = xasprintf("%s %s", posting, conversation);
			cJSON *cnt = cJSON_GetObjectItemCaseSensitive(opt.calls, key);
			int n = cnt ? (int)cnt->valuedouble : 0;
			if (cnt)
				cJSON_SetNumberValue(cnt, n + 1);
			else
				cJSON_AddNumberToObject(opt.calls, key, 1);
			free(key);
			int size = cJSON_GetArraySize(a);
			const cJSON *pick = cJSON_GetArrayItem(a, n < size ? n : size - 1);
			return xstrdup(cJSON_IsString(pick) ? pick->valuestring : "");
		}
	return NULL;
}

static char *from_replay(const cJSON *stored)
{
	if (!opt.replay_dir)
		return NULL;
	char *text = json_print(stored), key[65];
	int rc = llm_replay_key(text, key);
	free(text);
	if (rc < 0)
		return NULL;
	char *path = llm_replay_path(opt.replay_dir, key), *file;
	size_t len;
	char *answer = NULL;
	if (read_file(path, &file, &len) == 0) {
		cJSON *doc = cJSON_ParseWithLength(file, len);
		const char *r = json_str(doc, "response");
		if (r) {
			answer = xstrdup(r);
			st.replay_hits++;
		}
		cJSON_Delete(doc);
		free(file);
	}
	free(path);
	return answer;
}

static char *by_rule(const char *model, const char *prompt)
{
	if (strstr(prompt, "[PASS]"))
		return xstrdup("[PASS]\nThe summary is accurate, complete and uses the required sections.");
	if (strstr(prompt, "JSON array"))
		return xstrdup("[{\"skill\": \"Python\", \"importance\": \"essential\", \"weight\": 80, "
			       "\"proficiency\": \"advanced\", \"years_required\": 3, \"reasoning\": \"stated\"}, "
			       "{\"skill\": \"SQL\", \"importance\": \"important\", \"weight\": 60, "
			       "\"proficiency\": \"intermediate\", \"years_required\": 2, \"reasoning\": \"stated\"}]");
	if (strstr(prompt, "ihl_score"))
		return xstrdup("{\"ihl_score\": 2, \"verdict\": \"GENUINE\", \"confidence\": \"high\", "
			       "\"reasoning\": \"an open search by the stub\"}");
	char hex[65];
	sha256_hex(prompt, strlen(prompt), hex);
	return xasprintf("Role: Engineer %.8s\nCompany: not stated\nLocation: not stated\nJob ID: %.12s\n"
			 "Key Responsibilities:\n- build and run systems\nRequirements:\n- experience\n"
			 "Details: answered by stub-llm for %s",
			 hex, hex + 8, model);
}

/* The request in waverunner's stored form ({"model","system","prompt",
 * "options","format"}), so that fixtures keyed by it are found. */
static cJSON *stored_form(const cJSON *req, enum api api)
{
	cJSON *s = cJSON_CreateObject();
	const char *model = json_str(req, "model");
	cJSON_AddStringToObject(s, "model", model ? model : "");
	const char *system = NULL, *prompt = NULL;
	if (api == API_GENERATE) {
		system = json_str(req, "system");
		prompt = json_str(req, "prompt");
	} else {
		const cJSON *m;
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(req, "messages")) {
			const char *role = json_str(m, "role"), *content = json_str(m, "content");
			if (!role || !content)
				continue;
			if (!strcmp(role, "system") && !system)
				system = content;
			else if (!strcmp(role, "user"))
				prompt = content;
		}
	}
	if (system)
		cJSON_AddStringToObject(s, "system", system);
	cJSON_AddStringToObject(s, "prompt", prompt ? prompt : "");
	if (api == API_OPENAI) {
		cJSON *o = cJSON_CreateObject();
		static const char *const same[] = { "temperature", "top_p", "seed", "stop", "frequency_penalty",
						    "presence_penalty", NULL };
		for (const char *const *k = same; *k; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, *k);
			if (v)
				cJSON_AddItemToObject(o, *k, cJSON_Duplicate(v, 1));
		}
		const cJSON *mt = cJSON_GetObjectItemCaseSensitive(req, "max_tokens");
		if (mt)
			cJSON_AddItemToObject(o, "num_predict", cJSON_Duplicate(mt, 1));
		if (cJSON_GetArraySize(o))
			cJSON_AddItemToObject(s, "options", o);
		else
			cJSON_Delete(o);
		const cJSON *rf = cJSON_GetObjectItemCaseSensitive(req, "response_format");
		const char *type = json_str(rf, "type");
		if (type && !strcmp(type, "json_object"))
			cJSON_AddStringToObject(s, "format", "json");
		const cJSON *schema = json_path(rf, "json_schema.schema");
		if (type && !strcmp(type, "json_schema") && schema)
			cJSON_AddItemToObject(s, "format", cJSON_Duplicate(schema, 1));
	} else {
		static const char *const keys[] = { "options", "format", NULL };
		for (const char *const *k = keys; *k; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, *k);
			if (v && !cJSON_IsNull(v))
				cJSON_AddItemToObject(s, *k, cJSON_Duplicate(v, 1));
		}
	}
	return s;
}

/* The answer's pieces: about 24 bytes each, never splitting a UTF-8 sequence. */
static size_t next_piece(const char *s, size_t len, size_t at)
{
	size_t end = at + 24 < len ? at + 24 : len;
	while (end < len && ((unsigned char)s[end] & 0xC0) == 0x80)
		end++;
	return end;
}

static cJSON *ollama_chunk(const struct job *j, const char *piece, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	char when[32];
	iso_now(when);
	cJSON_AddStringToObject(o, "model", j->model);
	cJSON_AddStringToObject(o, "created_at", when);
	char *p = xstrndup(piece, len);
	if (j->api == API_CHAT) {
		cJSON *m = cJSON_AddObjectToObject(o, "message");
		cJSON_AddStringToObject(m, "role", "assistant");
		cJSON_AddStringToObject(m, "content", p);
	} else {
		cJSON_AddStringToObject(o, "response", p);
	}
	free(p);
	cJSON_AddFalseToObject(o, "done");
	return o;
}

static void ollama_final(const struct job *j, cJSON *o, int64_t now)
{
	cJSON_ReplaceItemInObject(o, "done", cJSON_CreateTrue());
	cJSON_AddStringToObject(o, "done_reason", "stop");
	double total = (double)(now - j->arrived) * 1e6;
	double service = (double)opt.latency_ms * 1e6;
	cJSON_AddNumberToObject(o, "total_duration", total);
	cJSON_AddNumberToObject(o, "load_duration", (double)j->load_ms * 1e6);
	cJSON_AddNumberToObject(o, "prompt_eval_count", (double)j->prompt_tokens);
	cJSON_AddNumberToObject(o, "prompt_eval_duration", service * 0.2);
	cJSON_AddNumberToObject(o, "eval_count", (double)(words(j->answer) ? words(j->answer) : 1));
	cJSON_AddNumberToObject(o, "eval_duration", service * 0.8);
}

static cJSON *openai_chunk(const struct job *j, const char *piece, size_t len, const char *finish)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", "chatcmpl-stub");
	cJSON_AddStringToObject(o, "object", j->stream ? "chat.completion.chunk" : "chat.completion");
	cJSON_AddNumberToObject(o, "created", (double)(now_ms() / 1000));
	cJSON_AddStringToObject(o, "model", j->model);
	cJSON *choices = cJSON_AddArrayToObject(o, "choices");
	cJSON *c = cJSON_CreateObject();
	cJSON_AddItemToArray(choices, c);
	cJSON_AddNumberToObject(c, "index", 0);
	cJSON *d = cJSON_AddObjectToObject(c, j->stream ? "delta" : "message");
	if (piece) {
		char *p = xstrndup(piece, len);
		if (!j->stream || !len)
			cJSON_AddStringToObject(d, "role", "assistant");
		cJSON_AddStringToObject(d, "content", p);
		free(p);
	}
	if (finish)
		cJSON_AddStringToObject(c, "finish_reason", finish);
	else
		cJSON_AddNullToObject(c, "finish_reason");
	return o;
}

static cJSON *openai_usage(const struct job *j)
{
	cJSON *u = cJSON_CreateObject();
	long out = words(j->answer) ? words(j->answer) : 1;
	cJSON_AddNumberToObject(u, "prompt_tokens", (double)j->prompt_tokens);
	cJSON_AddNumberToObject(u, "completion_tokens", (double)out);
	cJSON_AddNumberToObject(u, "total_tokens", (double)(j->prompt_tokens + out));
	return u;
}

static void put_line(struct conn *c, cJSON *o, const char *prefix, const char *suffix)
{
	char *s = json_print(o);
	char *line = xasprintf("%s%s%s", prefix, s, suffix);
	out_chunk(c, line, strlen(line));
	free(line);
	free(s);
	cJSON_Delete(o);
}

/* Writes the whole answer of j (or, when stalled, its beginning only). */
static void write_answer(struct job *j, int64_t now)
{
	struct conn *c = j->c;
	const char *a = j->answer;
	size_t len = strlen(a);
	if (j->api != API_OPENAI && !j->stream) {
		cJSON *o = ollama_chunk(j, a, len);
		ollama_final(j, o, now);
		char *s = json_print(o);
		respond(c, 200, "application/json", s, NULL);
		free(s);
		cJSON_Delete(o);
		return;
	}
	if (j->api == API_OPENAI && !j->stream) {
		cJSON *o = openai_chunk(j, a, len, "stop");
		cJSON_AddItemToObject(o, "usage", openai_usage(j));
		char *s = json_print(o);
		respond(c, 200, "application/json", s, NULL);
		free(s);
		cJSON_Delete(o);
		return;
	}
	int sse = j->api == API_OPENAI;
	out_headers(c, 200, sse ? "text/event-stream" : "application/x-ndjson", -1, NULL);
	if (sse)
		put_line(c, openai_chunk(j, "", 0, NULL), "data: ", "\n\n");
	if (j->nul) { /* cJSON cannot write it: by hand */
		const char *line = sse ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"abc\\u0000def\"},"
					 "\"finish_reason\":null}]}\n\n"
				       : j->api == API_CHAT ? "{\"message\":{\"role\":\"assistant\",\"content\":\"abc\\u0000def\"},"
							      "\"done\":false}\n"
				       : "{\"response\":\"abc\\u0000def\",\"done\":false}\n";
		out_chunk(c, line, strlen(line));
	}
	for (size_t at = 0; at < len;) {
		size_t end = next_piece(a, len, at);
		if (sse)
			put_line(c, openai_chunk(j, a + at, end - at, NULL), "data: ", "\n\n");
		else
			put_line(c, ollama_chunk(j, a + at, end - at), "", "\n");
		at = end;
		if (j->stalled)
			return; /* the rest never comes */
	}
	if (sse) {
		put_line(c, openai_chunk(j, NULL, 0, "stop"), "data: ", "\n\n");
		if (j->include_usage) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", "chatcmpl-stub");
			cJSON_AddStringToObject(o, "object", "chat.completion.chunk");
			cJSON_AddStringToObject(o, "model", j->model);
			cJSON_AddArrayToObject(o, "choices");
			cJSON_AddItemToObject(o, "usage", openai_usage(j));
			put_line(c, o, "data: ", "\n\n");
		}
		out_chunk(c, "data: [DONE]\n\n", 14);
	} else {
		cJSON *o = ollama_chunk(j, "", 0);
		ollama_final(j, o, now);
		put_line(c, o, "", "\n");
	}
	buf_puts(&c->out, "0\r\n\r\n");
}

/* More of an endless answer, once what was written has gone out. */
static void write_more(struct job *j)
{
	static const char piece[] = "and so on, and so on, and so on, ";
	for (int i = 0; i < 512; i++) {
		if (j->api == API_OPENAI)
			put_line(j->c, openai_chunk(j, piece, sizeof piece - 1, NULL), "data: ", "\n\n");
		else
			put_line(j->c, ollama_chunk(j, piece, sizeof piece - 1), "", "\n");
	}
}

/* Scheduling -------------------------------------------------------------- */

static void job_free(struct job *j)
{
	free(j->model);
	free(j->answer);
	free(j);
}

static void unlink_job(struct job *j)
{
	for (struct job **p = &st.queue; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	if (j->active)
		st.active--;
	st.open--;
	model_stat(j->model)->open--;
	if (j->c)
		j->c->job = NULL;
	st.dirty = 1;
}

static int resident_index(const char *model)
{
	for (int i = 0; i < st.nresident; i++)
		if (!strcmp(st.resident[i], model))
			return i;
	return -1;
}

static int serves(const char *model)
{
	for (struct job *j = st.queue; j; j = j->next)
		if (j->active && !strcmp(j->model, model))
			return 1;
	return 0;
}

/* How many loaded models have a request being served. */
static long models_serving(void)
{
	long n = 0;
	for (int i = 0; i < st.nresident; i++)
		n += serves(st.resident[i]);
	return n;
}

/* A loaded model with no request being served (the first such), or -1. */
static int idle_resident(void)
{
	for (int i = 0; i < st.nresident; i++)
		if (!serves(st.resident[i]))
			return i;
	return -1;
}

/* Starts waiting requests, first come first served: the first one waits while
 * every slot is busy, or while its model is not loaded and no place for it is
 * free (--max-loaded models are loaded, all still in use); the ones behind it
 * wait too (as in Ollama's scheduler). Loading a model into a free place is a
 * load; evicting one for it is a switch too. */
static void admit(int64_t now)
{
	for (struct job *j = st.queue; j; j = j->next) {
		if (j->active)
			continue;
		if (st.active >= opt.slots)
			break;
		int r = resident_index(j->model);
		if (r < 0) {
			if (st.nresident >= opt.max_loaded) {
				int idle = idle_resident();
				if (idle < 0)
					break;
				free(st.resident[idle]);
				st.resident[idle] = st.resident[--st.nresident];
				st.resident_at[idle] = st.resident_at[st.nresident];
				st.switches++;
			}
			st.loads++;
			model_stat(j->model)->loads++;
			free(st.loaded);
			st.loaded = xstrdup(j->model);
			st.loaded_at = now + opt.switch_ms;
			st.switch_total_ms += opt.switch_ms;
			r = st.nresident++;
			st.resident[r] = xstrdup(j->model);
			st.resident_at[r] = st.loaded_at;
			j->load_ms = opt.switch_ms;
			if (opt.verbose)
				fprintf(stderr, "stub-llm: loading %s\n", j->model);
		}
		j->active = 1;
		j->start = st.resident_at[r] > now ? st.resident_at[r] : now;
		j->done_at = j->start + opt.latency_ms;
		st.active++;
		if (st.active > st.peak_active)
			st.peak_active = st.active;
		long serving = models_serving();
		if (serving > st.peak_models)
			st.peak_models = serving;
		if (j->stalled) /* it holds its slot, and shows the beginning of an answer */
			write_answer(j, now);
	}
}

static void complete(int64_t now)
{
	for (struct job *j = st.queue, *next; j; j = next) {
		next = j->next;
		if (!j->active || j->stalled || j->done_at > now)
			continue;
		write_answer(j, now);
		if (opt.verbose)
			fprintf(stderr, "stub-llm: %lld ms: answered %s\n", (long long)now, j->model);
		st.completed++;
		st.service_ms += opt.latency_ms;
		st.last_done = now;
		unlink_job(j);
		job_free(j);
	}
}

/* HTTP -------------------------------------------------------------------- */

struct request {
	char method[16];
	char path[256];
	int http10;
	long content_length;
	int chunked;
	int want_close;
	char posting[32];
	char conversation[32];
	char auth[512];
	size_t header_len;
};

static void header_value(const char *line, size_t len, char *out, size_t size)
{
	const char *colon = memchr(line, ':', len);
	size_t i = colon ? (size_t)(colon - line) + 1 : len;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	size_t n = len - i;
	while (n && (line[i + n - 1] == ' ' || line[i + n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, line + i, n);
	out[n] = '\0';
}

static int name_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && line[n] == ':' && !strncasecmp(line, name, n);
}

/* Parses the head of a request. 0: complete, 1: need more, -1: bad. */
static int parse_head(const struct buf *in, struct request *r)
{
	memset(r, 0, sizeof *r);
	const char *d = in->data;
	size_t len = in->len, end = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (d[i] == '\n' && d[i + 1] == '\n') {
			end = i + 2;
			break;
		}
		if (i + 3 < len && !memcmp(d + i, "\r\n\r\n", 4)) {
			end = i + 4;
			break;
		}
	}
	if (!end)
		return len > MAX_HEADER ? -1 : 1;
	r->header_len = end;
	r->content_length = 0;
	size_t at = 0, line_no = 0;
	while (at < end) {
		const char *nl = memchr(d + at, '\n', end - at);
		size_t ll = nl ? (size_t)(nl - (d + at)) : end - at;
		const char *line = d + at;
		size_t l = ll && line[ll - 1] == '\r' ? ll - 1 : ll;
		at += ll + 1;
		if (!l)
			break;
		if (line_no++ == 0) {
			char version[16] = "";
			char fmt_line[512];
			if (l >= sizeof fmt_line)
				return -1;
			memcpy(fmt_line, line, l);
			fmt_line[l] = '\0';
			if (sscanf(fmt_line, "%15s %255s %15s", r->method, r->path, version) != 3)
				return -1;
			if (strncmp(version, "HTTP/1.", 7))
				return -1;
			r->http10 = !strcmp(version, "HTTP/1.0");
			continue;
		}
		char v[512];
		if (name_is(line, l, "Content-Length")) {
			header_value(line, l, v, sizeof v);
			long n;
			if (parse_long(v, &n) < 0 || n < 0)
				return -1;
			r->content_length = n;
		} else if (name_is(line, l, "Transfer-Encoding")) {
			r->chunked = 1;
		} else if (name_is(line, l, "Connection")) {
			header_value(line, l, v, sizeof v);
			if (!strcasecmp(v, "close"))
				r->want_close = 1;
		} else if (name_is(line, l, "X-Waverunner-Posting")) {
			header_value(line, l, r->posting, sizeof r->posting);
		} else if (name_is(line, l, "X-Waverunner-Conversation")) {
			header_value(line, l, r->conversation, sizeof r->conversation);
		} else if (name_is(line, l, "Authorization")) {
			header_value(line, l, r->auth, sizeof r->auth);
		}
	}
	return line_no ? 0 : -1;
}

static void generation(struct conn *c, const struct request *rq, enum api api, const char *body, size_t len)
{
	int64_t now = mono_ms();
	cJSON *req = cJSON_ParseWithLength(body, len);
	const char *model = json_str(req, "model");
	if (!cJSON_IsObject(req)) {
		respond_error(c, api, 400, "invalid JSON in the request body", NULL);
		cJSON_Delete(req);
		return;
	}
	if (api == API_OPENAI && opt.api_key) {
		char *want = xasprintf("Bearer %s", opt.api_key);
		int good = !strcmp(rq->auth, want);
		free(want);
		if (!good) {
			respond_error(c, api, 401, "Invalid API Key", NULL);
			cJSON_Delete(req);
			return;
		}
	}
	if (!model || !*model) {
		respond_error(c, api, 400, "model is required", NULL);
		cJSON_Delete(req);
		return;
	}
	account_time(now);
	st.requests++;
	if (opt.request_log) {
		fprintf(opt.request_log, "%s %s %s\n", *rq->posting ? rq->posting : "-",
			*rq->conversation ? rq->conversation : "-", model);
		fflush(opt.request_log);
	}
	st.by_api[api]++;
	st.dirty = 1;
	if (!st.first_arrival)
		st.first_arrival = now;
	model_stat(model)->requests++;
	if (opt.models) {
		char *list = xasprintf(",%s,", opt.models), *want = xasprintf(",%s,", model);
		int known = strstr(list, want) != NULL;
		free(list);
		free(want);
		if (!known) {
			char *msg = xasprintf("model '%s' not found", model);
			respond_error(c, api, 404, msg, NULL);
			free(msg);
			cJSON_Delete(req);
			return;
		}
	}
	enum fault f = F_NONE;
	for (int k = F_DROP; k < F_COUNT; k++)
		if (fires(&opt.knobs[k]) && f == F_NONE)
			f = (enum fault)k;
	st.injected[f]++;
	if (opt.verbose)
		fprintf(stderr, "stub-llm: %lld ms: %s %s model %s posting '%s' conversation '%s'%s%s\n", (long long)now,
			rq->method, rq->path, model, rq->posting, rq->conversation, f ? " fault " : "", f ? fault_names[f] : "");
	char extra[64];
	switch (f) {
	case F_DROP:
		c->close_after = 2; /* close without a word */
		cJSON_Delete(req);
		return;
	case F_500:
		respond_error(c, api, 500, "llama runner process has terminated: exit status 2 (injected)", NULL);
		cJSON_Delete(req);
		return;
	case F_503:
		respond_error(c, api, 503, "server busy, please try again.  maximum pending requests exceeded", NULL);
		cJSON_Delete(req);
		return;
	case F_429:
		snprintf(extra, sizeof extra, "Retry-After: %d\r\n", opt.retry_after);
		respond_error(c, api, 429, "rate limit exceeded (injected)", extra);
		cJSON_Delete(req);
		return;
	case F_400:
		respond_error(c, api, 400, "invalid request (injected)", NULL);
		cJSON_Delete(req);
		return;
	case F_MALFORMED:
		respond(c, 200, api == API_OPENAI ? "text/event-stream" : "application/x-ndjson",
			"<html>\n<body>502 upstream proxy error</body>\n</html>\n", NULL);
		cJSON_Delete(req);
		return;
	default:
		break;
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->c = c;
	j->api = api;
	j->model = xstrdup(model);
	j->arrived = now;
	j->stalled = f == F_STALL || f == F_ENDLESS;
	j->endless = f == F_ENDLESS;
	j->nul = f == F_NUL;
	int stream = api != API_OPENAI; /* Ollama streams unless told not to; OpenAI the other way */
	json_get_bool(req, "stream", &stream);
	j->stream = stream;
	int usage = 0;
	json_get_bool(cJSON_GetObjectItemCaseSensitive(req, "stream_options"), "include_usage", &usage);
	j->include_usage = usage;
	cJSON *stored = stored_form(req, api);
	const char *prompt = json_str(stored, "prompt");
	j->prompt_tokens = words(json_str(stored, "system")) + words(prompt);
	j->answer = from_answers(rq->posting, rq->conversation);
	if (!j->answer)
		j->answer = from_replay(stored);
	if (!j->answer)
		j->answer = by_rule(model, prompt ? prompt : "");
	cJSON_Delete(stored);
	cJSON_Delete(req);
	c->job = j;
	struct job **p = &st.queue;
	while (*p)
		p = &(*p)->next;
	*p = j;
	st.open++;
	if (st.open > st.peak_open)
		st.peak_open = st.open;
	struct model_stat *ms = model_stat(j->model);
	if (++ms->open > ms->peak)
		ms->peak = ms->open;
}

static void handle(struct conn *c, const struct request *rq, const char *body, size_t len)
{
	st.http_requests++;
	st.dirty = 1;
	if (rq->want_close || rq->http10)
		c->close_after = 1;
	const char *path = rq->path;
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	c->head_only = !strcmp(rq->method, "HEAD");
	int post = !strcmp(rq->method, "POST");
	if (post && !strcmp(path, "/api/generate"))
		generation(c, rq, API_GENERATE, body, len);
	else if (post && !strcmp(path, "/api/chat"))
		generation(c, rq, API_CHAT, body, len);
	else if (post && !strcmp(path, "/v1/chat/completions"))
		generation(c, rq, API_OPENAI, body, len);
	else if (get && !strcmp(path, "/"))
		respond(c, 200, "text/plain; charset=utf-8", "Ollama is running", NULL);
	else if (get && !strcmp(path, "/api/version"))
		respond(c, 200, "application/json", "{\"version\":\"0.0.0-stub\"}", NULL);
	else if (get && (!strcmp(path, "/api/tags") || !strcmp(path, "/v1/models"))) {
		int openai = !strcmp(path, "/v1/models");
		if (openai && opt.api_key) {
			char *want = xasprintf("Bearer %s", opt.api_key);
			int good = !strcmp(rq->auth, want);
			free(want);
			if (!good) {
				respond_error(c, API_OPENAI, 401, "Invalid API Key", NULL);
				return;
			}
		}
		cJSON *j = cJSON_CreateObject();
		if (openai)
			cJSON_AddStringToObject(j, "object", "list");
		cJSON *models = cJSON_AddArrayToObject(j, openai ? "data" : "models");
		char *list = xstrdup(opt.models ? opt.models : LISTED), *save = NULL;
		for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, openai ? "id" : "name", m);
			cJSON_AddStringToObject(o, openai ? "object" : "model", openai ? "model" : m);
			cJSON_AddItemToArray(models, o);
		}
		free(list);
		char *s = json_print(j);
		respond(c, 200, "application/json", s, NULL);
		free(s);
		cJSON_Delete(j);
	} else if (get && !strcmp(path, "/props") && !opt.no_props) {
		/* llama.cpp's server reports its slots here. */
		char *s = xasprintf("{\"total_slots\":%d,\"model_path\":\"stub\"}", opt.slots);
		respond(c, 200, "application/json", s, NULL);
		free(s);
	} else if (get && !strcmp(path, "/api/ps")) {
		/* Ollama: the models kept loaded now. */
		cJSON *j = cJSON_CreateObject();
		cJSON *models = cJSON_AddArrayToObject(j, "models");
		for (int i = 0; i < st.nresident; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", st.resident[i]);
			cJSON_AddStringToObject(o, "model", st.resident[i]);
			cJSON_AddItemToArray(models, o);
		}
		char *s = json_print(j);
		respond(c, 200, "application/json", s, NULL);
		free(s);
		cJSON_Delete(j);
	} else if (get && !strcmp(path, "/stats")) {
		char *s = stats_json();
		respond(c, 200, "application/json", s, NULL);
		free(s);
	} else {
		respond_error(c, API_GENERATE, 404, "not found", NULL);
	}
}

/* Handles the complete requests in c->in (one at a time: a connection waits
 * for its answer before the next). */
static void process(struct conn *c)
{
	while (!c->job && !c->close_after && c->in.len) {
		struct request rq;
		int r = parse_head(&c->in, &rq);
		if (r == 1)
			return;
		if (r < 0 || rq.chunked) {
			c->close_after = 1;
			respond_error(c, API_GENERATE, r < 0 && c->in.len > MAX_HEADER ? 431 : 400,
				      rq.chunked ? "chunked request bodies are not supported" : "bad request", NULL);
			return;
		}
		if ((unsigned long)rq.content_length > MAX_BODY) {
			c->close_after = 1;
			respond_error(c, API_GENERATE, 413, "request body too large", NULL);
			return;
		}
		size_t total = rq.header_len + (size_t)rq.content_length;
		if (c->in.len < total)
			return;
		handle(c, &rq, c->in.data + rq.header_len, (size_t)rq.content_length);
		memmove(c->in.data, c->in.data + total, c->in.len - total);
		c->in.len -= total;
		c->in.data[c->in.len] = '\0';
	}
}

static void conn_close(size_t i)
{
	struct conn *c = conns[i];
	if (c->job) {
		struct job *j = c->job;
		account_time(mono_ms());
		if (opt.verbose)
			fprintf(stderr, "stub-llm: client went away; request for %s cancelled\n", j->model);
		st.cancelled++;
		unlink_job(j);
		job_free(j);
	}
	close(c->fd);
	buf_release(&c->in);
	buf_release(&c->out);
	free(c);
	conns[i] = conns[--nconns];
}

static int flush_out(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	return 0;
}

static int listen_on(int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	socklen_t al = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*bound = ntohs(a.sin_port);
	return fd;
}

static int usage(void)
{
	fprintf(stderr, "usage: stub-llm [--port N] [--port-file F] [--latency-ms N] [--slots N] [--switch-ms N]\n"
			"  [--models A,B] [--api-key K] [--fail-500 R] [--fail-503 R] [--fail-429 R] [--retry-after S]\n"
			"  [--fail-400 R] [--stall R] [--malformed R] [--drop R] [--endless R] [--nul R] [--seed N]\n"
			"  [--replay-dir DIR]\n"
			"  [--answers FILE] [--stats-file F] [--request-log F] [--verbose] [--no-props] [--max-loaded N]\n");
	return 2;
}

static int number_arg(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return end != s && !*end ? 0 : -1;
}

int main(int argc, char **argv)
{
	int port = 0;
	const char *port_file = NULL, *answers = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--verbose")) {
			opt.verbose = 1;
			continue;
		}
		if (!strcmp(a, "--no-props")) {
			opt.no_props = 1;
			continue;
		}
		if (i + 1 >= argc)
			return usage();
		const char *v = argv[++i];
		double d;
		int numeric = number_arg(v, &d) == 0;
		struct {
			const char *name;
			enum fault f;
		} const knobs[] = { { "--drop", F_DROP }, { "--fail-500", F_500 }, { "--fail-503", F_503 },
				    { "--fail-429", F_429 }, { "--fail-400", F_400 }, { "--malformed", F_MALFORMED },
				    { "--stall", F_STALL }, { "--endless", F_ENDLESS }, { "--nul", F_NUL } };
		int done = 0;
		for (size_t k = 0; k < ARRAY_LEN(knobs); k++)
			if (!strcmp(a, knobs[k].name)) {
				if (!numeric || d < 0 || d > 1)
					return usage();
				opt.knobs[knobs[k].f].rate = d;
				done = 1;
			}
		if (done)
			continue;
		if (!strcmp(a, "--port") && numeric)
			port = (int)d;
		else if (!strcmp(a, "--port-file"))
			port_file = v;
		else if (!strcmp(a, "--latency-ms") && numeric)
			opt.latency_ms = (int)d;
		else if (!strcmp(a, "--slots") && numeric && d >= 1)
			opt.slots = (int)d;
		else if (!strcmp(a, "--max-loaded") && numeric && d >= 1 && d <= MAX_LOADED)
			opt.max_loaded = (int)d;
		else if (!strcmp(a, "--switch-ms") && numeric)
			opt.switch_ms = (int)d;
		else if (!strcmp(a, "--retry-after") && numeric)
			opt.retry_after = (int)d;
		else if (!strcmp(a, "--seed") && numeric) {
			opt.seeded = 1;
			opt.rng = (uint64_t)d;
		} else if (!strcmp(a, "--models"))
			opt.models = v;
		else if (!strcmp(a, "--api-key"))
			opt.api_key = v;
		else if (!strcmp(a, "--replay-dir"))
			opt.replay_dir = v;
		else if (!strcmp(a, "--answers"))
			answers = v;
		else if (!strcmp(a, "--stats-file"))
			opt.stats_file = v;
		else if (!strcmp(a, "--request-log")) {
			if (!(opt.request_log = fopen(v, "a"))) {
				fprintf(stderr, "stub-llm: %s: %s\n", v, strerror(errno));
				return 1;
			}
		} else
			return usage();
	}
	if (answers) {
		char *text, *msg = NULL;
		size_t len;
		if (read_file(answers, &text, &len) < 0) {
			fprintf(stderr, "stub-llm: %s: %s\n", answers, strerror(errno));
			return 1;
		}
		opt.answers = json_parse(text, len, &msg);
		free(text);
		if (!cJSON_IsObject(opt.answers)) {
			fprintf(stderr, "stub-llm: %s: %s\n", answers, msg ? msg : "not a JSON object");
			free(msg);
			cJSON_Delete(opt.answers);
			return 1;
		}
	}
	opt.calls = cJSON_CreateObject();
	int bound;
	int lfd = listen_on(port, &bound);
	if (lfd < 0) {
		fprintf(stderr, "stub-llm: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	st.dirty = 1;
	write_stats(mono_ms());
	if (port_file) {
		char *tmp = xasprintf("%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file) < 0) {
			fprintf(stderr, "stub-llm: %s: %s\n", port_file, strerror(errno));
			return 1;
		}
		free(tmp);
	}
	printf("port %d\n", bound);
	fflush(stdout);

	static struct pollfd pfd[MAX_CONNS + 1];
	while (!stop) {
		int64_t now = mono_ms();
		account_time(now);
		complete(now);
		/* A connection whose answer went out may hold its next request already. */
		for (size_t i = 0; i < nconns; i++)
			if (!conns[i]->job && conns[i]->in.len)
				process(conns[i]);
		admit(now);
		write_stats(now);
		/* Flush what was written; close what asked for it. */
		for (size_t i = 0; i < nconns;) {
			struct conn *c = conns[i];
			if (flush_out(c) < 0 || c->close_after == 2 || (c->close_after && !c->out.len && !c->job)) {
				conn_close(i);
				continue;
			}
			if (c->job && c->job->endless && c->job->active && !c->out.len)
				write_more(c->job);
			i++;
		}
		size_t n = 0;
		pfd[n].fd = lfd;
		pfd[n].events = nconns < MAX_CONNS ? POLLIN : 0;
		n++;
		for (size_t i = 0; i < nconns; i++) {
			pfd[n].fd = conns[i]->fd;
			pfd[n].events = (short)(POLLIN | (conns[i]->out.len ? POLLOUT : 0));
			n++;
		}
		int64_t wake = -1;
		for (struct job *j = st.queue; j; j = j->next)
			if (j->active && !j->stalled && (wake < 0 || j->done_at < wake))
				wake = j->done_at;
		now = mono_ms();
		int timeout = wake < 0 ? 1000 : (int)(wake - now < 0 ? 0 : wake - now);
		int r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				if (nconns >= MAX_CONNS) {
					close(fd);
					break;
				}
				int one = 1;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				struct conn *c = xcalloc(1, sizeof *c);
				c->fd = fd;
				conns[nconns++] = c;
			}
		}
		/* The connections polled are the first n-1 of conns, in order; new
		 * ones were appended after them. Walk backwards so closing one (which
		 * moves the last into its place) does not skip another. */
		for (size_t k = n - 1; k >= 1; k--) {
			size_t i = k - 1;
			if (i >= nconns || conns[i]->fd != pfd[k].fd || !pfd[k].revents)
				continue;
			struct conn *c = conns[i];
			char chunk[65536];
			ssize_t got = recv(c->fd, chunk, sizeof chunk, 0);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
				conn_close(i);
				continue;
			}
			if (got > 0) {
				if (c->in.len + (size_t)got > MAX_HEADER + MAX_BODY) {
					conn_close(i);
					continue;
				}
				buf_add(&c->in, chunk, (size_t)got);
			}
			process(c);
		}
	}
	st.dirty = 1;
	st.open = 0;
	write_stats(mono_ms());
	while (nconns)
		conn_close(nconns - 1);
	while (st.queue) {
		struct job *j = st.queue;
		unlink_job(j);
		job_free(j);
	}
	while (st.by_model) {
		struct model_stat *m = st.by_model;
		st.by_model = m->next;
		free(m->name);
		free(m);
	}
	free(st.loaded);
	for (int i = 0; i < st.nresident; i++)
		free(st.resident[i]);
	cJSON_Delete(opt.answers);
	cJSON_Delete(opt.calls);
	if (opt.request_log)
		fclose(opt.request_log);
	close(lfd);
	return 0;
}
