/* exec.h: a claimed interaction being executed (a task), what it produced (a
 * result), and the interface every kind of executor offers the engine:
 * built-in actors and replayed model calls finish inside start(); model servers
 * and scripts finish later, and the engine waits on their file descriptors. */
#ifndef exec_h
#define exec_h

#include <poll.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "db-runs.h"
#include "retry.h" /* failure.h, and the retry policy its users apply */
#include "workflow.h"

struct result {
	int ok;                  /* the step produced output */
	char *output;            /* response text, or a JSON document */
	char *status;            /* what branching matches, when not the output itself */
	enum fail_class fail;    /* when !ok */
	char *error;             /* when !ok: why, in words */
	int retryable;           /* for FC_STEP_FAILED: the step said it may succeed later */
	int64_t retry_after_ms;  /* the server's Retry-After, 0 if none */
	int server_down;         /* the server, not the request, failed: unreachable, refused, reset, 5xx */
	/* What a model server reported. */
	char *backend;
	char *model;
	long prompt_tokens;      /* -1: unknown */
	long output_tokens;
	double total_ms;         /* < 0: unknown */
	double load_ms;
	double eval_ms;
	char *done_reason;
	/* What the step wrote besides its output (a script's stderr, its end);
	 * kept in the event that records how the attempt ended. */
	char *log;
};

void result_init(struct result *r);
void result_release(struct result *r);
/* Sets r to a failure; fmt gives the message. */
void result_fail(struct result *r, enum fail_class c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct task {
	struct ready r;                  /* the claimed row */
	const struct workflow *wf;
	const struct wf_conv *conv;
	const struct wf_actor *actor;
	int64_t started_ms;              /* monotonic */
	int64_t deadline_ms;             /* monotonic; the step's timeout */
	int claimed;                     /* a lease was written (asynchronous executors) */
	struct result res;
	char *server;                    /* the model server it calls ("scheme://host:port", or ""), or NULL */
	char *model_key;                 /* for per-model limits: the server and the model it calls, or NULL */
	char *url;                       /* the server of its actor's pool it is sent to (http_actor_urls), or NULL */
	/* Optional: applies the result to the database inside the transaction that
	 * finishes the task, before branching (the fetcher stores its postings and
	 * puts their ids in the output). Returns E_OK, or E_DB. */
	int (*on_finish)(struct db *db, struct task *t);
	void *priv;                      /* the executor's own state */
	struct task *next;
};

void task_free(struct task *t);

/* Children of executors that must not outlive an exit that cannot wait (a
 * second Ctrl-C). target is what kill(2) takes: -pgid for a process group,
 * a pid for one process. At most 1024 at once; more are not tracked. */
void exec_child_started(pid_t target);
void exec_child_ended(pid_t target);
/* SIGKILLs every registered child. Async-signal-safe. */
void exec_kill_children(void);

struct executor {
	const char *name;
	/* 1 if start() always finishes the task itself (no waiting). */
	int finishes_inline;
	/* Begins t. An inline executor fills t->res; others take t over until it
	 * comes back through collect(). Returns E_OK, or E_DB on a database error
	 * (which aborts the transaction). */
	int (*start)(struct executor *ex, struct db *db, struct task *t);
	/* Adds the descriptors to wait on; returns how many it added. */
	size_t (*fds)(struct executor *ex, struct pollfd *pfd, size_t max);
	/* Makes progress (after a wait) and hands back finished tasks. */
	void (*collect)(struct executor *ex, struct task **done);
	/* Optional: waits on its own descriptors and the extra ones together, up to
	 * timeout_ms (the HTTP executor uses curl_multi_poll). At most one executor
	 * has it; the others' descriptors are passed to it. */
	void (*wait)(struct executor *ex, struct pollfd *extra, size_t n, int timeout_ms);
	/* Milliseconds until it next needs attention (-1: no deadline). */
	int64_t (*next_wakeup)(struct executor *ex, int64_t now);
	/* Abandons every task in flight (stopping scripts, closing connections) and
	 * hands them back; the engine releases their leases without counting an
	 * attempt. */
	void (*abort_all)(struct executor *ex, struct task **done);
	/* Number of tasks in flight. */
	size_t (*in_flight)(struct executor *ex);
	void (*destroy)(struct executor *ex);
	void *state;
};

#endif
