/* err.c: the recorded error message and the one place messages are printed. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Per thread: work runs the engine in a thread of its own. */
static _Thread_local char *message;
static const char *command; /* NULL before a command is chosen */

int err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	free(message);
	message = m;
	return code;
}

int err_wrap(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *prefix = xvasprintf(fmt, ap);
	va_end(ap);
	char *m = xasprintf("%s: %s", prefix, message ? message : "failed");
	free(prefix);
	free(message);
	message = m;
	return code;
}

const char *err_msg(void)
{
	return message ? message : "";
}

void err_clear(void)
{
	free(message);
	message = NULL;
}

void err_set_command(const char *name)
{
	command = name;
}

static void print_prefixed(const char *kind, const char *fmt, va_list ap)
{
	char *m = xvasprintf(fmt, ap);
	if (command)
		fprintf(stderr, "waverunner: %s: %s%s\n", command, kind, m);
	else
		fprintf(stderr, "waverunner: %s%s\n", kind, m);
	free(m);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_prefixed("warning: ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_prefixed("", fmt, ap);
	va_end(ap);
}

void err_print(void)
{
	if (command)
		fprintf(stderr, "waverunner: %s: %s\n", command, err_msg());
	else
		fprintf(stderr, "waverunner: %s\n", err_msg());
}

static void write_all(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

_Noreturn void err_out_of_memory(void)
{
	static int exiting;
	write_all("waverunner: ");
	if (command) {
		write_all(command);
		write_all(": ");
	}
	write_all("out of memory\n");
	/* exit() flushes what was printed; a second failure on the way out must
	 * not start over. */
	if (exiting++)
		_exit(E_NOMEM);
	exit(E_NOMEM);
}
