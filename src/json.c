/* json.c: cJSON helpers (see json.h for the ownership rule). */
#include "json.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

static void *json_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		err_out_of_memory();
	return p;
}

void json_init(void)
{
	/* Without this, cJSON answers NULL when memory runs out, which reads as
	 * "not JSON". */
	cJSON_Hooks hooks = { json_alloc, free };
	cJSON_InitHooks(&hooks);
}

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
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		if (errmsg) {
			long line, col;
			position_of(text, nul, &line, &col);
			*errmsg = xasprintf("line %ld, column %ld: a NUL byte (text cannot hold one)", line, col);
		}
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
	/* cJSON decodes \u0000 into a NUL that ends the string: "abc\u0000def"
	 * would silently become "abc". */
	long at = json_nul_escape(text, len);
	if (at >= 0) {
		if (errmsg) {
			long line, col;
			position_of(text, text + at, &line, &col);
			*errmsg = xasprintf("line %ld, column %ld: \\u0000 (a NUL character) in a string; text cannot "
					    "hold one", line, col);
		}
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

long json_nul_escape(const char *text, size_t len)
{
	const char *end = text + len;
	int in_string = 0;
	for (const char *p = text; p < end; p++) {
		if (!in_string) {
			in_string = *p == '"';
		} else if (*p == '"') {
			in_string = 0;
		} else if (*p == '\\') {
			if (end - p >= 6 && !memcmp(p + 1, "u0000", 5))
				return (long)(p - text);
			p++; /* the escaped character: \\u0000 is a backslash, then text */
		}
	}
	return -1;
}

/* Duplicate keys ------------------------------------------------------------
 * cJSON keeps both and its lookups find the first, so {"a": 1, "a": 2} would
 * silently mean a = 1. Found on the tree (sorting the names of big objects),
 * then placed in the text by walking it alongside the tree. */

struct named {
	const cJSON *item;
	size_t idx; /* the place in the object */
};

static int by_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->item->string, y->item->string);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The duplicate key of obj whose second occurrence comes first: *first, *second. */
static int object_duplicate(const cJSON *obj, const cJSON **first, const cJSON **second)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		n += c->string != NULL;
	if (n < 2)
		return 0;
	struct named *v = xcalloc(n, sizeof *v);
	size_t i = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		if (c->string)
			v[i].item = c, v[i].idx = i, i++;
	qsort(v, n, sizeof *v, by_name);
	size_t best = 0;
	for (i = 1; i < n; i++)
		if (!strcmp(v[i - 1].item->string, v[i].item->string) && (!best || v[i].idx < v[best].idx))
			best = i;
	if (best)
		*first = v[best - 1].item, *second = v[best].item;
	free(v);
	return best != 0;
}

static int find_duplicate(const cJSON *item, const cJSON **first, const cJSON **second)
{
	if (cJSON_IsObject(item) && object_duplicate(item, first, second))
		return 1;
	for (const cJSON *c = item->child; c; c = c->next)
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && find_duplicate(c, first, second))
			return 1;
	return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Walks the value at p (valid JSON, the text of node) and records where the
 * keys of a and b begin. Returns the end of the value. */
static const char *place_keys(const char *p, const char *end, const cJSON *node, const cJSON *a, const cJSON *b,
			      const char **at_a, const char **at_b)
{
	p = skip_ws(p, end);
	if (p >= end)
		return p;
	if (*p == '{' || *p == '[') {
		int object = *p == '{';
		const cJSON *c = node ? node->child : NULL;
		p++;
		while (p < end && !*at_b) {
			p = skip_ws(p, end);
			if (p >= end || *p == '}' || *p == ']')
				return p + 1;
			if (*p == ',') {
				p++;
				continue;
			}
			if (object) {
				if (c == a)
					*at_a = p;
				if (c == b)
					*at_b = p;
				p = place_keys(p, end, NULL, NULL, NULL, at_a, at_b); /* the key */
				p = skip_ws(p, end);
				if (p < end && *p == ':')
					p++;
			}
			p = place_keys(p, end, c, a, b, at_a, at_b);
			c = c ? c->next : NULL;
		}
		return p;
	}
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		return p + 1;
	}
	while (p < end && !strchr(",]} \t\r\n", *p))
		p++;
	return p;
}

cJSON *json_parse_strict(const char *text, size_t len, char **errmsg)
{
	cJSON *root = json_parse(text, len, errmsg);
	const cJSON *a, *b;
	if (!root || !find_duplicate(root, &a, &b))
		return root;
	if (errmsg) {
		const char *at_a = NULL, *at_b = NULL;
		place_keys(text, text + len, root, a, b, &at_a, &at_b);
		long line = 0, col = 0, line1 = 0, col1 = 0;
		if (at_b)
			position_of(text, at_b, &line, &col);
		if (at_a)
			position_of(text, at_a, &line1, &col1);
		char *key = str_excerpt(b->string, 40);
		*errmsg = xasprintf("line %ld, column %ld: key '%s' appears twice in one object (first at line %ld, "
				    "column %ld)", line, col, key, line1, col1);
		free(key);
	}
	cJSON_Delete(root);
	return NULL;
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

/* obj's member key when it is of the type is() checks: 0 with *v set, 1 when
 * absent or null, -1 when of another type. */
static int typed_member(const cJSON *obj, const char *key, cJSON_bool (*is)(const cJSON *), const cJSON **v)
{
	*v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!*v || cJSON_IsNull(*v))
		return 1;
	return is(*v) ? 0 : -1;
}

int json_get_string(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *v;
	int rc = typed_member(obj, key, cJSON_IsString, &v);
	if (!rc)
		*out = v->valuestring;
	return rc;
}

int json_get_long(const cJSON *obj, const char *key, long *out)
{
	const cJSON *v;
	int rc = typed_member(obj, key, cJSON_IsNumber, &v);
	if (rc)
		return rc;
	double d = v->valuedouble;
	if (d != floor(d) || d < -9.007199254740992e15 || d > 9.007199254740992e15)
		return -1;
	*out = (long)d;
	return 0;
}

int json_get_double(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v;
	int rc = typed_member(obj, key, cJSON_IsNumber, &v);
	if (!rc)
		*out = v->valuedouble;
	return rc;
}

int json_get_bool(const cJSON *obj, const char *key, int *out)
{
	const cJSON *v;
	int rc = typed_member(obj, key, cJSON_IsBool, &v);
	if (!rc)
		*out = cJSON_IsTrue(v);
	return rc;
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

/* Parses text[0..len) (a part of whole) as a JSON object or array; NULL if
 * it is not one. A candidate refused only for \u0000 is noted in *refused
 * (the first one), with its place in whole. */
static cJSON *parse_container(const char *whole, const char *text, size_t len, char **refused)
{
	char *msg = NULL;
	cJSON *j = json_parse(text, len, refused ? &msg : NULL);
	if (j && !cJSON_IsObject(j) && !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	long at;
	if (!j && msg && !*refused && strstr(msg, "(a NUL character)") && (at = json_nul_escape(text, len)) >= 0) {
		long line, col;
		position_of(whole, text + at, &line, &col);
		*refused = xasprintf("its JSON holds \\u0000 (a NUL character) at line %ld, column %ld, which text "
				     "cannot hold", line, col);
	}
	free(msg);
	return j;
}

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

static cJSON *find(const char *text, char **refused);

cJSON *json_from_text(const char *text)
{
	return find(text, NULL);
}

cJSON *json_find(const char *text, char **refused)
{
	*refused = NULL;
	cJSON *j = find(text, refused);
	if (j) { /* another candidate was good */
		free(*refused);
		*refused = NULL;
	}
	return j;
}

static cJSON *find(const char *text, char **refused)
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
		cJSON *j = parse_container(text, body, (size_t)(close - body), refused);
		if (j)
			return j;
		p = close + 3;
	}
	/* 2. The whole answer. */
	cJSON *j = parse_container(text, text, strlen(text), refused);
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
		j = parse_container(text, p, (size_t)(end - p), refused);
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
