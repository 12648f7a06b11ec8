/* stub-jobboard: a Workday-style job board for the fetcher's tests. A small
 * poll()-based HTTP/1.1 server (keep-alive, Content-Length bodies; no
 * libcurl) that serves fixtures/jobboard (see its README.md):
 *
 *   POST {tenant}/jobs          a listing page: {"limit", "offset", "searchText"}
 *                               -> {"total", "jobPostings": [...]}
 *   GET /{site}{externalPath}   a posting's detail page (site: the tenant's last segment)
 *   GET /stats                  what was asked so far, as JSON (also written to
 *                               --stats-file FILE after every request, when given)
 *
 * usage: stub-jobboard --fixtures DIR [--port N] [--tenant-path P] [knobs]
 *   --port 0 (the default) takes a free port; the port is printed on stdout.
 * Knobs (PAGE is 1-based: offset / limit + 1, so a retry meets the same page):
 *   --fail-500-at PAGE    answer that listing page with HTTP 500
 *   --rate-limit-at PAGE  answer it with HTTP 429 and Retry-After: 30
 *   --stall-at PAGE       never answer that listing page
 *   --stall               accept connections and never answer anything
 *   --detail-500 ID       answer the detail page of posting ID with HTTP 500
 *   --detail-fail ID:N:HOW  fail the first N requests for the detail page of
 *                         posting ID (N = 0: every one), HOW being 500, 404,
 *                         503 (with Retry-After: 1), 429 (with Retry-After: 2),
 *                         reset (the connection is reset without an answer)
 *                         or stall (no answer on that connection, ever); may
 *                         be given several times
 *   --no-og ID[,ID...]    serve those postings' detail pages with the site's
 *                         generic <meta name="description"> and no og:description
 *   --latin1              serve detail pages that fit ISO-8859-1 in it, with
 *                         "charset=ISO-8859-1" in their Content-Type
 *   --total N             report total N (a lie) instead of the real count
 *   --total-first-only    report total on offset 0 only (0 later), as Workday does */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

#define MAX_CONNS 128

static struct {
	const char *fixtures;
	const char *tenant;
	const char *site;
	long fail500_at, rate_limit_at, stall_at;
	int stall, latin1, total_first_only;
	long total;
	const char *detail500;
	const char *no_og;
	const char *stats_file;
} opt = { .tenant = "/wday/cxs/example/Careers", .total = -1 };

static cJSON *listing; /* the fixture's jobPostings */

/* --detail-fail rules. */
#define MAX_FAIL_RULES 16
static struct fail_rule {
	char id[64];
	long times;  /* 0: always */
	long served; /* failures answered so far */
	char how[16];
} fail_rules[MAX_FAIL_RULES];
static size_t nfail_rules;

/* Statistics for GET /stats. */
static cJSON *stats_requests, *stats_listing;
static long latin1_served;

struct conn {
	int fd;
	struct buf in;
	struct buf out;
	size_t sent;
	int stalled;
	int closing;
	int reset;   /* reset the connection without an answer */
};

static struct conn conns[MAX_CONNS];
static size_t nconns;

static void count_request(const char *method, const char *path)
{
	char *key = xasprintf("%s %s", method, path);
	cJSON *c = cJSON_GetObjectItemCaseSensitive(stats_requests, key);
	if (c)
		cJSON_SetNumberValue(c, c->valuedouble + 1);
	else
		cJSON_AddNumberToObject(stats_requests, key, 1);
	free(key);
}

static void respond(struct conn *c, int status, const char *content_type, const char *extra, const char *body,
		    size_t len)
{
	const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 429 ? "Too Many Requests"
			   : status == 500 ? "Internal Server Error" : status == 503 ? "Service Unavailable"
			   : status == 400 ? "Bad Request" : "Other";
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", status, reason,
		   content_type, len, extra ? extra : "", c->closing ? "Connection: close\r\n" : "");
	buf_add(&c->out, body, len);
}

static void respond_json(struct conn *c, int status, cJSON *doc)
{
	char *s = json_print(doc);
	respond(c, status, "application/json", NULL, s, strlen(s));
	free(s);
	cJSON_Delete(doc);
}

static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 1;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

static void serve_listing(struct conn *c, const char *body)
{
	cJSON *req = cJSON_Parse(body);
	long limit = 20, offset = 0;
	const char *search = "";
	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		respond(c, 400, "application/json", NULL, "{\"error\":\"bad request\"}", 23);
		return;
	}
	json_get_long(req, "limit", &limit);
	json_get_long(req, "offset", &offset);
	json_get_string(req, "searchText", &search);
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddNumberToObject(rec, "offset", (double)offset);
	cJSON_AddNumberToObject(rec, "limit", (double)limit);
	cJSON_AddStringToObject(rec, "searchText", search ? search : "");
	cJSON_AddItemToArray(stats_listing, rec);
	if (limit < 1)
		limit = 1;
	if (limit > 20)
		limit = 20; /* Workday's cap */
	long page = offset / limit + 1;
	if (page == opt.stall_at) {
		c->stalled = 1;
		cJSON_Delete(req);
		return;
	}
	if (page == opt.fail500_at) {
		cJSON_Delete(req);
		respond(c, 500, "application/json", NULL, "{\"error\":\"internal error\"}", 26);
		return;
	}
	if (page == opt.rate_limit_at) {
		cJSON_Delete(req);
		respond(c, 429, "application/json", "Retry-After: 30\r\n", "{\"error\":\"slow down\"}", 21);
		return;
	}
	cJSON *out = cJSON_CreateObject();
	cJSON *list = cJSON_CreateArray();
	long matching = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, listing) {
		const char *title = json_str(p, "title");
		if (!contains_nocase(title ? title : "", search ? search : ""))
			continue;
		if (matching >= offset && matching < offset + limit)
			cJSON_AddItemToArray(list, cJSON_Duplicate(p, 1));
		matching++;
	}
	long total = opt.total >= 0 ? opt.total : matching;
	if (opt.total_first_only && offset > 0)
		total = 0;
	cJSON_AddNumberToObject(out, "total", (double)total);
	cJSON_AddItemToObject(out, "jobPostings", list);
	cJSON_AddItemToObject(out, "facets", cJSON_CreateArray());
	cJSON_Delete(req);
	respond_json(c, 200, out);
}

static void html_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
	}
}

/* s as ISO-8859-1 when every character fits (s is valid UTF-8); else NULL. */
static char *to_latin1(const char *s, size_t len, size_t *out_len)
{
	struct buf b = BUF_INIT;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		if (u[i] < 0x80) {
			buf_putc(&b, (char)u[i++]);
		} else if ((u[i] == 0xC2 || u[i] == 0xC3) && i + 1 < len) {
			buf_putc(&b, (char)(((u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F)));
			i += 2;
		} else {
			buf_release(&b);
			return NULL;
		}
	}
	*out_len = b.len;
	return buf_detach(&b);
}

/* id is one of the comma-separated ids in list. */
static int in_list(const char *list, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, id, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Answers a --detail-fail rule for id, if one applies: 1 if it did. */
static int detail_fail(struct conn *c, const char *id)
{
	for (size_t i = 0; i < nfail_rules; i++) {
		struct fail_rule *f = &fail_rules[i];
		if (strcmp(f->id, id) || (f->times && f->served >= f->times))
			continue;
		f->served++;
		if (!strcmp(f->how, "reset"))
			c->reset = 1;
		else if (!strcmp(f->how, "stall"))
			c->stalled = 1;
		else if (!strcmp(f->how, "503"))
			respond(c, 503, "text/html", "Retry-After: 1\r\n", "<h1>busy</h1>", 13);
		else if (!strcmp(f->how, "429"))
			respond(c, 429, "text/html", "Retry-After: 2\r\n", "<h1>slow down</h1>", 18);
		else if (!strcmp(f->how, "404"))
			respond(c, 404, "text/html", NULL, "<h1>not found</h1>", 18);
		else
			respond(c, 500, "text/html", NULL, "<h1>error</h1>", 14);
		return 1;
	}
	return 0;
}

/* A page without og:description, with the site's generic description. */
static void serve_no_og(struct conn *c, const char *title)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	html_escape(&b, title ? title : "");
	buf_puts(&b, "</title>\n<meta name=\"description\" content=\"Example Group careers: find your next job "
		     "with us. Browse open positions in technology, operations and finance.\">\n"
		     "<meta property=\"og:title\" content=\"");
	html_escape(&b, title ? title : "");
	buf_puts(&b, "\">\n</head><body><h1>");
	html_escape(&b, title ? title : "");
	buf_puts(&b, "</h1></body></html>\n");
	respond(c, 200, "text/html; charset=UTF-8", NULL, b.data, b.len);
	buf_release(&b);
}

static void serve_detail(struct conn *c, const cJSON *posting)
{
	const cJSON *bullets = cJSON_GetObjectItemCaseSensitive(posting, "bulletFields");
	const char *id = cJSON_GetStringValue(cJSON_GetArrayItem(bullets, 0));
	const char *title = json_str(posting, "title");
	if (opt.detail500 && id && !strcmp(id, opt.detail500)) {
		respond(c, 500, "text/html", NULL, "<h1>error</h1>", 14);
		return;
	}
	if (id && detail_fail(c, id))
		return;
	if (id && in_list(opt.no_og, id)) {
		serve_no_og(c, title);
		return;
	}
	char *path = xasprintf("%s/pages/%s.html", opt.fixtures, id ? id : "none");
	char *page = NULL, *type = NULL;
	size_t len = 0, tlen;
	if (read_file(path, &page, &len) < 0) {
		struct buf b = BUF_INIT;
		buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
		html_escape(&b, title ? title : "");
		buf_puts(&b, "</title>\n<meta property=\"og:description\" content=\"");
		char *d = xasprintf("%s: you will build and run the systems of the %s team. Requirements: three years "
				    "of experience, fluent English, and care for detail. Posting %s.",
				    title ? title : "", title ? title : "", id ? id : "");
		html_escape(&b, d);
		free(d);
		buf_puts(&b, "\">\n</head><body><h1>");
		html_escape(&b, title ? title : "");
		buf_puts(&b, "</h1></body></html>\n");
		len = b.len;
		page = buf_detach(&b);
	}
	free(path);
	path = xasprintf("%s/pages/%s.type", opt.fixtures, id ? id : "none");
	if (read_file(path, &type, &tlen) == 0)
		str_trim(type);
	else
		type = xstrdup("text/html; charset=UTF-8");
	free(path);
	size_t l1len;
	char *l1 = opt.latin1 && !strcmp(type, "text/html; charset=UTF-8") ? to_latin1(page, len, &l1len) : NULL;
	if (l1) {
		latin1_served++;
		respond(c, 200, "text/html; charset=ISO-8859-1", NULL, l1, l1len);
	} else {
		respond(c, 200, type, NULL, page, len);
	}
	free(l1);
	free(page);
	free(type);
}

static cJSON *stats_doc(void)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "requests", cJSON_Duplicate(stats_requests, 1));
	cJSON_AddItemToObject(doc, "listing", cJSON_Duplicate(stats_listing, 1));
	long listings = 0, details = 0;
	const cJSON *r;
	cJSON_ArrayForEach(r, stats_requests) {
		if (!strncmp(r->string, "POST ", 5))
			listings += (long)r->valuedouble;
		else if (strcmp(r->string, "GET /stats"))
			details += (long)r->valuedouble;
	}
	cJSON_AddNumberToObject(doc, "listing_requests", (double)listings);
	cJSON_AddNumberToObject(doc, "detail_requests", (double)details);
	cJSON_AddNumberToObject(doc, "latin1_served", (double)latin1_served);
	return doc;
}

static void write_stats(void)
{
	if (!opt.stats_file)
		return;
	cJSON *doc = stats_doc();
	char *s = json_print(doc);
	if (write_file_atomic(opt.stats_file, s, strlen(s)) < 0)
		fprintf(stderr, "stub-jobboard: %s: %s\n", opt.stats_file, strerror(errno));
	free(s);
	cJSON_Delete(doc);
}

static void handle(struct conn *c, const char *method, const char *path, const char *body)
{
	count_request(method, path);
	char *jobs = xasprintf("%s/jobs", opt.tenant);
	if (!strcmp(method, "GET") && !strcmp(path, "/stats")) {
		respond_json(c, 200, stats_doc());
	} else if (!strcmp(method, "POST") && !strcmp(path, jobs)) {
		serve_listing(c, body);
	} else if (!strcmp(method, "GET") && path[0] == '/' && !strncmp(path + 1, opt.site, strlen(opt.site)) &&
		   path[1 + strlen(opt.site)] == '/') {
		const char *ext = path + 1 + strlen(opt.site);
		const cJSON *p, *found = NULL;
		cJSON_ArrayForEach(p, listing) {
			const char *e = json_str(p, "externalPath");
			if (e && !strcmp(e, ext))
				found = p;
		}
		if (found)
			serve_detail(c, found);
		else
			respond(c, 404, "text/html", NULL, "<h1>not found</h1>", 18);
	} else {
		respond(c, 404, "text/plain", NULL, "not found\n", 10);
	}
	free(jobs);
	write_stats();
}

/* Handles every complete request in c->in. */
static void process(struct conn *c)
{
	while (!c->stalled && !c->closing && !c->reset) {
		char *end = c->in.data ? strstr(c->in.data, "\r\n\r\n") : NULL;
		if (!end)
			return;
		size_t head_len = (size_t)(end - c->in.data) + 4;
		long clen = 0;
		int close_after = 0;
		char method[16] = "", path[2048] = "";
		if (sscanf(c->in.data, "%15s %2047s", method, path) != 2) {
			c->closing = 1;
			respond(c, 400, "text/plain", NULL, "bad request\n", 12);
			return;
		}
		for (const char *line = strstr(c->in.data, "\r\n") + 2; line < end;) {
			const char *eol = strstr(line, "\r\n");
			size_t ll = (size_t)(eol - line);
			if (ll > 15 && !strncasecmp(line, "Content-Length:", 15))
				clen = atol(line + 15);
			else if (ll > 11 && !strncasecmp(line, "Connection:", 11) && memmem(line, ll, "close", 5))
				close_after = 1;
			line = eol + 2;
		}
		if (clen < 0 || c->in.len < head_len + (size_t)clen)
			return;
		char *body = xstrndup(c->in.data + head_len, (size_t)clen);
		c->closing = close_after;
		handle(c, method, path, body);
		free(body);
		size_t used = head_len + (size_t)clen;
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
		c->in.data[c->in.len] = '\0';
	}
}

static void drop(size_t i)
{
	close(conns[i].fd);
	buf_release(&conns[i].in);
	buf_release(&conns[i].out);
	conns[i] = conns[--nconns];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },          { "fixtures", required_argument, NULL, 'f' },
		{ "tenant-path", required_argument, NULL, 't' },   { "fail-500-at", required_argument, NULL, '5' },
		{ "rate-limit-at", required_argument, NULL, 'r' }, { "stall-at", required_argument, NULL, 'S' },
		{ "stall", no_argument, NULL, 's' },               { "detail-500", required_argument, NULL, 'd' },
		{ "latin1", no_argument, NULL, 'l' },              { "total", required_argument, NULL, 'T' },
		{ "total-first-only", no_argument, NULL, 'F' },    { "stats-file", required_argument, NULL, 'o' },
		{ "detail-fail", required_argument, NULL, 'x' },   { "no-og", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	long port = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atol(optarg); break;
		case 'f': opt.fixtures = optarg; break;
		case 't': opt.tenant = optarg; break;
		case '5': opt.fail500_at = atol(optarg); break;
		case 'r': opt.rate_limit_at = atol(optarg); break;
		case 'S': opt.stall_at = atol(optarg); break;
		case 's': opt.stall = 1; break;
		case 'd': opt.detail500 = optarg; break;
		case 'l': opt.latin1 = 1; break;
		case 'T': opt.total = atol(optarg); break;
		case 'F': opt.total_first_only = 1; break;
		case 'o': opt.stats_file = optarg; break;
		case 'n': opt.no_og = optarg; break;
		case 'x': {
			struct fail_rule *f = &fail_rules[nfail_rules];
			if (nfail_rules == MAX_FAIL_RULES ||
			    sscanf(optarg, "%63[^:]:%ld:%15s", f->id, &f->times, f->how) != 3 || f->times < 0) {
				fprintf(stderr, "stub-jobboard: --detail-fail takes ID:N:HOW, not '%s'\n", optarg);
				return 2;
			}
			nfail_rules++;
			break;
		}
		default:
			fprintf(stderr, "usage: stub-jobboard --fixtures DIR [--port N] [--tenant-path P] [knobs]\n");
			return 2;
		}
	}
	if (!opt.fixtures) {
		fprintf(stderr, "stub-jobboard: --fixtures DIR is required\n");
		return 2;
	}
	const char *slash = strrchr(opt.tenant, '/');
	opt.site = slash ? slash + 1 : opt.tenant;
	char *path = xasprintf("%s/listing.json", opt.fixtures), *text;
	size_t len;
	if (read_file(path, &text, &len) < 0) {
		fprintf(stderr, "stub-jobboard: %s: %s\n", path, strerror(errno));
		return 1;
	}
	cJSON *root = cJSON_Parse(text);
	free(text);
	free(path);
	listing = cJSON_GetObjectItemCaseSensitive(root, "jobPostings");
	if (!cJSON_IsArray(listing)) {
		fprintf(stderr, "stub-jobboard: listing.json has no jobPostings array\n");
		return 1;
	}
	stats_requests = cJSON_CreateObject();
	stats_listing = cJSON_CreateArray();
	signal(SIGPIPE, SIG_IGN);
	write_stats();

	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0) {
		fprintf(stderr, "stub-jobboard: cannot listen on port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	socklen_t alen = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &alen);
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);

	for (;;) {
		struct pollfd pfd[MAX_CONNS + 1];
		pfd[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
		for (size_t i = 0; i < nconns; i++)
			pfd[i + 1] = (struct pollfd){ .fd = conns[i].fd,
						      .events = (short)(POLLIN | (conns[i].out.len > conns[i].sent
										  ? POLLOUT
										  : 0)) };
		if (poll(pfd, nconns + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (size_t i = nconns; i-- > 0;) {
			struct conn *cn = &conns[i];
			short re = pfd[i + 1].revents;
			if (re & (POLLIN | POLLHUP | POLLERR)) {
				char chunk[16384];
				ssize_t n = read(cn->fd, chunk, sizeof chunk);
				if (n < 0 && (errno == EAGAIN || errno == EINTR))
					n = -2;
				if (n == 0 || n == -1) {
					drop(i);
					continue;
				}
				if (n > 0 && !opt.stall && !cn->stalled) {
					buf_add(&cn->in, chunk, (size_t)n);
					process(cn);
				}
				if (cn->reset) {
					struct linger lg = { 1, 0 }; /* close with a RST */
					setsockopt(cn->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
					drop(i);
					continue;
				}
			}
			if (cn->out.len > cn->sent) {
				ssize_t n = write(cn->fd, cn->out.data + cn->sent, cn->out.len - cn->sent);
				if (n < 0 && errno != EAGAIN && errno != EINTR) {
					drop(i);
					continue;
				}
				if (n > 0)
					cn->sent += (size_t)n;
				if (cn->sent == cn->out.len) {
					buf_reset(&cn->out);
					cn->sent = 0;
					if (cn->closing) {
						drop(i);
						continue;
					}
				}
			}
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept(ls, NULL, NULL);
			if (fd >= 0 && nconns < MAX_CONNS) {
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				conns[nconns++] = (struct conn){ .fd = fd };
			}
			else if (fd >= 0)
				close(fd);
		}
	}
}
