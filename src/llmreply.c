/* llmreply.c: model server answers and their failures (llmreply.h). */
#include "llmreply.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"

void llmreply_init(struct llm_reply *r)
{
	memset(r, 0, sizeof *r);
	r->prompt_tokens = r->output_tokens = -1;
	r->total_ms = r->load_ms = r->eval_ms = -1;
}

void llmreply_release(struct llm_reply *r)
{
	buf_release(&r->text);
	buf_release(&r->head);
	buf_release(&r->line);
	buf_release(&r->event);
	free(r->model);
	free(r->done_reason);
	free(r->error);
	free(r->malformed);
	llmreply_init(r);
}

void llmreply_note_bytes(struct llm_reply *r, const char *data, size_t len)
{
	if (r->head.len < LLMREPLY_HEAD) {
		size_t room = LLMREPLY_HEAD - r->head.len;
		buf_add(&r->head, data, len < room ? len : room);
	}
	r->received += len;
}

void llmreply_set_malformed(struct llm_reply *r, const char *fmt, ...)
{
	if (r->malformed)
		return;
	va_list ap;
	va_start(ap, fmt);
	r->malformed = xvasprintf(fmt, ap);
	va_end(ap);
}

size_t llmreply_max_answer(const struct llm_reply *r)
{
	return r->max_answer ? r->max_answer : LLMREPLY_MAX_ANSWER;
}

int llmreply_stopped(const struct llm_reply *r)
{
	return r->malformed || r->too_large;
}

void llmreply_add_text(struct llm_reply *r, const char *piece)
{
	size_t n = strlen(piece);
	if (r->too_large)
		return;
	if (n > llmreply_max_answer(r) - r->text.len) {
		r->too_large = 1;
		return;
	}
	buf_add(&r->text, piece, n);
}

int llmreply_check_nul(struct llm_reply *r, const char *json, size_t len, int event)
{
	long at = json_nul_escape(json, len);
	if (at < 0)
		return 0;
	if (r->lines)
		llmreply_set_malformed(r, "%s %ld, byte %ld of the stream holds \\u0000 (a NUL character), which "
				       "text cannot hold", event ? "the data of the event that ends at line" : "line",
				       r->lines, at + 1);
	else
		llmreply_set_malformed(r, "byte %ld of the answer holds \\u0000 (a NUL character), which text "
				       "cannot hold", at + 1);
	r->refused = 1;
	return 1;
}

static void emit(struct llm_reply *r, const char *line, size_t len,
		 void (*on_line)(struct llm_reply *, const char *, size_t))
{
	if (len && line[len - 1] == '\r')
		len--;
	r->lines++;
	on_line(r, line, len);
}

void llmreply_lines(struct llm_reply *r, const char *data, size_t len, int final,
		    void (*on_line)(struct llm_reply *r, const char *line, size_t len))
{
	while (len && !llmreply_stopped(r)) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (r->line.len + take > llmreply_max_answer(r) + LLMREPLY_LINE_SLACK) {
			r->too_large = 1; /* one line may hold the whole answer */
			return;
		}
		if (!nl) {
			buf_add(&r->line, data, take);
			break;
		}
		if (r->line.len) {
			buf_add(&r->line, data, take);
			/* on_line may not keep the pointer; the buffer is reset after. */
			emit(r, r->line.data, r->line.len, on_line);
			buf_reset(&r->line);
		} else {
			emit(r, data, take, on_line);
		}
		data += take + 1;
		len -= take + 1;
	}
	if (final && r->line.len && !llmreply_stopped(r)) {
		emit(r, r->line.data, r->line.len, on_line);
		buf_reset(&r->line);
	}
}

enum fail_class llmreply_status_class(long status)
{
	if (status == 404)
		return FC_NOT_FOUND;
	if (status == 401 || status == 403)
		return FC_AUTH;
	if (status == 429)
		return FC_RATE_LIMIT;
	if (status == 408)
		return FC_TIMEOUT;
	/* 409 is what OpenAI's clients retry too (a conflicting request in progress). */
	if (status == 409 || status >= 500)
		return FC_SERVER;
	return FC_BAD_REQUEST;
}

static void printable(struct buf *b, const char *data, size_t len, size_t max, int quote);

char *llmreply_error_message(const char *body, size_t len)
{
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *msg = NULL;
	if (cJSON_IsString(e))
		msg = e->valuestring;
	else if (cJSON_IsObject(e))
		msg = json_str(e, "message");
	if (!msg && cJSON_IsObject(j))
		msg = json_str(j, "message");
	char *out;
	if (msg && *msg) {
		struct buf b = BUF_INIT;
		printable(&b, msg, strlen(msg), 400, 0);
		out = buf_detach(&b);
	} else if (!len) {
		out = xstrdup("(empty body)");
	} else {
		out = llmreply_quote(body, len, 200);
	}
	cJSON_Delete(j);
	return out;
}

static int64_t parse_http_date(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	/* IMF-fixdate, the form RFC 9110 says senders use. */
	const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

int64_t llmreply_retry_after(const char *line, size_t len, int64_t now)
{
	char value[128];
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return -1;
	size_t name_len = (size_t)(colon - line);
	int ms;
	if (name_len == 11 && !strncasecmp(line, "retry-after", 11))
		ms = 0;
	else if (name_len == 14 && !strncasecmp(line, "retry-after-ms", 14))
		ms = 1;
	else
		return -1;
	size_t vlen = len - name_len - 1;
	if (vlen >= sizeof value)
		return -1;
	memcpy(value, colon + 1, vlen);
	value[vlen] = '\0';
	char *v = str_trim(value);
	if (!*v)
		return -1;
	char *end;
	double d = strtod(v, &end);
	if (end != v && !*end) {
		if (!(d >= 0 && d <= 1e9)) /* NaN too: never cast it */
			return -1;
		return ms ? (int64_t)d : (int64_t)(d * 1000.0);
	}
	if (ms)
		return -1;
	int64_t at = parse_http_date(v);
	if (at < 0)
		return -1;
	return at > now ? at - now : 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (!n || n > len)
		return 0;
	return utf8_valid((const char *)s, n) ? n : 0;
}

/* Appends data to b, printable, up to max bytes and "…"; quote: escape '. */
static void printable(struct buf *b, const char *data, size_t len, size_t max, int quote)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t start = b->len, i = 0;
	while (i < len) {
		if (b->len - start >= max) {
			buf_puts(b, "\xe2\x80\xa6"); /* … */
			break;
		}
		unsigned char c = s[i];
		size_t n;
		if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\r') {
			buf_puts(b, "\\r");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if ((c == '\'' && quote) || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
		} else if ((n = utf8_seq(s + i, len - i)) > 0) {
			buf_add(b, s + i, n);
			i += n;
			continue;
		} else {
			buf_printf(b, "\\x%02x", c);
		}
		i++;
	}
}

char *llmreply_quote(const char *data, size_t len, size_t max)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '\'');
	printable(&b, data, len, max, 1);
	buf_putc(&b, '\'');
	return buf_detach(&b);
}

char *llmreply_url_shown(const char *url)
{
	const char *start = strstr(url, "://");
	start = start ? start + 3 : url;
	size_t auth_len = strcspn(start, "/?#");
	const char *at = NULL;
	for (const char *p = start; p < start + auth_len; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(start - url), url, at + 1);
}

char *llmreply_origin(const char *url)
{
	char *shown = llmreply_url_shown(url);
	const char *sep = strstr(shown, "://");
	const char *scheme_end = sep ? sep : shown;
	const char *host = sep ? sep + 3 : shown;
	size_t hl = strcspn(host, "/?#");
	const char *port = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', hl);
		if (close && close + 1 < host + hl && close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = memchr(host, ':', hl);
		if (colon)
			port = colon + 1;
	}
	struct buf b = BUF_INIT;
	buf_add(&b, shown, (size_t)(scheme_end - shown));
	buf_puts(&b, "://");
	buf_add(&b, host, port ? (size_t)(port - 1 - host) : hl);
	for (size_t i = 0; i < b.len; i++)
		b.data[i] = (char)tolower((unsigned char)b.data[i]);
	if (port)
		buf_printf(&b, ":%.*s", (int)(host + hl - port), port);
	else
		buf_puts(&b, sep && !strncasecmp(shown, "https", 5) ? ":443" : ":80");
	free(shown);
	return buf_detach(&b);
}
