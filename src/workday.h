/* workday.h: the Workday careers API as the fetcher speaks it: the listing
 * request, a listing page, where a posting's detail page is, and the city and
 * country in a location text. Pure: no I/O.
 *
 * The listing is POST {base_url}{tenant_path}/jobs with
 * {"appliedFacets": {}, "limit": N, "offset": N, "searchText": "..."}; it
 * answers {"total": N, "jobPostings": [{"title", "externalPath",
 * "locationsText", "postedOn", "bulletFields": [requisition id, ...]}]}.
 * A posting's page is GET {base_url}/{site}{externalPath}, where site is the
 * last segment of tenant_path ("/wday/cxs/acme/Careers" -> "Careers"). */
#ifndef workday_h
#define workday_h

#include <stddef.h>

/* Workday answers at most this many postings per listing request. */
#define WORKDAY_MAX_PAGE 20

struct workday_posting {
	char *external_id;    /* bulletFields[0] (the requisition id), else externalPath */
	char *title;
	char *external_path;
	char *locations_text; /* NULL when absent */
	char *posted_on;      /* NULL when absent */
	char *item_json;      /* the listing item as compact JSON */
};

struct workday_page {
	struct workday_posting *postings;
	size_t n;
	size_t items;         /* jobPostings entries, usable or not (for the short-page rule) */
	size_t skipped;       /* entries without a title or an externalPath */
	long total;           /* -1 when the page does not say */
};

/* The JSON body of a listing request (caller frees). */
char *workday_listing_body(long limit, long offset, const char *search_text);

/* Parses one listing page. Returns 0, or -1 with *error set (caller frees)
 * when text is not a listing (not JSON, no jobPostings array). Release the
 * page with workday_page_release either way. */
int workday_parse_listing(const char *text, size_t len, struct workday_page *page, char **error);
void workday_page_release(struct workday_page *page);

/* The listing and detail URLs (caller frees). Slashes where base_url, the
 * tenant path and the external path meet are normalised; an externalPath that
 * is already an absolute http(s) URL is used as it is. */
char *workday_listing_url(const char *base_url, const char *tenant_path);
char *workday_detail_url(const char *base_url, const char *tenant_path, const char *external_path);

/* The city and country in a locationsText such as "Berlin, Germany" or
 * "Mumbai - Nirlon Knowledge Park": *city is the first part, *country a
 * country named in it (from a short list of names), each NULL when not
 * derivable ("3 Locations" gives neither). New strings; caller frees. */
void workday_location(const char *locations_text, char **city, char **country);

#endif
