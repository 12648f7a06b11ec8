/* exec.c: tasks and results (exec.h). */
#include "exec.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void result_init(struct result *r)
{
	memset(r, 0, sizeof *r);
	r->prompt_tokens = r->output_tokens = -1;
	r->total_ms = r->load_ms = r->eval_ms = -1;
}

void result_release(struct result *r)
{
	free(r->output);
	free(r->status);
	free(r->error);
	free(r->backend);
	free(r->model);
	free(r->done_reason);
	free(r->log);
	result_init(r);
}

void result_fail(struct result *r, enum fail_class c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->error);
	r->error = xvasprintf(fmt, ap);
	va_end(ap);
	r->ok = 0;
	r->fail = c;
}

void task_free(struct task *t)
{
	if (!t)
		return;
	db_ready_release(&t->r);
	result_release(&t->res);
	free(t->server);
	free(t->model_key);
	free(t->url);
	free(t);
}

/* Written only by the engine's thread; read by the signal handler, where a
 * stale slot costs at most a kill(2) that fails with ESRCH (a child's pid is not
 * reused before it is reaped, and it is removed here before that). */
static volatile pid_t children[1024];

void exec_child_started(pid_t target)
{
	for (size_t i = 0; i < ARRAY_LEN(children); i++)
		if (!children[i]) {
			children[i] = target;
			return;
		}
}

void exec_child_ended(pid_t target)
{
	for (size_t i = 0; i < ARRAY_LEN(children); i++)
		if (children[i] == target)
			children[i] = 0;
}

void exec_kill_children(void)
{
	for (size_t i = 0; i < ARRAY_LEN(children); i++)
		if (children[i])
			kill(children[i], SIGKILL);
}
