/* redact.c: finding password values in libpq connection strings and URLs,
 * and scrubbing them (and libpq's noise) from messages. */
#include "redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_SPANS 16

/* A password value in the connection string: its bytes as written (quotes
 * included) and its value (unquoted, unescaped). */
struct span {
	size_t start, end;
	char *value;
};

struct spans {
	struct span s[MAX_SPANS];
	size_t n;
};

static void add_span(struct spans *sp, size_t start, size_t end, char *value)
{
	if (sp->n == MAX_SPANS || end <= start) {
		free(value);
		return;
	}
	sp->s[sp->n++] = (struct span){ start, end, value };
}

static int is_url(const char *s)
{
	return str_starts_with(s, "postgresql://") || str_starts_with(s, "postgres://");
}

static void scan(const char *s, size_t base, size_t len, struct spans *sp, int depth);

/* URL form: scheme://[user[:password]@]hosts[/dbname][?key=value&...]. Like
 * libpq, the user information ends at the first '@' before any '/'. */
static void scan_url(const char *s, size_t base, size_t len, struct spans *sp)
{
	size_t p = (size_t)(strstr(s, "://") - s) + 3;
	size_t q = p;
	while (q < len && s[q] != '@' && s[q] != '/')
		q++;
	size_t after = p;
	if (q < len && s[q] == '@') {
		const char *colon = memchr(s + p, ':', q - p);
		if (colon) {
			size_t c = (size_t)(colon - s) + 1;
			add_span(sp, base + c, base + q, xstrndup(s + c, q - c));
		}
		after = q + 1;
	}
	const char *qm = memchr(s + after, '?', len - after);
	if (!qm)
		return;
	size_t k = (size_t)(qm - s) + 1;
	while (k < len) {
		size_t e = k;
		while (e < len && s[e] != '&')
			e++;
		const char *eq = memchr(s + k, '=', e - k);
		if (eq && (size_t)(eq - (s + k)) == 8 && !strncmp(s + k, "password", 8)) {
			size_t v = (size_t)(eq - s) + 1;
			add_span(sp, base + v, base + e, xstrndup(s + v, e - v));
		}
		k = e + 1;
	}
}

/* Keyword form, read the way libpq reads it: key = value pairs separated by
 * white space; a value is single-quoted (with \' and \\) or runs to the next
 * white space (a backslash escapes the next character). */
static void scan_keywords(const char *s, size_t base, size_t len, struct spans *sp, int depth)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		size_t ks = i;
		while (i < len && s[i] != '=' && !isspace((unsigned char)s[i]))
			i++;
		size_t ke = i;
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len || s[i] != '=')
			return; /* libpq refuses the rest; nothing more is a value */
		i++;
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		size_t vs = i;
		struct buf v = BUF_INIT;
		buf_puts(&v, "");
		int quoted = i < len && s[i] == '\'', closed = 0;
		if (quoted) {
			i++;
			while (i < len && s[i] != '\'') {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				buf_putc(&v, s[i++]);
			}
			if (i < len) {
				i++;
				closed = 1;
			}
		} else {
			while (i < len && !isspace((unsigned char)s[i])) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				buf_putc(&v, s[i++]);
			}
		}
		size_t ve = i;
		size_t klen = ke - ks;
		if (klen == 8 && !strncmp(s + ks, "password", 8)) {
			add_span(sp, base + vs, base + ve, buf_detach(&v));
			continue;
		}
		if (klen == 6 && !strncmp(s + ks, "dbname", 6) && depth == 0 &&
		    (is_url(buf_str(&v)) || strchr(buf_str(&v), '='))) {
			/* libpq expands a dbname that is itself a connection string. */
			size_t inner = vs + (size_t)quoted, inner_end = ve - (size_t)closed;
			scan(s + inner, base + inner, inner_end - inner, sp, depth + 1);
		}
		buf_release(&v);
	}
}

static void scan(const char *s, size_t base, size_t len, struct spans *sp, int depth)
{
	char *copy = xstrndup(s, len);
	if (is_url(copy))
		scan_url(copy, base, len, sp);
	else
		scan_keywords(copy, base, len, sp, depth);
	free(copy);
}

static void release(struct spans *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->s[i].value);
}

char *sync_redact_conninfo(const char *conninfo)
{
	struct spans sp = { .n = 0 };
	size_t len = strlen(conninfo);
	scan(conninfo, 0, len, &sp, 0);
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	size_t at = 0;
	for (size_t i = 0; i < sp.n; i++) {
		if (sp.s[i].start < at)
			continue;
		buf_add(&b, conninfo + at, sp.s[i].start - at);
		buf_puts(&b, "***");
		at = sp.s[i].end;
	}
	buf_puts(&b, conninfo + at);
	release(&sp);
	return buf_detach(&b);
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *percent_decode(const char *s)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (; *s; s++) {
		if (*s == '%' && hex(s[1]) >= 0 && hex(s[2]) >= 0) {
			buf_putc(&b, (char)(hex(s[1]) * 16 + hex(s[2])));
			s += 2;
		} else {
			buf_putc(&b, *s);
		}
	}
	return buf_detach(&b);
}

static void push_secret(char ***secrets, size_t *n, char *s)
{
	if (!*s) {
		free(s);
		return;
	}
	*secrets = xreallocarray(*secrets, *n + 1, sizeof **secrets);
	(*secrets)[(*n)++] = s;
}

void sync_conninfo_secrets(const char *conninfo, char ***secrets, size_t *n)
{
	struct spans sp = { .n = 0 };
	scan(conninfo, 0, strlen(conninfo), &sp, 0);
	for (size_t i = 0; i < sp.n; i++) {
		char *decoded = percent_decode(sp.s[i].value);
		if (strcmp(decoded, sp.s[i].value))
			push_secret(secrets, n, decoded);
		else
			free(decoded);
		push_secret(secrets, n, sp.s[i].value);
		sp.s[i].value = NULL;
	}
	release(&sp);
}

char *sync_scrub(const char *msg, char *const *secrets, size_t n)
{
	char *out = xstrdup(msg);
	for (size_t i = 0; i < n; i++) {
		const char *secret = secrets[i];
		size_t slen = secret ? strlen(secret) : 0;
		if (!slen)
			continue;
		struct buf b = BUF_INIT;
		buf_puts(&b, "");
		const char *p = out, *hit;
		while ((hit = strstr(p, secret))) {
			buf_add(&b, p, (size_t)(hit - p));
			buf_puts(&b, "***");
			p = hit + slen;
		}
		buf_puts(&b, p);
		free(out);
		out = buf_detach(&b);
	}
	return out;
}

/* Drops "connection to server at "h" (addr), port N failed: " and the like. */
static const char *skip_connection_prefix(const char *line)
{
	if (!str_starts_with(line, "connection to server "))
		return line;
	const char *f = strstr(line, " failed: ");
	return f ? f + 9 : line;
}

static const char *skip_severity(const char *line)
{
	static const char *const labels[] = { "FATAL:", "ERROR:", "PANIC:", NULL };
	for (const char *const *l = labels; *l; l++)
		if (str_starts_with(line, *l)) {
			line += strlen(*l);
			while (*line == ' ')
				line++;
			return line;
		}
	return line;
}

char *sync_clean_pg_error(const char *msg)
{
	char *copy = xstrdup(msg ? msg : ""), *save = NULL;
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t = str_trim(line);
		const char *rest = skip_severity(skip_connection_prefix(t));
		if (!*rest)
			continue;
		/* The same reason repeated for each address tried says nothing new. */
		if (b.len && strstr(b.data, rest))
			continue;
		buf_printf(&b, "%s%s", b.len ? "; " : "", rest);
	}
	free(copy);
	if (!b.len)
		buf_puts(&b, "unknown error");
	return buf_detach(&b);
}
