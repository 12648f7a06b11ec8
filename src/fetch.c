/* fetch.c: the fetch_jobs built-in (fetch.h).
 *
 * A fetch talks to a job board for seconds or minutes, so it runs in a child
 * process (fork, no exec: the engine is single-threaded) that does the HTTP
 * conversation with plain blocking requests and writes one JSON document to a
 * pipe. The engine polls the pipe like any other descriptor and never waits
 * for the board. The child keeps to the step's timeout itself, so that a slow
 * board ends in [TIMEOUT] with the postings fetched so far; a hard kill a few
 * seconds after the deadline is only a backstop.
 *
 * The child never touches SQLite. SQLite's unix VFS keeps per-process
 * bookkeeping of locks and shared memory that a forked child inherits but
 * does not own, and its documentation warns against carrying that across
 * fork(). So the parent reads the external ids already known for the source
 * (through a read-only connection of its own) before forking, and the child
 * consults that copy to skip detail pages it does not need. The postings come
 * back in the child's document and are written by on_finish, inside the
 * transaction that completes the interaction, which checks again what is
 * known: a posting that someone else stored meanwhile is only marked seen.
 *
 * Descriptions: a posting's description is the og:description of its detail
 * page and nothing else. A page that fails in a way that may pass (429, 5xx,
 * a timeout, a reset) is asked again within the fetch, with backoff; a posting
 * still without a description is stored with the reason in source_metadata
 * (description_fetch_error, description_fetch_transient, description_fetches),
 * and later fetches of the same source ask for its page again, a bounded
 * number of postings per fetch and of fetches per posting. The parent reads
 * those postings before forking, with the known ids.
 *
 * Failure: a listing that answers 5xx, cannot be reached, or is not a
 * listing fails the step ([FAILED], FC_STEP_FAILED; retryable for 5xx and
 * connection errors). Nothing is stored then: a retry fetches the same
 * postings again and fans them out, where storing them now would leave them
 * known but never processed. [TIMEOUT] and [RATE_LIMITED] are successful
 * statuses that carry what was fetched. */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "db-postings.h"
#include "db.h"
#include "err.h"
#include "html.h"
#include "http.h"
#include "json.h"
#include "util.h"
#include "workday.h"

#define LISTING_TIMEOUT_MS 30000       /* one listing request, as the original */
#define DETAIL_TIMEOUT_MS 15000        /* one detail page, as the original (the default) */
#define BACKSTOP_MS 5000               /* after the deadline: SIGTERM; 2 s later SIGKILL */
#define MAX_DOCUMENT ((size_t)256 << 20) /* the child's result, descriptions included */

/* Parameters ----------------------------------------------------------------- */

struct fetch_params {
	const char *base_url;    /* borrowed from the parsed input */
	const char *tenant_path;
	const char *search_text;
	const char *source;
	long max_jobs;
	long page_size;
	long delay_ms;
	long detail_timeout_ms;  /* one detail page */
	long max_idle_pages;     /* stop after this many pages with nothing new; 0: never */
	long detail_retries;     /* asks again for a detail page that failed and may pass */
	long retry_delay_ms;     /* the first backoff, doubled on each retry */
	long retry_max_delay_ms; /* the cap on a backoff and on Retry-After */
	long refetch_max;        /* postings without a description asked again per fetch */
	long refetch_fetches;    /* fetches that may ask for a posting's page, in all */
};

/* A whole-number parameter: a JSON number or a numeric string (templates
 * render every value as a string); absent, null or "" gives the default. */
static int num_param(const cJSON *in, const char *key, long dflt, long min, long max, long *out, char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
	*out = dflt;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		if (double_to_long(v->valuedouble, out) < 0) {
			*why = xasprintf("%s must be a whole number, not %g", key, v->valuedouble);
			return -1;
		}
	} else if (cJSON_IsString(v)) {
		char *s = str_trim(xstrdup(v->valuestring));
		int bad = *s && parse_long(s, out) < 0;
		if (bad)
			*why = xasprintf("%s must be a whole number, not '%s'", key, v->valuestring);
		free(s);
		if (bad)
			return -1;
	} else {
		*why = xasprintf("%s must be a number", key);
		return -1;
	}
	if (*out < min || *out > max) {
		*why = xasprintf("%s must be from %ld to %ld, not %ld", key, min, max, *out);
		return -1;
	}
	return 0;
}

static int str_param(const cJSON *in, const char *key, const char *dflt, const char **out, char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
	*out = dflt;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v)) {
		*why = xasprintf("%s must be a string", key);
		return -1;
	}
	if (*v->valuestring)
		*out = v->valuestring;
	return 0;
}

static int read_params(const cJSON *in, struct fetch_params *p, char **why)
{
	memset(p, 0, sizeof *p);
	*why = NULL;
	if (str_param(in, "base_url", NULL, &p->base_url, why) ||
	    str_param(in, "tenant_path", NULL, &p->tenant_path, why) ||
	    str_param(in, "search_text", "", &p->search_text, why) ||
	    str_param(in, "source", "workday", &p->source, why))
		return -1;
	if (!p->base_url || (!str_starts_with_nocase(p->base_url, "http://") &&
			     !str_starts_with_nocase(p->base_url, "https://"))) {
		*why = xasprintf("base_url must be an http:// or https:// URL, not '%s'",
				 p->base_url ? p->base_url : "");
		return -1;
	}
	if (!p->tenant_path) {
		*why = xstrdup("tenant_path is missing (the job board's path, such as /wday/cxs/acme/Careers)");
		return -1;
	}
	if (!utf8_valid(p->source, strlen(p->source)) || utf8_length(p->source) > 50) {
		*why = xasprintf("source must be at most 50 characters, not '%s'", p->source);
		return -1;
	}
	if (num_param(in, "max_jobs", 20, 1, 100000, &p->max_jobs, why) ||
	    num_param(in, "page_size", WORKDAY_MAX_PAGE, 1, WORKDAY_MAX_PAGE, &p->page_size, why) ||
	    num_param(in, "request_delay_ms", 200, 0, 600000, &p->delay_ms, why) ||
	    num_param(in, "max_pages_without_new", 5, 0, 100000, &p->max_idle_pages, why) ||
	    num_param(in, "detail_timeout_ms", DETAIL_TIMEOUT_MS, 100, 600000, &p->detail_timeout_ms, why) ||
	    num_param(in, "detail_retries", 2, 0, 10, &p->detail_retries, why) ||
	    num_param(in, "retry_delay_ms", 1000, 0, 600000, &p->retry_delay_ms, why) ||
	    num_param(in, "retry_max_delay_ms", 30000, 0, 600000, &p->retry_max_delay_ms, why) ||
	    num_param(in, "refetch_max", 20, 0, 10000, &p->refetch_max, why) ||
	    num_param(in, "refetch_fetches", 3, 1, 100, &p->refetch_fetches, why))
		return -1;
	return 0;
}

/* The child: one fetch ------------------------------------------------------- */

struct fetch_run {
	const struct fetch_params *p;
	char **known;              /* sorted external ids already stored for the source */
	size_t nknown;
	const struct missing_description *missing; /* stored without a description: ask again */
	size_t nmissing;
	int64_t deadline;          /* monotonic: no request may run past it */
	struct http_client *http;
	char *listing_url;
	int64_t next_request;      /* monotonic: when the delay since the last request is over */
	char **seen;               /* external ids met in this fetch, sorted */
	size_t nseen, capseen;
	/* What it found. */
	cJSON *postings;
	cJSON *known_seen;
	cJSON *refetched;          /* [{"posting_id", "description" or "description_fetch_error", ...}] */
	long requests, pages, total, jobs_new, jobs_known, duplicates, skipped, deferred, desc_errors;
	long idle_pages;           /* consecutive listing pages without a new posting */
	long detail_retries;       /* detail requests that were retries */
	int64_t retry_wait_ms;     /* the backoff those retries were given, in all */
	/* How it ended: status stays NULL while it goes on. */
	const char *status;
	const char *stopped;
	char *detail;
	int retryable;
	int64_t retry_after_ms;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_known(const struct fetch_run *r, const char *id)
{
	return r->nknown && bsearch(&id, r->known, r->nknown, sizeof *r->known, cmp_str);
}

/* Adds id to the ids met in this fetch; 0 if it was met before (a listing that
 * shifted between pages shows a posting twice). */
static int first_sighting(struct fetch_run *r, const char *id)
{
	size_t lo = 0, hi = r->nseen;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->seen[mid], id);
		if (!c)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (r->nseen == r->capseen) {
		r->capseen = r->capseen ? r->capseen * 2 : 64;
		r->seen = xreallocarray(r->seen, r->capseen, sizeof *r->seen);
	}
	memmove(r->seen + lo + 1, r->seen + lo, (r->nseen - lo) * sizeof *r->seen);
	r->seen[lo] = xstrdup(id);
	r->nseen++;
	return 1;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void end_with(struct fetch_run *r, const char *status, const char *stopped, char *detail)
{
	r->status = status;
	r->stopped = stopped;
	free(r->detail);
	r->detail = detail;
}

/* Waits out the delay between requests. Returns the time the next request
 * may take (capped at limit_ms), or 0 with the fetch ended in [TIMEOUT] when
 * the step's time is up. */
static int64_t take_turn(struct fetch_run *r, int64_t limit_ms, int *deadline_bound, const char *what)
{
	int64_t now = mono_ms();
	if (r->next_request > now) {
		if (r->next_request >= r->deadline) {
			end_with(r, "[TIMEOUT]", "timeout",
				 xasprintf("the step's timeout left no time for %s after %ld requests", what,
					   r->requests));
			return 0;
		}
		sleep_ms(r->next_request - now);
		now = mono_ms();
	}
	int64_t left = r->deadline - now;
	if (left <= 0) {
		end_with(r, "[TIMEOUT]", "timeout",
			 xasprintf("the step's timeout left no time for %s after %ld requests", what, r->requests));
		return 0;
	}
	*deadline_bound = left < limit_ms;
	return left < limit_ms ? left : limit_ms;
}

static void done_request(struct fetch_run *r)
{
	r->requests++;
	r->next_request = mono_ms() + r->p->delay_ms;
}

/* The backoff before retry number attempt + 1 (attempt from 0): Retry-After
 * when the board gave one, else retry_delay_ms doubled per retry; either
 * capped at retry_max_delay_ms. */
static int64_t backoff_ms(const struct fetch_params *p, long attempt, int64_t retry_after_ms)
{
	int64_t wait = retry_after_ms;
	if (wait <= 0) {
		wait = p->retry_delay_ms;
		for (long i = 0; i < attempt && wait < p->retry_max_delay_ms; i++)
			wait *= 2;
	}
	return wait < p->retry_max_delay_ms ? wait : p->retry_max_delay_ms;
}

/* Asks for a detail page until it answers, fails for good, or its retries
 * are used up. Returns 0 with *description (the og:description, not empty)
 * or *desc_error set (and *transient when asking again later may help), or
 * -1 when the fetch has to end first (the step's timeout; a rate limit that
 * outlasted the retries). New strings; caller frees. */
static int get_description(struct fetch_run *r, const char *url, const char *id, char **description,
			   char **desc_error, int *transient)
{
	static const char *const headers[] = { "Accept: text/html,application/xhtml+xml", NULL };
	char what[64];
	snprintf(what, sizeof what, "the page of posting %.40s", id);
	*description = *desc_error = NULL;
	*transient = 0;
	for (long attempt = 0;; attempt++) {
		int bound = 0;
		int64_t limit = take_turn(r, r->p->detail_timeout_ms, &bound, what);
		if (!limit)
			return -1;
		struct http_req req = { .method = "GET", .url = url, .headers = headers, .timeout_ms = limit };
		struct http_resp resp;
		char *error = NULL, *why = NULL;
		int again = 0, ended = 0;
		int rc = http_request(r->http, &req, &resp, &error);
		done_request(r);
		if (rc < 0 && resp.fail == FC_TIMEOUT && bound) {
			end_with(r, "[TIMEOUT]", "timeout",
				 xasprintf("the step's timeout ran out while fetching %s", url));
			ended = 1;
		} else if (rc < 0) {
			why = error;
			error = NULL;
			again = resp.fail == FC_TIMEOUT || resp.fail == FC_CONNECTION;
		} else if (resp.status >= 200 && resp.status <= 299) {
			*description = html_og_description(resp.body, resp.body_len, resp.content_type);
			if (!*description)
				why = xstrdup("no og:description on the detail page");
			else if (!**description)
				why = xstrdup("the detail page's og:description is empty");
		} else {
			why = xasprintf("GET %s: HTTP %ld", url, resp.status);
			again = resp.status == 429 || resp.status == 408 || resp.status >= 500;
		}
		int64_t wait = again ? backoff_ms(r->p, attempt, resp.retry_after_ms) : 0;
		if (again && attempt < r->p->detail_retries && mono_ms() + wait < r->deadline) {
			/* Not after the deadline: the posting is stored with the
			 * error instead, and a later fetch asks again. */
			r->detail_retries++;
			r->retry_wait_ms += wait;
			if (r->next_request < mono_ms() + wait)
				r->next_request = mono_ms() + wait;
			free(why);
			free(error);
			http_resp_release(&resp);
			continue;
		}
		if (!ended && again && resp.status == 429) {
			r->retry_after_ms = resp.retry_after_ms;
			end_with(r, "[RATE_LIMITED]", "rate_limited",
				 xasprintf("GET %s: HTTP 429 (too many requests, %ld times); the posting is fetched "
					   "next time", url, attempt + 1));
			ended = 1;
		}
		if (!ended && why) {
			free(*description);
			*description = NULL;
			*desc_error = attempt ? xasprintf("%s (tried %ld times)", why, attempt + 1) : xstrdup(why);
			*transient = again;
		}
		free(why);
		free(error);
		http_resp_release(&resp);
		if (ended) {
			free(*description);
			*description = NULL;
			return -1;
		}
		return 0;
	}
}

/* Fetches one new posting's detail page and adds the posting to the result,
 * unless the fetch has to end first (timeout, rate limit). */
static void fetch_posting(struct fetch_run *r, const struct workday_posting *wp)
{
	char *url = workday_detail_url(r->p->base_url, r->p->tenant_path, wp->external_path);
	char *description, *desc_error;
	int transient;
	if (get_description(r, url, wp->external_id, &description, &desc_error, &transient) < 0) {
		free(url);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "external_id", wp->external_id);
	cJSON_AddStringToObject(o, "title", wp->title);
	cJSON_AddStringToObject(o, "url", url);
	char *city, *country;
	workday_location(wp->locations_text, &city, &country);
	if (city)
		cJSON_AddStringToObject(o, "location_city", city);
	if (country)
		cJSON_AddStringToObject(o, "location_country", country);
	free(city);
	free(country);
	if (description)
		cJSON_AddStringToObject(o, "description", description);
	cJSON *meta = cJSON_AddObjectToObject(o, "source_metadata");
	if (wp->posted_on)
		cJSON_AddStringToObject(meta, "posted_on", wp->posted_on);
	cJSON_AddStringToObject(meta, "external_path", wp->external_path);
	if (wp->locations_text)
		cJSON_AddStringToObject(meta, "locations_text", wp->locations_text);
	cJSON *item = cJSON_Parse(wp->item_json);
	if (item)
		cJSON_AddItemToObject(meta, "api_response", item);
	if (desc_error) {
		cJSON_AddStringToObject(meta, "description_fetch_error", desc_error);
		cJSON_AddBoolToObject(meta, "description_fetch_transient", transient);
		cJSON_AddNumberToObject(meta, "description_fetches", 1);
		r->desc_errors++;
	}
	cJSON_AddItemToArray(r->postings, o);
	r->jobs_new++;
	free(description);
	free(desc_error);
	free(url);
}

/* Asks again for the pages of postings stored without a description. */
static void refetch_missing(struct fetch_run *r)
{
	for (size_t i = 0; i < r->nmissing && !r->status; i++) {
		const struct missing_description *m = &r->missing[i];
		char *url = workday_detail_url(r->p->base_url, r->p->tenant_path, m->external_path);
		char id[32], *description, *desc_error;
		int transient;
		snprintf(id, sizeof id, "id %ld", m->posting_id);
		if (get_description(r, url, id, &description, &desc_error, &transient) == 0) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "posting_id", (double)m->posting_id);
			if (description) {
				cJSON_AddStringToObject(o, "description", description);
			} else {
				cJSON_AddStringToObject(o, "description_fetch_error", desc_error);
				cJSON_AddBoolToObject(o, "description_fetch_transient", transient);
			}
			cJSON_AddItemToArray(r->refetched, o);
		}
		free(description);
		free(desc_error);
		free(url);
	}
}

/* Requests the listing page at offset and works through it. Returns 0 to go
 * on to the next page, -1 when the fetch has ended. */
static int fetch_page(struct fetch_run *r, long offset)
{
	int bound = 0;
	char what[64];
	snprintf(what, sizeof what, "the listing at offset %ld", offset);
	int64_t limit = take_turn(r, LISTING_TIMEOUT_MS, &bound, what);
	if (!limit)
		return -1;
	char *body = workday_listing_body(r->p->page_size, offset, r->p->search_text);
	static const char *const headers[] = { "Content-Type: application/json", "Accept: application/json", NULL };
	struct http_req req = { .method = "POST", .url = r->listing_url, .headers = headers, .body = body,
				.body_len = strlen(body), .timeout_ms = limit };
	struct http_resp resp;
	char *error = NULL;
	int rc = http_request(r->http, &req, &resp, &error);
	done_request(r);
	free(body);
	struct workday_page page = { 0 };
	int ret = -1;
	if (rc < 0) {
		if (resp.fail == FC_TIMEOUT) {
			end_with(r, "[TIMEOUT]", "timeout", error);
		} else {
			r->retryable = resp.fail == FC_CONNECTION;
			end_with(r, "[FAILED]", "failed", error);
		}
		error = NULL;
		goto out;
	}
	if (resp.status == 429) {
		r->retry_after_ms = resp.retry_after_ms;
		end_with(r, "[RATE_LIMITED]", "rate_limited",
			 xasprintf("POST %s: HTTP 429 (too many requests) at offset %ld", r->listing_url, offset));
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		/* 5xx may pass; a 4xx (a wrong tenant path) will not. */
		r->retryable = resp.status >= 500;
		r->retry_after_ms = resp.retry_after_ms;
		end_with(r, "[FAILED]", "failed",
			 xasprintf("POST %s: HTTP %ld at offset %ld", r->listing_url, resp.status, offset));
		goto out;
	}
	if (workday_parse_listing(resp.body, resp.body_len, &page, &error) < 0) {
		end_with(r, "[FAILED]", "failed",
			 xasprintf("POST %s at offset %ld: %s", r->listing_url, offset, error));
		goto out;
	}
	r->pages++;
	if (page.total > r->total)
		r->total = page.total; /* Workday reports the total on the first page only */
	r->skipped += (long)page.skipped;
	long new_before = r->jobs_new;
	for (size_t i = 0; i < page.n && !r->status; i++) {
		const struct workday_posting *wp = &page.postings[i];
		if (!first_sighting(r, wp->external_id)) {
			r->duplicates++;
		} else if (is_known(r, wp->external_id)) {
			r->jobs_known++;
			cJSON_AddItemToArray(r->known_seen, cJSON_CreateString(wp->external_id));
		} else if (r->jobs_new >= r->p->max_jobs) {
			r->deferred++; /* still read on, to mark the known ones on this page seen */
		} else {
			fetch_posting(r, wp);
		}
	}
	if (r->status)
		goto out;
	r->idle_pages = r->jobs_new > new_before ? 0 : r->idle_pages + 1;
	if (!page.items)
		end_with(r, "success", "empty_page", NULL);
	else if (r->jobs_new >= r->p->max_jobs)
		end_with(r, "success", "max_jobs", NULL);
	else if ((long)page.items < r->p->page_size)
		end_with(r, "success", "short_page", NULL);
	else if (r->total > 0 && offset + r->p->page_size >= r->total)
		end_with(r, "success", "end_of_total", NULL);
	else if (r->p->max_idle_pages && r->idle_pages >= r->p->max_idle_pages)
		end_with(r, "success", "no_new_postings",
			 xasprintf("%ld pages in a row without a new posting", r->idle_pages));
	else
		ret = 0;
out:
	workday_page_release(&page);
	free(error);
	http_resp_release(&resp);
	return ret;
}

static cJSON *fetch_all(const struct fetch_params *p, char **known, size_t nknown,
			const struct missing_description *missing, size_t nmissing, int64_t deadline)
{
	struct fetch_run r = { .p = p, .known = known, .nknown = nknown, .missing = missing, .nmissing = nmissing,
			       .deadline = deadline, .total = -1 };
	r.postings = cJSON_CreateArray();
	r.known_seen = cJSON_CreateArray();
	r.refetched = cJSON_CreateArray();
	r.listing_url = workday_listing_url(p->base_url, p->tenant_path);
	r.http = http_client_new();
	if (!r.http)
		end_with(&r, "[FAILED]", "failed", xstrdup("libcurl could not be initialised"));
	for (long offset = 0; !r.status; offset += p->page_size)
		if (fetch_page(&r, offset) < 0)
			break;
	/* After a listing that went well; its status is set by then, so the
	 * refetches run while it is "success" and may end it as [TIMEOUT] or
	 * [RATE_LIMITED] like any request. */
	if (!strcmp(r.status, "success")) {
		r.status = NULL;
		refetch_missing(&r);
		if (!r.status)
			r.status = "success";
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "status", r.status);
	cJSON_AddStringToObject(doc, "stopped", r.stopped);
	if (r.detail)
		cJSON_AddStringToObject(doc, !strcmp(r.status, "[FAILED]") ? "error" : "detail", r.detail);
	if (!strcmp(r.status, "[FAILED]"))
		cJSON_AddBoolToObject(doc, "retryable", r.retryable);
	if (r.retry_after_ms > 0)
		cJSON_AddNumberToObject(doc, "retry_after_s", (double)(r.retry_after_ms / 1000));
	cJSON_AddStringToObject(doc, "source", p->source);
	cJSON_AddStringToObject(doc, "search_text", p->search_text);
	cJSON_AddNumberToObject(doc, "pages_fetched", (double)r.pages);
	cJSON_AddNumberToObject(doc, "requests", (double)r.requests);
	if (r.total >= 0)
		cJSON_AddNumberToObject(doc, "total_available", (double)r.total);
	else
		cJSON_AddNullToObject(doc, "total_available");
	cJSON_AddNumberToObject(doc, "jobs_new", (double)r.jobs_new);
	cJSON_AddNumberToObject(doc, "jobs_known", (double)r.jobs_known);
	cJSON_AddNumberToObject(doc, "jobs_skipped", (double)r.skipped);
	cJSON_AddNumberToObject(doc, "jobs_duplicate", (double)r.duplicates);
	cJSON_AddNumberToObject(doc, "jobs_deferred", (double)r.deferred);
	cJSON_AddNumberToObject(doc, "description_errors", (double)r.desc_errors);
	cJSON_AddNumberToObject(doc, "detail_retries", (double)r.detail_retries);
	cJSON_AddNumberToObject(doc, "retry_wait_ms", (double)r.retry_wait_ms);
	cJSON_AddItemToObject(doc, "postings", r.postings);
	cJSON_AddItemToObject(doc, "known", r.known_seen);
	cJSON_AddItemToObject(doc, "refetched", r.refetched);
	http_client_free(r.http);
	free(r.listing_url);
	free(r.detail);
	for (size_t i = 0; i < r.nseen; i++)
		free(r.seen[i]);
	free(r.seen);
	return doc;
}

/* Keeps only fd (moved to 3) and the standard streams open in the child, so
 * that it holds no copy of the engine's other pipes (a script would not see
 * the end of its input while a fetch runs) nor of the database files. */
static int keep_only(int fd)
{
	if (fd > 3 && dup2(fd, 3) == 3)
		fd = 3;
	int from = fd >= 3 ? fd + 1 : 3;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0U) == 0)
		return fd;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int i = from; i < max; i++)
		close(i);
	return fd;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static __attribute__((noreturn)) void child_main(int fd, const struct fetch_params *p, char **known, size_t nknown,
						 const struct missing_description *missing, size_t nmissing,
						 int64_t deadline, pid_t parent)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* Ctrl-C reaches the whole process group: the engine, not the child,
	 * decides whether a fetch in flight may finish (its grace period). */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
	/* A fetch outliving a killed engine would only be wasted requests. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
#else
	(void)parent;
#endif
	fd = keep_only(fd);
	cJSON *doc = fetch_all(p, known, nknown, missing, nmissing, deadline);
	char *text = json_print(doc);
	write_all(fd, text, strlen(text));
	_exit(0);
}

/* The executor (the engine's side) ------------------------------------------- */

struct fetch_job {
	struct task *t;
	pid_t pid;
	int fd;                  /* the pipe from the child; -1 at its end */
	struct buf out;
	int too_big;
	int64_t term_at;         /* monotonic: the backstop's SIGTERM */
	int64_t kill_at;         /* monotonic: SIGKILL, once SIGTERM was sent */
	int signalled;
	struct fetch_job *next;
};

struct fetch_exec {
	char *db_path;
	struct db *ro;           /* read-only, for the ids already known */
	struct fetch_job *jobs;
	struct task *done;       /* failed before a child was started */
};

/* Ends the step as failed with {"status": "[FAILED]", "error": why}. */
static void fail_step(struct task *t, const char *why)
{
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", "[FAILED]");
	cJSON_AddStringToObject(out, "error", why);
	result_fail(&t->res, FC_STEP_FAILED, "%s", why);
	t->res.output = json_print(out);
	t->res.status = xstrdup("[FAILED]");
	cJSON_Delete(out);
}

static void hand_back(struct fetch_exec *fx, struct task *t)
{
	t->next = fx->done;
	fx->done = t;
}

/* Stores the postings of a finished fetch, and the descriptions it found for
 * postings stored earlier without one, and replaces the output with the
 * counts and the ids of the new postings and of those that got their
 * description now, which advance.c fans out: one run per posting. Runs inside
 * the transaction that completes the interaction. */
static int store_postings(struct db *db, struct task *t)
{
	cJSON *doc = cJSON_Parse(t->res.output ? t->res.output : "");
	if (!doc)
		return E_OK;
	const char *source = json_str(doc, "source");
	char now[32];
	iso_now(now);
	long inserted = 0, updated = 0;
	int rc = E_OK;
	cJSON *ids = cJSON_CreateArray();
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "known")) {
		long id;
		if (!cJSON_IsString(it))
			continue;
		if ((rc = db_posting_touch(db, source, it->valuestring, now, &id)))
			break;
		updated += id != 0;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "postings")) {
		if (rc)
			break;
		char *meta = json_print(cJSON_GetObjectItemCaseSensitive(it, "source_metadata"));
		struct fetched_posting fp = {
			.source = source,
			.external_id = json_str(it, "external_id"),
			.title = json_str(it, "title"),
			.description = json_str(it, "description"),
			.location_city = json_str(it, "location_city"),
			.location_country = json_str(it, "location_country"),
			.external_url = json_str(it, "url"),
			.metadata = meta,
			.interaction_id = t->r.id,
		};
		long id;
		int fresh;
		rc = db_posting_record_fetched(db, &fp, now, &id, &fresh);
		free(meta);
		if (rc)
			break;
		if (fresh) {
			inserted++;
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
		} else {
			updated++;
		}
	}
	long refetched = 0, recovered = 0, missing = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "refetched")) {
		long id;
		int stored;
		if (rc)
			break;
		if (json_get_long(it, "posting_id", &id) != 0)
			continue;
		int transient = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "description_fetch_transient"));
		rc = db_posting_refetched(db, id, json_str(it, "description"), json_str(it, "description_fetch_error"),
					  transient, now, &stored);
		refetched++;
		if (!rc && stored) {
			recovered++;
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
		}
	}
	if (!rc)
		rc = db_posting_count_missing(db, source, &missing);
	if (rc) {
		cJSON_Delete(ids);
		cJSON_Delete(doc);
		return rc;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "postings");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "known");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "refetched");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "jobs_new");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "jobs_known");
	cJSON_AddNumberToObject(doc, "jobs_fetched", (double)inserted);
	cJSON_AddNumberToObject(doc, "jobs_updated", (double)updated);
	cJSON_AddNumberToObject(doc, "refetched", (double)refetched);
	cJSON_AddNumberToObject(doc, "refetch_recovered", (double)recovered);
	cJSON_AddNumberToObject(doc, "still_missing", (double)missing);
	cJSON_AddItemToObject(doc, "posting_ids", ids);
	free(t->res.output);
	t->res.output = json_print(doc);
	cJSON_Delete(doc);
	return E_OK;
}

static int fetch_start(struct executor *ex, struct db *db, struct task *t)
{
	(void)db; /* NULL: asynchronous executors start outside the transaction */
	struct fetch_exec *fx = ex->state;
	char *msg = NULL, *why = NULL;
	char **known = NULL;
	size_t nknown = 0, nmissing = 0;
	struct missing_description *missing = NULL;
	cJSON *in = json_parse(t->r.input ? t->r.input : "", t->r.input ? strlen(t->r.input) : 0, &msg);
	struct fetch_params p;
	if (!cJSON_IsObject(in)) {
		result_fail(&t->res, FC_INVALID_OUTPUT, "fetch_jobs needs a JSON object as input: %s",
			    msg ? msg : "it is not an object");
		hand_back(fx, t);
		goto out;
	}
	if (read_params(in, &p, &why) < 0) {
		char *m = xasprintf("fetch_jobs: %s (check the step's template and the run's parameters)", why);
		fail_step(t, m);
		free(m);
		hand_back(fx, t);
		goto out;
	}
	if ((!fx->ro && db_open(fx->db_path, DB_READONLY, &fx->ro)) ||
	    db_posting_external_ids(fx->ro, p.source, &known, &nknown) ||
	    (p.refetch_max && db_posting_missing_descriptions(fx->ro, p.source, p.refetch_fetches, p.refetch_max,
							      &missing, &nmissing))) {
		result_fail(&t->res, FC_INTERNAL, "fetch_jobs: reading the postings already known: %s", err_msg());
		err_clear();
		db_close(fx->ro);
		fx->ro = NULL;
		hand_back(fx, t);
		goto out;
	}
	int pfd[2];
	if (pipe(pfd) < 0) {
		result_fail(&t->res, FC_INTERNAL, "fetch_jobs: cannot make a pipe: %s", strerror(errno));
		hand_back(fx, t);
		goto out;
	}
	/* The child's own deadline leaves it time to report before the step's. */
	int64_t span = t->deadline_ms - mono_ms();
	int64_t reserve = span / 10 < 250 ? 250 : span / 10 > 2000 ? 2000 : span / 10;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child_main(pfd[1], &p, known, nknown, missing, nmissing, t->deadline_ms - reserve, parent);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		result_fail(&t->res, FC_INTERNAL, "fetch_jobs: cannot start a process: %s", strerror(errno));
		hand_back(fx, t);
		goto out;
	}
	exec_child_started(pid);
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
	struct fetch_job *j = xcalloc(1, sizeof *j);
	j->t = t;
	j->pid = pid;
	j->fd = pfd[0];
	j->term_at = t->deadline_ms + BACKSTOP_MS;
	j->next = fx->jobs;
	fx->jobs = j;
out:
	for (size_t i = 0; i < nknown; i++)
		free(known[i]);
	free(known);
	db_missing_descriptions_free(missing, nmissing);
	free(msg);
	free(why);
	cJSON_Delete(in);
	return E_OK;
}

static size_t fetch_fds(struct executor *ex, struct pollfd *pfd, size_t max)
{
	struct fetch_exec *fx = ex->state;
	size_t n = 0;
	for (struct fetch_job *j = fx->jobs; j && n < max; j = j->next)
		if (j->fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = j->fd, .events = POLLIN };
	return n;
}

/* Reads what the child wrote so far; closes the pipe at its end. */
static void drain(struct fetch_job *j)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(j->fd, chunk, sizeof chunk);
		if (n > 0) {
			if (j->out.len + (size_t)n > MAX_DOCUMENT)
				j->too_big = 1;
			else
				buf_add(&j->out, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(j->fd);
		j->fd = -1;
		return;
	}
}

/* The task's result from the child's document and exit status. */
static void conclude(struct fetch_job *j, int wstatus)
{
	struct task *t = j->t;
	struct result *res = &t->res;
	cJSON *doc = j->too_big ? NULL : cJSON_Parse(buf_str(&j->out));
	const char *status = json_str(doc, "status");
	if (!status) {
		if (j->signalled)
			result_fail(res, FC_TIMEOUT,
				    "fetch_jobs did not stop within its timeout of %d s and was killed",
				    t->conv->timeout_seconds);
		else if (j->too_big)
			result_fail(res, FC_INTERNAL, "fetch_jobs produced more than %zu MiB of postings",
				    MAX_DOCUMENT >> 20);
		else if (WIFSIGNALED(wstatus))
			result_fail(res, FC_INTERNAL, "the fetch_jobs process was killed by signal %d without a result",
				    WTERMSIG(wstatus));
		else
			result_fail(res, FC_INTERNAL, "the fetch_jobs process ended (status %d) without a result",
				    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
		cJSON_Delete(doc);
		return;
	}
	if (!strcmp(status, "[FAILED]")) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "postings");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "known");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "refetched");
		cJSON_AddNumberToObject(doc, "jobs_fetched", 0);
		cJSON_AddStringToObject(doc, "note", "nothing was stored: the postings found before the failure are "
						     "fetched again by a retry or the next fetch");
		const char *error = json_str(doc, "error");
		result_fail(res, FC_STEP_FAILED, "fetch_jobs: %s", error ? error : "failed");
		res->retryable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "retryable"));
		double ra = 0;
		if (json_get_double(doc, "retry_after_s", &ra) == 0 && ra > 0) /* at most a day */
			res->retry_after_ms = ra < 86400 ? (int64_t)(ra * 1000) : 86400000;
		res->output = json_print(doc);
		res->status = xstrdup(status);
	} else {
		/* The whole document, postings included, until store_postings
		 * replaces it: the result is freed with the task whatever happens,
		 * so nothing is left to leak if the task never finishes. */
		res->ok = 1;
		res->status = xstrdup(status);
		res->output = xstrdup(buf_str(&j->out));
		t->on_finish = store_postings;
	}
	cJSON_Delete(doc);
}

static void fetch_collect(struct executor *ex, struct task **done)
{
	struct fetch_exec *fx = ex->state;
	while (fx->done) {
		struct task *t = fx->done;
		fx->done = t->next;
		t->next = *done;
		*done = t;
	}
	int64_t now = mono_ms();
	for (struct fetch_job **pj = &fx->jobs; *pj;) {
		struct fetch_job *j = *pj;
		if (j->fd >= 0)
			drain(j);
		if (j->fd >= 0) {
			if (!j->signalled && now >= j->term_at) {
				kill(j->pid, SIGTERM);
				j->signalled = SIGTERM;
				j->kill_at = now + 2000;
			} else if (j->signalled == SIGTERM && now >= j->kill_at) {
				kill(j->pid, SIGKILL);
				j->signalled = SIGKILL;
			}
			pj = &j->next;
			continue;
		}
		/* The pipe closed: the child has exited (or is exiting). */
		int wstatus = 0;
		exec_child_ended(j->pid);
		while (waitpid(j->pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		conclude(j, wstatus);
		*pj = j->next;
		j->t->next = *done;
		*done = j->t;
		buf_release(&j->out);
		free(j);
	}
}

static int64_t fetch_next_wakeup(struct executor *ex, int64_t now)
{
	struct fetch_exec *fx = ex->state;
	if (fx->done)
		return 0;
	int64_t w = -1;
	for (struct fetch_job *j = fx->jobs; j; j = j->next) {
		int64_t at = j->signalled == SIGKILL ? now + 1000 : j->signalled ? j->kill_at : j->term_at;
		int64_t d = at > now ? at - now : 0;
		if (w < 0 || d < w)
			w = d;
	}
	return w;
}

static void stop_all(struct fetch_exec *fx, struct task **done)
{
	while (fx->jobs) {
		struct fetch_job *j = fx->jobs;
		fx->jobs = j->next;
		kill(j->pid, SIGKILL);
		exec_child_ended(j->pid);
		while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (j->fd >= 0)
			close(j->fd);
		buf_release(&j->out);
		if (done) {
			j->t->next = *done;
			*done = j->t;
		} else {
			task_free(j->t);
		}
		free(j);
	}
	while (fx->done) {
		struct task *t = fx->done;
		fx->done = t->next;
		if (done) {
			t->next = *done;
			*done = t;
		} else {
			task_free(t);
		}
	}
}

static void fetch_abort_all(struct executor *ex, struct task **done)
{
	stop_all(ex->state, done);
}

static size_t fetch_in_flight(struct executor *ex)
{
	struct fetch_exec *fx = ex->state;
	size_t n = 0;
	for (struct fetch_job *j = fx->jobs; j; j = j->next)
		n++;
	for (struct task *t = fx->done; t; t = t->next)
		n++;
	return n;
}

static void fetch_destroy(struct executor *ex)
{
	struct fetch_exec *fx = ex->state;
	stop_all(fx, NULL);
	db_close(fx->ro);
	free(fx->db_path);
	free(fx);
	free(ex);
}

struct executor *fetch_executor_new(const char *db_path)
{
	struct fetch_exec *fx = xcalloc(1, sizeof *fx);
	fx->db_path = xstrdup(db_path);
	struct executor *ex = xcalloc(1, sizeof *ex);
	ex->name = "fetch_jobs";
	ex->start = fetch_start;
	ex->fds = fetch_fds;
	ex->collect = fetch_collect;
	ex->next_wakeup = fetch_next_wakeup;
	ex->abort_all = fetch_abort_all;
	ex->in_flight = fetch_in_flight;
	ex->destroy = fetch_destroy;
	ex->state = fx;
	return ex;
}
