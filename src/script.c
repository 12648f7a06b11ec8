/* script.c: the script executor (the contract is in script.h).
 *
 * Every program runs as a child of waverunner with non-blocking pipes on its
 * stdin, stdout and stderr; the engine polls them with everything else it
 * waits for, so a slow or hung script never holds up model calls or other
 * scripts. The input is written as the pipe accepts it and both outputs are
 * read as they come: a program that prints while its input is still being
 * written cannot deadlock with us.
 *
 * Processes are watched without a SIGCHLD handler (the engine owns signal
 * handling): waitid(WNOWAIT) tells when a program has exited while leaving it a
 * zombie. As long as it is not reaped its pid, which is also its process group
 * id, cannot be reused, so signalling the group (-pid) can never hit an
 * unrelated process. Signals are sent only before the reap, and the reap is
 * the last thing done with a process. */
#include "script.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "json.h"
#include "util.h"

extern char **environ;

#define OUTPUT_MAX_DEFAULT ((long)8 << 20) /* stdout: a JSON document, not a data dump */
#define KILL_GRACE_DEFAULT 2000            /* ms between SIGTERM and SIGKILL */
#define ABORT_WAIT_MAX 1000                /* ms abort_all waits after SIGTERM */
#define STDERR_KEEP ((size_t)64 << 10)     /* the end of stderr kept with the interaction */
#define STDERR_QUOTE 600                   /* of which this much is quoted in an error */
#define STDOUT_QUOTE 200                   /* the start of bad output quoted in an error */
#define CHUNK 65536
#define READS_PER_ROUND 64                 /* a chatty program cannot keep us from the others */

enum stop_reason { STOP_NONE, STOP_TIMEOUT, STOP_TOO_LARGE };

/* A running program and the task it works for. */
struct proc {
	struct task *t;
	char *path;           /* the program, as named in messages */
	pid_t pid;            /* also its process group */
	int in, out, err;     /* our ends of its pipes; -1 once closed */
	char *input;          /* the stdin document */
	size_t input_len, input_off;
	struct buf out_buf;
	long out_max;
	struct buf err_buf;   /* the last STDERR_KEEP..2*STDERR_KEEP bytes */
	size_t err_dropped;   /* bytes of stderr no longer kept */
	long kill_grace_ms;
	enum stop_reason stop;
	int64_t kill_at;      /* SIGTERM was sent; SIGKILL is due then (0: not sent) */
	int killed;           /* SIGKILL was sent */
	int exited;           /* the program has exited (a zombie until reaped) */
	int64_t eof_at;       /* when both of its outputs were closed (0: not yet) */
	int status;           /* its wait status, once reaped */
	struct proc *next;
};

struct scripts {
	char *db_path;
	struct proc *procs;
	struct task *failed;  /* tasks that could not start, handed back by collect */
	size_t nprocs, nfailed;
};

int script_env_denied(const char *name)
{
	static const char *const parts[] = { "PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH",
					     "DSN", "PRIVATE", "COOKIE", "SESSION", NULL };
	if (str_starts_with_nocase(name, "PG") || str_starts_with_nocase(name, "WAVERUNNER_PG") ||
	    !strcasecmp(name, "DATABASE_URL"))
		return 1;
	for (const char *const *p = parts; *p; p++)
		if (strcasestr(name, *p))
			return 1;
	return 0;
}

/* 1 if the host part that starts at p (up to a path, query or separator) has
 * a user part: "user:password@host", "token@host". */
static int has_userinfo(const char *p)
{
	return memchr(p, '@', strcspn(p, "/?#, \t")) != NULL;
}

int script_env_value_denied(const char *name, const char *value)
{
	/* scheme://user:password@host/..., scheme://token@host: a user part in
	 * any URL the value holds (a list of URLs too) */
	for (const char *p = strstr(value, "://"); p; p = strstr(p, "://")) {
		p += 3;
		if (has_userinfo(p))
			return 1;
	}
	/* curl takes a proxy without a scheme too: user:password@proxy:3128 */
	size_t n = strlen(name);
	return n >= 6 && !strcasecmp(name + n - 6, "_proxy") && !strstr(value, "://") && has_userinfo(value);
}

/* Text fit to store and show, from bytes a program wrote: valid UTF-8, other
 * control characters as \xNN. one_line joins lines with " | " so that an error
 * message stays on one line. */
static void clean_text(struct buf *b, const char *s, size_t n, int one_line)
{
	int sep = 0;
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
			if (!one_line && c == '\n')
				buf_putc(b, '\n');
			sep = one_line;
			i++;
			continue;
		}
		if (sep && b->len)
			buf_puts(b, " | ");
		sep = 0;
		if (c == '\t') {
			buf_putc(b, one_line ? ' ' : '\t');
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			buf_putc(b, (char)c);
			i++;
		} else {
			size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			if (i + len <= n && utf8_valid(s + i, len)) {
				buf_add(b, s + i, len);
				i += len;
			} else {
				buf_printf(b, "\\x%02x", c);
				i++;
			}
		}
	}
}

/* The last max bytes of s[0..n), cleaned, with "…" when cut. Caller frees. */
static char *text_tail(const char *s, size_t n, size_t max, int one_line)
{
	struct buf b = BUF_INIT;
	size_t start = n > max ? n - max : 0;
	while (start && start < n && ((unsigned char)s[start] & 0xC0) == 0x80)
		start++; /* not half a character */
	if (start)
		buf_puts(&b, "\xE2\x80\xA6");
	clean_text(&b, s + start, n - start, one_line);
	return buf_detach(&b);
}

/* The program's path: relative ones are relative to the workflow's directory. */
static char *program_path(const struct task *t)
{
	const char *dir = t->wf ? t->wf->source_dir : NULL;
	if (t->actor->script[0] == '/' || !dir)
		return xstrdup(t->actor->script);
	return xasprintf("%s/%s", dir, t->actor->script);
}

/* The stdin document: the input object with its "_context". */
static char *stdin_document(const struct task *t)
{
	cJSON *in = cJSON_Parse(t->r.input ? t->r.input : "");
	if (!in)
		return NULL;
	if (!cJSON_IsObject(in)) {
		cJSON *wrap = cJSON_CreateObject();
		cJSON_AddItemToObject(wrap, "input", in);
		in = wrap;
	}
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddNumberToObject(ctx, "interaction_id", (double)t->r.id);
	cJSON_AddNumberToObject(ctx, "workflow_run_id", (double)t->r.run_id);
	cJSON_AddNumberToObject(ctx, "workflow_id", (double)t->r.workflow_id);
	cJSON_AddNumberToObject(ctx, "conversation_id", (double)t->r.conversation_id);
	if (t->r.posting_id)
		cJSON_AddNumberToObject(ctx, "posting_id", (double)t->r.posting_id);
	else
		cJSON_AddNullToObject(ctx, "posting_id");
	cJSON_AddNumberToObject(ctx, "attempt", t->r.attempts + 1);
	cJSON_DeleteItemFromObjectCaseSensitive(in, "_context");
	cJSON_AddItemToObject(in, "_context", ctx);
	char *s = json_print(in);
	cJSON_Delete(in);
	size_t len = strlen(s);
	s = xrealloc(s, len + 2);
	memcpy(s + len, "\n", 2); /* one line: `read -r line` is enough for a shell script */
	return s;
}

struct env {
	char **v;
	size_t n;
};

static int env_has(const struct env *e, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < e->n; i++)
		if (!strncmp(e->v[i], name, len) && e->v[i][len] == '=')
			return 1;
	return 0;
}

/* Adds NAME=value unless NAME is already there (what comes first wins). */
static void env_set(struct env *e, const char *name, const char *value)
{
	if (env_has(e, name))
		return;
	e->v = xreallocarray(e->v, e->n + 2, sizeof *e->v);
	e->v[e->n++] = xasprintf("%s=%s", name, value);
	e->v[e->n] = NULL;
}

static void env_setl(struct env *e, const char *name, long value)
{
	char s[32];
	snprintf(s, sizeof s, "%ld", value);
	env_set(e, name, s);
}

static void env_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

int script_env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* The environment is built, not inherited: waverunner's own environment holds
 * database passwords and API keys that a script has no business seeing. The
 * rule is an allow-list: the names in base (and LC_*) that locate and localise
 * a program; the run's own WAVERUNNER_* ids; and what the actor's "env" lists.
 * Even then, a name that looks like a secret's (script_env_denied) or a value
 * holding a URL with credentials (script_env_value_denied: a proxy such as
 * http://user:pw@proxy:3128, a DSN) is never passed. Proxy variables are not
 * in base: a script that needs one lists it, and gets it without credentials
 * only. */
static void build_env(const struct scripts *st, const struct task *t, struct env *e)
{
	static const char *const base[] = { "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE",
					    "TZ", "TMPDIR", "TERM", NULL };
	memset(e, 0, sizeof *e);
	e->v = xcalloc(1, sizeof *e->v);
	env_setl(e, "WAVERUNNER_INTERACTION_ID", t->r.id);
	env_setl(e, "WAVERUNNER_RUN_ID", t->r.run_id);
	env_setl(e, "WAVERUNNER_WORKFLOW_ID", t->r.workflow_id);
	env_setl(e, "WAVERUNNER_CONVERSATION_ID", t->r.conversation_id);
	if (t->r.posting_id)
		env_setl(e, "WAVERUNNER_POSTING_ID", t->r.posting_id);
	env_setl(e, "WAVERUNNER_ATTEMPT", t->r.attempts + 1);
	env_set(e, "WAVERUNNER_DB", st->db_path);
	for (char **p = environ; *p; p++) {
		const char *eq = strchr(*p, '=');
		if (!eq)
			continue;
		char *name = xstrndup(*p, (size_t)(eq - *p));
		int keep = str_starts_with(name, "LC_");
		for (const char *const *b = base; !keep && *b; b++)
			keep = !strcmp(name, *b);
		if (keep && !script_env_denied(name) && !script_env_value_denied(name, eq + 1))
			env_set(e, name, eq + 1);
		free(name);
	}
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(t->actor->config, "env");
	const cJSON *it;
	if (!cJSON_IsArray(list))
		list = NULL;
	cJSON_ArrayForEach(it, list) {
		const char *value;
		if (cJSON_IsString(it) && script_env_name_ok(it->valuestring) && !script_env_denied(it->valuestring) &&
		    (value = getenv(it->valuestring)) && !script_env_value_denied(it->valuestring, value))
			env_set(e, it->valuestring, value);
	}
	if (!env_has(e, "PATH")) {
		char path[1024];
		size_t n = confstr(_CS_PATH, path, sizeof path);
		env_set(e, "PATH", n > 0 && n <= sizeof path ? path : "/usr/bin:/bin");
	}
}

/* What the child reports through its error pipe when it cannot exec. */
struct exec_failure {
	int stage; /* 0: preparing descriptors, 1: entering the directory, 2: execve */
	int err;
};

/* Everything the child needs, prepared before fork: after fork only
 * async-signal-safe calls are made (model requests may run threads). */
struct child_setup {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *dir;
	int fd[4]; /* stdin, stdout, stderr, error pipe */
	struct sigaction dfl;
	sigset_t none;
	int max_fd;
};

static void __attribute__((noreturn)) child_report(int fd, int stage, int err)
{
	struct exec_failure f = { stage, err };
	ssize_t w = write(fd, &f, sizeof f);
	(void)w;
	_exit(127);
}

/* Closes every descriptor from 3 up except keep: descriptors that libraries
 * opened without O_CLOEXEC (a model connection's socket) must not live on in
 * a script, which would keep them open after waverunner closed them. */
static void close_others(int keep, int max_fd)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) && close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
#endif
	for (int fd = 3; fd < max_fd; fd++)
		if (fd != keep)
			close(fd);
}

static void __attribute__((noreturn)) child(const struct child_setup *c)
{
	int fd[4];
	/* A group of its own: a timeout stops the program and whatever it started
	 * with one signal, and the terminal's Ctrl-C reaches waverunner only, which
	 * decides what happens to work in flight. */
	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, &c->none, NULL);
	/* Ignored signals stay ignored across execve; a script must be stoppable
	 * with SIGTERM and see SIGPIPE. SIGHUP keeps its disposition so that nohup
	 * covers the scripts of a waverunner started with it. */
	for (int s = 1; s < NSIG; s++) {
		struct sigaction old;
		if (s == SIGHUP || s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &old) < 0)
			continue;
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
			sigaction(s, &c->dfl, NULL);
	}
	/* Move everything above 2 first: when waverunner was started with a
	 * standard descriptor closed, a pipe may have got its number. */
	for (int k = 0; k < 4; k++)
		if ((fd[k] = fcntl(c->fd[k], F_DUPFD_CLOEXEC, 3)) < 0)
			child_report(c->fd[3], 0, errno);
	for (int k = 0; k < 3; k++)
		if (dup2(fd[k], k) < 0)
			child_report(fd[3], 0, errno);
	if (c->dir && chdir(c->dir) < 0)
		child_report(fd[3], 1, errno);
	close_others(fd[3], c->max_fd);
	execve(c->path, c->argv, c->envp);
	child_report(fd[3], 2, errno);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static char *exec_failure_text(const char *path, const char *dir, const struct exec_failure *f)
{
	if (f->stage == 1)
		return xasprintf("could not start script %s: cannot enter the workflow's directory %s: %s", path,
				 dir, strerror(f->err));
	if (f->stage == 2 && f->err == ENOENT)
		return xasprintf("could not start script %s: the interpreter its #! line names does not exist", path);
	if (f->stage == 2 && f->err == ENOEXEC)
		return xasprintf("could not start script %s: it is not a program the system can execute (a script "
				 "needs a #! line)",
				 path);
	return xasprintf("could not start script %s: %s", path, strerror(f->err));
}

/* Starts p's program. Returns 0, or -1 with *why (caller frees) and *fc set. */
static int spawn(struct proc *p, const char *dir, char *const *envp, char **why, enum fail_class *fc)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, ep[2] = { -1, -1 };
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0) {
		/* Out of descriptors: like a busy server, this may pass; retry. */
		*fc = FC_SERVER;
		*why = xasprintf("could not start script %s: pipe: %s", p->path, strerror(errno));
		for (int k = 0; k < 2; k++) {
			close_fd(&in[k]);
			close_fd(&out[k]);
			close_fd(&err[k]);
			close_fd(&ep[k]);
		}
		return -1;
	}
	char *argv[] = { p->path, NULL };
	struct child_setup c;
	memset(&c, 0, sizeof c);
	c.path = p->path;
	c.argv = argv;
	c.envp = envp;
	c.dir = dir;
	c.fd[0] = in[0];
	c.fd[1] = out[1];
	c.fd[2] = err[1];
	c.fd[3] = ep[1];
	c.max_fd = 1024;
	c.dfl.sa_handler = SIG_DFL;
	sigemptyset(&c.dfl.sa_mask);
	sigemptyset(&c.none);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		c.max_fd = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	pid_t pid = fork();
	if (pid == 0)
		child(&c);
	int fork_errno = errno;
	if (pid > 0) {
		setpgid(pid, pid); /* also here, so that the group exists before we may signal it */
		exec_child_started(-pid);
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	close_fd(&ep[1]);
	struct exec_failure f;
	ssize_t n = 0;
	if (pid > 0)
		while ((n = read(ep[0], &f, sizeof f)) < 0 && errno == EINTR)
			;
	close_fd(&ep[0]);
	if (pid < 0 || n == (ssize_t)sizeof f) {
		if (pid < 0) {
			*fc = FC_SERVER; /* out of processes or memory: may pass */
			*why = xasprintf("could not start script %s: fork: %s", p->path, strerror(fork_errno));
		} else {
			exec_child_ended(-pid);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			*fc = FC_SCRIPT;
			*why = exec_failure_text(p->path, dir, &f);
		}
		close_fd(&in[1]);
		close_fd(&out[0]);
		close_fd(&err[0]);
		return -1;
	}
	p->pid = pid;
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	fcntl(p->in, F_SETFL, fcntl(p->in, F_GETFL) | O_NONBLOCK);
	fcntl(p->out, F_SETFL, fcntl(p->out, F_GETFL) | O_NONBLOCK);
	fcntl(p->err, F_SETFL, fcntl(p->err, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* write() that returns EPIPE instead of raising SIGPIPE, which would kill
 * waverunner when a program exits without reading all of its input. SIGPIPE is
 * blocked around the call and a signal it raised is taken back, so the
 * process's disposition (which children would inherit) is left alone. */
static ssize_t write_nosigpipe(int fd, const void *data, size_t len)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	int was_pending = sigismember(&pending, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t n = write(fd, data, len);
	int saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

static void pump_in(struct proc *p)
{
	while (p->in >= 0 && p->input_off < p->input_len) {
		ssize_t n = write_nosigpipe(p->in, p->input + p->input_off, p->input_len - p->input_off);
		if (n > 0) {
			p->input_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			break; /* EPIPE: it stopped reading its input; whether that is fine is its exit's to say */
		}
	}
	close_fd(&p->in); /* all written (or no reader): end of file for the program */
}

/* Sends SIGTERM to p's group for why; SIGKILL follows after the grace. */
static void stop(struct proc *p, enum stop_reason why, int64_t now)
{
	if (p->stop == STOP_NONE)
		p->stop = why;
	close_fd(&p->in);
	if (p->kill_at || p->exited)
		return;
	kill(-p->pid, SIGTERM);
	p->kill_at = now + p->kill_grace_ms;
	if (p->kill_at == 0)
		p->kill_at = 1;
}

/* One read of *fd into chunk: its length; 0 when interrupted (read again);
 * -1 when nothing is there now, or at the end (then *fd is closed). */
static ssize_t read_chunk(int *fd, char *chunk, size_t size)
{
	ssize_t n = read(*fd, chunk, size);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0 && errno == EAGAIN)
		return -1;
	if (n <= 0) {
		close_fd(fd);
		return -1;
	}
	return n;
}

/* Reads what is there; at most max_reads chunks per stream. */
static void pump_out(struct proc *p, int max_reads, int64_t now)
{
	char chunk[CHUNK];
	for (int i = 0; p->out >= 0 && i < max_reads; i++) {
		ssize_t n = read_chunk(&p->out, chunk, sizeof chunk);
		if (n < 0)
			break;
		if (!n)
			continue;
		if (p->out_buf.len + (size_t)n > (size_t)p->out_max) {
			/* Stop reading: the program meets a closed pipe (SIGPIPE) or the SIGTERM. */
			buf_release(&p->out_buf);
			close_fd(&p->out);
			stop(p, STOP_TOO_LARGE, now);
			break;
		}
		buf_add(&p->out_buf, chunk, (size_t)n);
	}
}

static void pump_err(struct proc *p, int max_reads)
{
	char chunk[CHUNK];
	for (int i = 0; p->err >= 0 && i < max_reads; i++) {
		ssize_t n = read_chunk(&p->err, chunk, sizeof chunk);
		if (n < 0)
			break;
		if (!n)
			continue;
		buf_add(&p->err_buf, chunk, (size_t)n);
		if (p->err_buf.len > 2 * STDERR_KEEP) { /* keep the end: that is where the reason is */
			size_t drop = p->err_buf.len - STDERR_KEEP;
			memmove(p->err_buf.data, p->err_buf.data + drop, STDERR_KEEP + 1);
			p->err_buf.len = STDERR_KEEP;
			p->err_dropped += drop;
		}
	}
}

/* 1 if the program has exited; it stays a zombie (see the top of the file). */
static int leader_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD; /* reaped by someone else: nothing left to wait for */
	return si.si_pid == pid;
}

/* Ends p: kills what is left of its group, reaps it, closes its pipes. */
static void end_proc(struct proc *p)
{
	kill(-p->pid, SIGKILL);
	exec_child_ended(-p->pid);
	int status = 0;
	pid_t r;
	while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
		;
	p->status = r == p->pid ? status : 0;
	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
}

static const char *signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return "a signal";
}

static int failure_status(const char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	return (n == 5 && !strncasecmp(s, "error", 5)) || (n == 6 && !strncasecmp(s, "failed", 6));
}

/* "; stderr: ..." (or "") for an error message. Caller frees. */
static char *stderr_note(const struct proc *p, const char *sep)
{
	if (!p->err_buf.len)
		return xstrdup("");
	char *tail = text_tail(p->err_buf.data, p->err_buf.len, STDERR_QUOTE, 1);
	char *s = *tail ? xasprintf("%s%s", sep, tail) : xstrdup("");
	free(tail);
	return s;
}

/* The text a failed document gives as its reason, or NULL. */
static const char *doc_reason(const cJSON *doc)
{
	const char *s = json_str(doc, "error");
	if (!s)
		s = json_str(doc, "message");
	return s;
}

/* Turns how p ended and what it printed into its task's result. */
static void judge(struct proc *p)
{
	struct result *res = &p->t->res;
	if (p->err_buf.len) {
		size_t cut = p->err_buf.len > STDERR_KEEP ? p->err_buf.len - STDERR_KEEP : 0;
		char *tail = text_tail(p->err_buf.data, p->err_buf.len, STDERR_KEEP, 0);
		if (p->err_dropped + cut)
			res->log = xasprintf("(%zu earlier bytes not kept)\n%s", p->err_dropped + cut, tail);
		else if (*tail)
			res->log = xstrdup(tail);
		free(tail);
	}
	if (p->stop == STOP_TIMEOUT) {
		char *note = stderr_note(p, "; stderr: ");
		if (p->killed)
			result_fail(res, FC_TIMEOUT,
				    "script %s timed out after %d s (sent SIGTERM, then SIGKILL after %ld ms)%s",
				    p->path, p->t->conv->timeout_seconds, p->kill_grace_ms, note);
		else
			result_fail(res, FC_TIMEOUT, "script %s timed out after %d s (sent SIGTERM)%s", p->path,
				    p->t->conv->timeout_seconds, note);
		free(note);
		return;
	}
	if (p->stop == STOP_TOO_LARGE) {
		result_fail(res, FC_INVALID_OUTPUT,
			    "script %s printed more than %ld bytes on stdout (the limit; the actor's config "
			    "\"max_output_bytes\" sets it)",
			    p->path, p->out_max);
		return;
	}
	const char *text = buf_str(&p->out_buf);
	size_t len = p->out_buf.len;
	char *msg = NULL;
	cJSON *doc = utf8_valid(text, len) ? json_parse(text, len, &msg) : NULL;
	if (WIFSIGNALED(p->status) || WEXITSTATUS(p->status)) {
		const char *said = doc_reason(doc);
		char *note = stderr_note(p, said ? "; stderr: " : ": ");
		if (WIFSIGNALED(p->status))
			result_fail(res, FC_SCRIPT, "script %s was killed by %s (signal %d)%s%s%s", p->path,
				    signal_name(WTERMSIG(p->status)), WTERMSIG(p->status), said ? ": " : "",
				    said ? said : "", note);
		else
			result_fail(res, FC_SCRIPT, "script %s exited with status %d%s%s%s", p->path,
				    WEXITSTATUS(p->status), said ? ": " : "", said ? said : "",
				    *note || said ? note : ": nothing on stderr");
		free(note);
		if (doc)
			res->output = json_print(doc);
		cJSON_Delete(doc);
		free(msg);
		return;
	}
	if (!doc) {
		size_t cut = len < STDOUT_QUOTE ? len : STDOUT_QUOTE;
		while (cut < len && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--; /* not half a character */
		char *start = text_tail(text, cut, STDOUT_QUOTE, 1);
		const char *more = len > cut ? "\xE2\x80\xA6" : "";
		size_t ws = 0;
		while (ws < len && strchr(" \t\r\n", text[ws]))
			ws++;
		if (ws == len)
			result_fail(res, FC_INVALID_OUTPUT,
				    "script %s printed nothing on stdout (it must print one JSON document)", p->path);
		else if (!msg)
			result_fail(res, FC_INVALID_OUTPUT,
				    "script %s printed output that is not valid UTF-8 (stdout began: \"%s%s\")", p->path,
				    start, more);
		else
			result_fail(res, FC_INVALID_OUTPUT,
				    "script %s did not print one JSON document (%s); stdout %s: \"%s%s\"", p->path,
				    msg, *more ? "began" : "was", start, more);
		free(start);
		free(msg);
		return;
	}
	const char *status = json_str(doc, "status");
	res->output = json_print(doc);
	if (status && failure_status(status)) {
		const char *why = doc_reason(doc);
		char *note = stderr_note(p, "; stderr: ");
		result_fail(res, FC_STEP_FAILED, "script %s reported status \"%s\": %s%s", p->path, status,
			    why ? why : "it gave no \"error\" or \"message\"", why ? "" : note);
		free(note);
		int retry = 0;
		res->retryable = json_get_bool(doc, "retryable", &retry) == 0 && retry;
	} else {
		res->ok = 1;
	}
	if (status)
		res->status = xstrdup(status);
	cJSON_Delete(doc);
}

static void fail_at_start(struct scripts *st, struct task *t)
{
	t->next = st->failed;
	st->failed = t;
	st->nfailed++;
}

/* 0 if path names an executable file; else -1 with t's result failed. Checked
 * before fork so that the usual mistakes get plain words. */
static int check_program(struct task *t, const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		result_fail(&t->res, FC_SCRIPT, "script %s (actor '%s'): %s", path, t->actor->name, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		result_fail(&t->res, FC_SCRIPT, "script %s (actor '%s') is not a file", path, t->actor->name);
	else if (access(path, X_OK) < 0)
		result_fail(&t->res, FC_SCRIPT, "script %s (actor '%s') is not executable (chmod +x it)", path,
			    t->actor->name);
	else
		return 0;
	return -1;
}

static int scripts_start(struct executor *ex, struct db *db, struct task *t)
{
	struct scripts *st = ex->state;
	(void)db;
	struct proc *p = xcalloc(1, sizeof *p);
	p->t = t;
	p->path = program_path(t);
	p->in = p->out = p->err = -1;
	long v;
	p->out_max = json_get_long(t->actor->config, "max_output_bytes", &v) == 0 && v > 0 ? v : OUTPUT_MAX_DEFAULT;
	p->kill_grace_ms = json_get_long(t->actor->config, "kill_grace_ms", &v) == 0 && v >= 0 ? v : KILL_GRACE_DEFAULT;
	if (check_program(t, p->path) < 0)
		goto failed;
	if (!(p->input = stdin_document(t))) {
		result_fail(&t->res, FC_INTERNAL, "the stored input of interaction %ld is not a JSON document",
			    t->r.id);
		goto failed;
	}
	p->input_len = strlen(p->input);
	struct env env;
	build_env(st, t, &env);
	char *why = NULL;
	enum fail_class fc = FC_SCRIPT;
	int rc = spawn(p, t->wf ? t->wf->source_dir : NULL, env.v, &why, &fc);
	env_free(&env);
	if (rc < 0) {
		result_fail(&t->res, fc, "%s", why);
		free(why);
		goto failed;
	}
	p->next = st->procs;
	st->procs = p;
	st->nprocs++;
	pump_in(p);
	return E_OK;
failed:
	free(p->input);
	free(p->path);
	free(p);
	fail_at_start(st, t);
	return E_OK;
}

static size_t scripts_fds(struct executor *ex, struct pollfd *pfd, size_t max)
{
	struct scripts *st = ex->state;
	size_t n = 0;
	for (struct proc *p = st->procs; p; p = p->next) {
		if (p->in >= 0 && n < max)
			pfd[n++] = (struct pollfd){ .fd = p->in, .events = POLLOUT };
		if (p->out >= 0 && n < max)
			pfd[n++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
		if (p->err >= 0 && n < max)
			pfd[n++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
	}
	return n;
}

static void free_proc(struct proc *p)
{
	buf_release(&p->out_buf);
	buf_release(&p->err_buf);
	free(p->input);
	free(p->path);
	free(p);
}

static void scripts_collect(struct executor *ex, struct task **done)
{
	struct scripts *st = ex->state;
	while (st->failed) {
		struct task *t = st->failed;
		st->failed = t->next;
		t->next = *done;
		*done = t;
		st->nfailed--;
	}
	int64_t now = mono_ms();
	for (struct proc **pp = &st->procs; *pp;) {
		struct proc *p = *pp;
		pump_in(p);
		pump_out(p, READS_PER_ROUND, now);
		pump_err(p, READS_PER_ROUND);
		if (!p->exited)
			p->exited = leader_exited(p->pid);
		if (p->exited) {
			/* What it wrote is in the pipes now, at most a pipe's capacity;
			 * processes it left behind are killed first (end_proc kills again,
			 * harmlessly) so that they cannot keep adding to it. */
			kill(-p->pid, SIGKILL);
			pump_out(p, 4096, now);
			pump_err(p, 4096);
			end_proc(p);
			judge(p);
			struct task *t = p->t;
			*pp = p->next;
			st->nprocs--;
			free_proc(p);
			t->next = *done;
			*done = t;
			continue;
		}
		if (p->out < 0 && p->err < 0 && !p->eof_at)
			p->eof_at = now;
		if (!p->kill_at && now >= p->t->deadline_ms) {
			stop(p, STOP_TIMEOUT, now);
		} else if (p->kill_at && !p->killed && now >= p->kill_at) {
			kill(-p->pid, SIGKILL);
			p->killed = 1;
		}
		pp = &p->next;
	}
}

static int64_t scripts_next_wakeup(struct executor *ex, int64_t now)
{
	struct scripts *st = ex->state;
	if (st->failed)
		return 0;
	int64_t best = -1;
	for (struct proc *p = st->procs; p; p = p->next) {
		int64_t at = p->exited ? now : !p->kill_at ? p->t->deadline_ms : !p->killed ? p->kill_at : -1;
		/* A program's exit closes its pipes a moment before waitid can see
		 * it, and with the pipes closed nothing wakes us: look again soon,
		 * less often the longer it lives on without them. */
		if (p->eof_at && !p->exited) {
			int64_t since = now - p->eof_at, check = now + (since < 20 ? 1 : since < 1000 ? 20 : 250);
			if (at < 0 || check < at)
				at = check;
		}
		if (at < 0)
			continue;
		int64_t w = at > now ? at - now : 0;
		if (best < 0 || w < best)
			best = w;
	}
	return best;
}

static void scripts_abort_all(struct executor *ex, struct task **done)
{
	struct scripts *st = ex->state;
	long wait_ms = 0;
	for (struct proc *p = st->procs; p; p = p->next) {
		if (!p->exited && !p->kill_at)
			kill(-p->pid, SIGTERM);
		if (p->kill_grace_ms > wait_ms)
			wait_ms = p->kill_grace_ms;
	}
	if (wait_ms > ABORT_WAIT_MAX)
		wait_ms = ABORT_WAIT_MAX;
	/* Give them a moment to clean up, then SIGKILL (end_proc) what is left. */
	for (int64_t until = mono_ms() + wait_ms; mono_ms() < until;) {
		int all = 1;
		for (struct proc *p = st->procs; p; p = p->next)
			if (!p->exited && !(p->exited = leader_exited(p->pid)))
				all = 0;
		if (all)
			break;
		poll(NULL, 0, 10);
	}
	while (st->failed) {
		struct task *t = st->failed;
		st->failed = t->next;
		t->next = *done;
		*done = t;
	}
	st->nfailed = 0;
	while (st->procs) {
		struct proc *p = st->procs;
		st->procs = p->next;
		end_proc(p);
		p->t->next = *done;
		*done = p->t;
		free_proc(p);
	}
	st->nprocs = 0;
}

static size_t scripts_in_flight(struct executor *ex)
{
	struct scripts *st = ex->state;
	return st->nprocs + st->nfailed;
}

static void scripts_destroy(struct executor *ex)
{
	struct scripts *st = ex->state;
	while (st->procs) {
		struct proc *p = st->procs;
		st->procs = p->next;
		end_proc(p);
		task_free(p->t);
		free_proc(p);
	}
	while (st->failed) {
		struct task *t = st->failed;
		st->failed = t->next;
		task_free(t);
	}
	free(st->db_path);
	free(st);
	free(ex);
}

struct executor *script_executor_new(const char *db_path)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	struct scripts *st = xcalloc(1, sizeof *st);
	/* Absolute, since scripts run in the workflow's directory. */
	char *real = db_path ? realpath(db_path, NULL) : NULL;
	st->db_path = xstrdup(real ? real : db_path ? db_path : "");
	free(real);
	ex->name = "script";
	ex->start = scripts_start;
	ex->fds = scripts_fds;
	ex->collect = scripts_collect;
	ex->next_wakeup = scripts_next_wakeup;
	ex->abort_all = scripts_abort_all;
	ex->in_flight = scripts_in_flight;
	ex->destroy = scripts_destroy;
	ex->state = st;
	return ex;
}
