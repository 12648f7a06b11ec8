/* llmreply.h: what a model server answered (the text and usage gathered from
 * its stream, whatever the protocol), and how its failures are classified and
 * described. Pure: no I/O. The protocol parsers are ollama.c and openai.c. */
#ifndef llmreply_h
#define llmreply_h

#include <stddef.h>
#include <stdint.h>

#include "failure.h"
#include "util.h"

/* The default cap on a model's answer (run --max-answer): its text, and any
 * line of the stream (NDJSON object, SSE field, a whole JSON body), which may
 * hold it all plus LLMREPLY_LINE_SLACK. A model that loops endlessly grew
 * memory without bound before; its answer now fails as answer_too_large. */
#define LLMREPLY_MAX_ANSWER ((size_t)16 << 20)
#define LLMREPLY_LINE_SLACK ((size_t)1 << 20)
/* How many first bytes are kept to quote in messages. */
#define LLMREPLY_HEAD 256

struct llm_reply {
	struct buf text;       /* the answer so far */
	char *model;           /* as the server named it, or NULL */
	long prompt_tokens;    /* -1: not reported */
	long output_tokens;
	double total_ms;       /* < 0: not reported */
	double load_ms;
	double eval_ms;
	char *done_reason;     /* "stop", "length", ... or NULL */
	char *error;           /* an error the server reported inside a successful response */
	char *malformed;       /* why the body is not what the protocol allows */
	int refused;           /* malformed is something waverunner refuses (\u0000) */
	size_t max_answer;     /* the cap on the answer; 0: LLMREPLY_MAX_ANSWER */
	int too_large;         /* the answer went over the cap: reading stopped */
	int done;              /* the server marked the answer complete */
	size_t received;       /* bytes fed so far */
	struct buf head;       /* the first LLMREPLY_HEAD bytes, for messages */
	/* Parser state. */
	struct buf line;       /* an incomplete line carried to the next feed */
	struct buf event;      /* SSE: the data lines of the current event */
	int event_error;       /* SSE: the current event is an error event */
	int whole_json;        /* the body is one JSON document, parsed at the end */
	int sse_started;       /* SSE: a field was seen */
	long lines;
};

void llmreply_init(struct llm_reply *r);
void llmreply_release(struct llm_reply *r);

/* Records received bytes in r->head and r->received; the parsers call it. */
void llmreply_note_bytes(struct llm_reply *r, const char *data, size_t len);
/* Splits data into lines ("\n", a "\r" before it dropped), carrying a partial
 * line in r->line, and calls on_line for each complete one. At the end (final
 * set) the partial line is passed too. Stops early once r->malformed is set. */
void llmreply_lines(struct llm_reply *r, const char *data, size_t len, int final,
		    void (*on_line)(struct llm_reply *r, const char *line, size_t len));
/* Appends a piece of the answer's text, unless it would go over the cap
 * (then sets r->too_large), or it holds \u0000 (see llmreply_check_nul). */
void llmreply_add_text(struct llm_reply *r, const char *piece);
/* The cap on the answer and on a line of the stream. */
size_t llmreply_max_answer(const struct llm_reply *r);
/* If the JSON text of a line holds \u0000 (which cJSON would decode into a
 * NUL that cuts the text short), refuses the answer saying where; returns 1.
 * event: json is the data of a server-sent event, not a line. */
int llmreply_check_nul(struct llm_reply *r, const char *json, size_t len, int event);
/* Whether reading should stop: malformed, refused or too large. */
int llmreply_stopped(const struct llm_reply *r);
/* Sets r->malformed (the first reason wins). */
void llmreply_set_malformed(struct llm_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The failure class of an HTTP status that is not 2xx: 404 not found, 401/403
 * auth, 429 rate limit, 408 timeout, 409/5xx server (retried), other 4xx (and
 * redirects, which a model server does not send) bad request. */
enum fail_class llmreply_status_class(long status);

/* The message in an error body: {"error": "..."} (Ollama), {"error":
 * {"message": "..."}} (OpenAI, llama.cpp), {"message": "..."}; else the body
 * itself, shortened and quoted. Caller frees. */
char *llmreply_error_message(const char *body, size_t len);

/* A header line as libcurl hands it ("Retry-After: 7\r\n"): the wait it asks for
 * in ms (Retry-After in seconds or as an HTTP date, retry-after-ms), or -1 when
 * it is not such a header or cannot be read. now_ms: the wall clock. */
int64_t llmreply_retry_after(const char *line, size_t len, int64_t now_ms);

/* data as a quoted, printable excerpt of at most max bytes: 'abc\n…'. Control
 * characters and invalid UTF-8 are escaped. Caller frees. */
char *llmreply_quote(const char *data, size_t len, size_t max);

/* url without user:password@ (for messages). Caller frees. */
char *llmreply_url_shown(const char *url);
/* The server a URL points to, as "scheme://host:port" in lower case (the port
 * made explicit, credentials and path left out): requests with one origin share
 * one server's slots and loaded model. Caller frees. */
char *llmreply_origin(const char *url);

#endif
