/* json.c: cJSON helpers (see json.h for the ownership rule). */
#include "json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void position_of(const char *text, const char *at, long *line, long *col)
{
	*line = 1, *col = 1;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n')
			(*line)++, *col = 1;
		else if (((unsigned char)*p & 0xC0) != 0x80)
			(*col)++;
	}
}

cJSON *json_parse(const char *text, size_t len, char **errmsg)
{
	const char *end = NULL;
	if (errmsg)
		*errmsg = NULL;
	size_t skip = 0;
	while (skip < len && isspace((unsigned char)text[skip]))
		skip++;
	if (skip == len) {
		if (errmsg)
			*errmsg = xstrdup("empty document");
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		if (errmsg)
			*errmsg = xstrdup("document contains a NUL byte");
		return NULL;
	}
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		if (errmsg) {
			long line, col;
			const char *at = end ? end : text;
			if (at > text + len)
				at = text + len;
			/* cJSON stops inside a bad word: point at its start. */
			while (at > text && at < text + len && isalnum((unsigned char)at[-1]) && isalnum((unsigned char)at[0]))
				at--;
			position_of(text, at, &line, &col);
			int shown = 0;
			while (shown < 12 && at + shown < text + len && at[shown] != '\n' && at[shown] != '\r')
				shown++;
			*errmsg = at >= text + len
				? xasprintf("line %ld, column %ld: unexpected end of document", line, col)
				: xasprintf("line %ld, column %ld: invalid JSON near '%.*s'", line, col, shown, at);
		}
		return NULL;
	}
	const char *p = end;
	while (p < text + len && isspace((unsigned char)*p))
		p++;
	if (p < text + len) {
		if (errmsg) {
			long line, col;
			position_of(text, p, &line, &col);
			*errmsg = xasprintf("line %ld, column %ld: text after the end of the JSON document",
					    line, col);
		}
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

char *json_print(const cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);
	if (!s)
		s = xstrdup("null");
	return s;
}

char *json_print_pretty(const cJSON *item)
{
	char *s = cJSON_Print(item);
	if (!s)
		s = xstrdup("null");
	return s;
}

static void print_indented(struct buf *b, const cJSON *item, int depth)
{
	int object = cJSON_IsObject(item);
	if ((!object && !cJSON_IsArray(item)) || !item->child) {
		char *s = cJSON_PrintUnformatted(item);
		buf_puts(b, s ? s : "null");
		free(s);
		return;
	}
	buf_putc(b, object ? '{' : '[');
	for (const cJSON *c = item->child; c; c = c->next) {
		buf_printf(b, "\n%*s", 2 * (depth + 1), "");
		if (object) {
			char *key = json_quote(c->string);
			buf_printf(b, "%s: ", key);
			free(key);
		}
		print_indented(b, c, depth + 1);
		if (c->next)
			buf_putc(b, ',');
	}
	buf_printf(b, "\n%*s%c", 2 * depth, "", object ? '}' : ']');
}

char *json_print_indented(const cJSON *item)
{
	struct buf b = BUF_INIT;
	print_indented(&b, item, 0);
	buf_putc(&b, '\n');
	return buf_detach(&b);
}

int json_get_string(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsString(v))
		return -1;
	*out = v->valuestring;
	return 0;
}

int json_get_long(const cJSON *obj, const char *key, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsNumber(v))
		return -1;
	double d = v->valuedouble;
	if (d != floor(d) || d < -9.007199254740992e15 || d > 9.007199254740992e15)
		return -1;
	*out = (long)d;
	return 0;
}

int json_get_double(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsNumber(v))
		return -1;
	*out = v->valuedouble;
	return 0;
}

int json_get_bool(const cJSON *obj, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsBool(v))
		return -1;
	*out = cJSON_IsTrue(v);
	return 0;
}

const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *json_text(const cJSON *obj, const char *key)
{
	const char *s = json_str(obj, key);
	return s ? s : "";
}

double json_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

char *json_value_text(const cJSON *item)
{
	if (!item || cJSON_IsNull(item))
		return xstrdup("");
	if (cJSON_IsString(item))
		return xstrdup(item->valuestring);
	if (cJSON_IsTrue(item))
		return xstrdup("true");
	if (cJSON_IsFalse(item))
		return xstrdup("false");
	return json_print(item);
}

const cJSON *json_path(const cJSON *item, const char *path)
{
	const char *p = path;
	while (item && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *key = xstrndup(p, n);
		if (cJSON_IsObject(item)) {
			item = cJSON_GetObjectItemCaseSensitive(item, key);
		} else if (cJSON_IsArray(item)) {
			long idx;
			item = parse_long(key, &idx) == 0 && idx >= 0 ? cJSON_GetArrayItem(item, (int)idx) : NULL;
		} else {
			item = NULL;
		}
		free(key);
		p += n;
		if (*p == '.')
			p++;
	}
	return item;
}

/* Parses text[0..len) as a JSON object or array; NULL if it is not one. */
static cJSON *parse_container(const char *text, size_t len)
{
	cJSON *j = json_parse(text, len, NULL);
	if (j && !cJSON_IsObject(j) && !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* Returns the end (one past the closing bracket) of the balanced object or array
 * starting at p, honouring strings; NULL if it does not close. */
static const char *balanced_end(const char *p)
{
	char stack[256];
	size_t depth = 0;
	int in_string = 0;
	for (; *p; p++) {
		char c = *p;
		if (in_string) {
			if (c == '\\' && p[1])
				p++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (depth == sizeof stack)
				return NULL;
			stack[depth++] = c == '{' ? '}' : ']';
		} else if (c == '}' || c == ']') {
			if (!depth || stack[depth - 1] != c)
				return NULL;
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

cJSON *json_from_text(const char *text)
{
	/* 1. Fenced code blocks, in order. */
	const char *p = text;
	while ((p = strstr(p, "```")) != NULL) {
		const char *body = p + 3;
		while (*body && *body != '\n' && !isspace((unsigned char)*body) && *body != '{' && *body != '[')
			body++; /* the language tag */
		const char *close = strstr(body, "```");
		if (!close)
			break;
		cJSON *j = parse_container(body, (size_t)(close - body));
		if (j)
			return j;
		p = close + 3;
	}
	/* 2. The whole answer. */
	cJSON *j = parse_container(text, strlen(text));
	if (j)
		return j;
	/* 3. The first balanced object or array that parses. Only the first few
	 * candidates are tried, so that a long answer full of brackets stays cheap. */
	int tries = 0;
	for (p = text; *p && tries < 32; p++) {
		if (*p != '{' && *p != '[')
			continue;
		tries++;
		const char *end = balanced_end(p);
		if (!end)
			continue;
		j = parse_container(p, (size_t)(end - p));
		if (j)
			return j;
	}
	return NULL;
}

char *json_quote(const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *out = json_print(str);
	cJSON_Delete(str);
	return out;
}

void json_emit(cJSON *root)
{
	char *s = json_print(root);
	puts(s);
	free(s);
	cJSON_Delete(root);
}
