/* template.c: rendering {placeholder} templates in one pass (see template.h). */
#include "template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define MAX_ALTS 8

static int is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* If p starts a placeholder, returns its length (through the closing brace) and
 * fills alts (new strings, *nalts of them); else returns 0. */
static size_t parse_placeholder(const char *p, char **alts, size_t *nalts)
{
	const char *q = p + 1;
	size_t n = 0;
	for (;;) {
		if (!is_ident_start(*q))
			goto no;
		const char *start = q;
		while (is_ident_char(*q))
			q++;
		while (*q == '.') {
			q++;
			if (!is_ident_char(*q))
				goto no;
			while (is_ident_char(*q))
				q++;
		}
		if (n == MAX_ALTS)
			goto no;
		alts[n++] = xstrndup(start, (size_t)(q - start));
		if (*q == '|') {
			q++;
			continue;
		}
		if (*q == '}')
			break;
		goto no;
	}
	*nalts = n;
	return (size_t)(q - p) + 1;
no:
	for (size_t i = 0; i < n; i++)
		free(alts[i]);
	*nalts = 0;
	return 0;
}

static void free_alts(char **alts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(alts[i]);
}

/* Walks tpl: its literal text (a doubled brace as one brace) goes to text,
 * one character at a time; each placeholder to placeholder, with its source
 * (len bytes at src) and alternatives. Stops when placeholder returns
 * nonzero, and returns that. */
static int walk(const char *tpl, void (*text)(void *ctx, char c),
		int (*placeholder)(void *ctx, const char *src, size_t len, char **alts, size_t nalts), void *ctx)
{
	for (const char *p = tpl; *p;) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			text(ctx, p[0]);
			p += 2;
			continue;
		}
		char *alts[MAX_ALTS];
		size_t nalts;
		size_t len = *p == '{' ? parse_placeholder(p, alts, &nalts) : 0;
		if (!len) {
			text(ctx, *p++);
			continue;
		}
		int rc = placeholder(ctx, p, len, alts, nalts);
		free_alts(alts, nalts);
		if (rc)
			return rc;
		p += len;
	}
	return 0;
}

struct scan {
	tpl_visit_fn visit;
	void *ctx;
	size_t count;
};

static void scan_text(void *ctx, char c)
{
	(void)ctx;
	(void)c;
}

static int scan_placeholder(void *ctx, const char *src, size_t len, char **alts, size_t nalts)
{
	struct scan *s = ctx;
	char *text = xstrndup(src, len);
	if (s->visit)
		s->visit(s->ctx, text, alts, nalts);
	free(text);
	s->count++;
	return 0;
}

size_t template_scan(const char *tpl, tpl_visit_fn visit, void *ctx)
{
	struct scan s = { visit, ctx, 0 };
	walk(tpl, scan_text, scan_placeholder, &s);
	return s.count;
}

struct render {
	struct buf out;
	tpl_lookup_fn lookup;
	void *ctx;
	char *error;
};

static void render_text(void *ctx, char c)
{
	buf_putc(&((struct render *)ctx)->out, c);
}

/* The value of the first alternative that has one, appended; else the error. */
static int render_placeholder(void *ctx, const char *src, size_t len, char **alts, size_t nalts)
{
	struct render *r = ctx;
	char *value = NULL, *why = NULL;
	int found = 0;
	for (size_t i = 0; i < nalts && !found; i++) {
		char *v = NULL, *w = NULL;
		enum tpl_lookup l = r->lookup(r->ctx, alts[i], &v, &w);
		if (l == TPL_FOUND) {
			value = v;
			found = 1;
		} else if (l == TPL_NO_VALUE && !why) {
			why = w ? w : xasprintf("{%s} has no value here", alts[i]);
		} else {
			free(w);
		}
		if (l != TPL_FOUND)
			free(v);
	}
	if (!found) {
		r->error = why ? xasprintf("placeholder %.*s: %s", (int)len, src, why)
			       : xasprintf("unknown placeholder %.*s", (int)len, src);
		free(why);
		return -1;
	}
	free(why);
	buf_puts(&r->out, value ? value : "");
	free(value);
	return 0;
}

int template_render(const char *tpl, tpl_lookup_fn lookup, void *ctx, char **out, char **error)
{
	struct render r = { BUF_INIT, lookup, ctx, NULL };
	*out = NULL;
	*error = NULL;
	buf_puts(&r.out, "");
	if (walk(tpl, render_text, render_placeholder, &r)) {
		*error = r.error;
		buf_release(&r.out);
		return -1;
	}
	*out = buf_detach(&r.out);
	return 0;
}

/* Renders every string value of a JSON document in place. */
static int render_strings(cJSON *item, tpl_lookup_fn lookup, void *ctx, char **error)
{
	if (cJSON_IsString(item)) {
		char *text;
		if (template_render(item->valuestring, lookup, ctx, &text, error) < 0)
			return -1;
		cJSON_SetValuestring(item, text);
		free(text);
		return 0;
	}
	cJSON *child;
	cJSON_ArrayForEach(child, item)
		if (render_strings(child, lookup, ctx, error) < 0)
			return -1;
	return 0;
}

int template_render_json(const char *tpl, tpl_lookup_fn lookup, void *ctx, char **out, char **error)
{
	*out = NULL;
	*error = NULL;
	cJSON *doc = json_parse(tpl, strlen(tpl), NULL);
	if (doc) {
		int rc = render_strings(doc, lookup, ctx, error);
		if (!rc)
			*out = json_print(doc);
		cJSON_Delete(doc);
		return rc;
	}
	char *text;
	if (template_render(tpl, lookup, ctx, &text, error) < 0)
		return -1;
	char *msg;
	doc = json_parse(text, strlen(text), &msg);
	if (!doc) {
		char *shown = text_one_line(text, 80);
		*error = xasprintf("the rendered input is not one JSON document (%s): %s", msg, shown);
		free(shown);
		free(msg);
		free(text);
		return -1;
	}
	*out = json_print(doc);
	cJSON_Delete(doc);
	free(text);
	return 0;
}

void template_split_name(const char *name, char **var, char **field)
{
	const char *dot = strchr(name, '.');
	if (!dot) {
		*var = xstrdup(name);
		*field = NULL;
		return;
	}
	*var = xstrndup(name, (size_t)(dot - name));
	*field = xstrdup(dot + 1);
}
