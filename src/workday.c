/* workday.c: requests to and answers from a Workday-style careers API (workday.h). */
#include "workday.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "json.h"
#include "util.h"

char *workday_listing_body(long limit, long offset, const char *search_text)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "appliedFacets", cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "offset", (double)offset);
	cJSON_AddStringToObject(o, "searchText", search_text ? search_text : "");
	char *s = json_print(o);
	cJSON_Delete(o);
	return s;
}

/* A string field as valid UTF-8 (cJSON passes invalid bytes through), or NULL
 * when absent, not a string, or empty. */
static char *field(const cJSON *item, const char *key)
{
	const char *s = json_str(item, key);
	if (!s || !*s)
		return NULL;
	return html_to_utf8(s, strlen(s), HTML_CS_UTF8);
}

int workday_parse_listing(const char *text, size_t len, struct workday_page *page, char **error)
{
	memset(page, 0, sizeof *page);
	page->total = -1;
	*error = NULL;
	char *msg = NULL;
	cJSON *root = json_parse(text, len, &msg);
	if (!root) {
		*error = xasprintf("the listing is not JSON: %s", msg ? msg : "unreadable");
		free(msg);
		return -1;
	}
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "jobPostings");
	if (!cJSON_IsArray(list)) {
		*error = xstrdup(cJSON_IsObject(root) ? "the listing has no jobPostings array"
						      : "the listing is not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(root, "total");
	if (cJSON_IsNumber(total) && total->valuedouble >= 0 && total->valuedouble < 1e12)
		page->total = (long)total->valuedouble;
	size_t n = (size_t)cJSON_GetArraySize(list);
	page->postings = xcalloc(n ? n : 1, sizeof *page->postings);
	const cJSON *item;
	cJSON_ArrayForEach(item, list) {
		page->items++;
		char *title = field(item, "title"), *path = field(item, "externalPath");
		if (!title || !path) {
			free(title);
			free(path);
			page->skipped++;
			continue;
		}
		struct workday_posting *p = &page->postings[page->n++];
		p->title = title;
		p->external_path = path;
		const cJSON *bullets = cJSON_GetObjectItemCaseSensitive(item, "bulletFields");
		const cJSON *first = cJSON_IsArray(bullets) ? cJSON_GetArrayItem(bullets, 0) : NULL;
		if (cJSON_IsString(first) && first->valuestring[0]) {
			char *id = html_to_utf8(first->valuestring, strlen(first->valuestring), HTML_CS_UTF8);
			p->external_id = str_trim(id);
			if (!*p->external_id) {
				free(p->external_id);
				p->external_id = NULL;
			}
		}
		if (!p->external_id)
			p->external_id = xstrdup(path);
		p->locations_text = field(item, "locationsText");
		p->posted_on = field(item, "postedOn");
		p->item_json = json_print(item);
	}
	cJSON_Delete(root);
	return 0;
}

void workday_page_release(struct workday_page *page)
{
	for (size_t i = 0; i < page->n; i++) {
		struct workday_posting *p = &page->postings[i];
		free(p->external_id);
		free(p->title);
		free(p->external_path);
		free(p->locations_text);
		free(p->posted_on);
		free(p->item_json);
	}
	free(page->postings);
	memset(page, 0, sizeof *page);
}

/* base_url without trailing slashes, tenant_path with one leading slash and
 * none trailing. */
static void norm(const char *base_url, const char *tenant_path, char **base, char **tenant)
{
	size_t bl = strlen(base_url);
	while (bl && base_url[bl - 1] == '/')
		bl--;
	*base = xstrndup(base_url, bl);
	while (*tenant_path == '/')
		tenant_path++;
	size_t tl = strlen(tenant_path);
	while (tl && tenant_path[tl - 1] == '/')
		tl--;
	*tenant = xasprintf("/%.*s", (int)tl, tenant_path);
}

char *workday_listing_url(const char *base_url, const char *tenant_path)
{
	char *base, *tenant;
	norm(base_url, tenant_path, &base, &tenant);
	char *url = xasprintf("%s%s/jobs", base, strcmp(tenant, "/") ? tenant : "");
	free(base);
	free(tenant);
	return url;
}

char *workday_detail_url(const char *base_url, const char *tenant_path, const char *external_path)
{
	if (str_starts_with_nocase(external_path, "http://") || str_starts_with_nocase(external_path, "https://"))
		return xstrdup(external_path);
	char *base, *tenant;
	norm(base_url, tenant_path, &base, &tenant);
	const char *site = strrchr(tenant, '/') + 1;
	char *url = xasprintf("%s%s%s%s%s", base, *site ? "/" : "", site, external_path[0] == '/' ? "" : "/",
			      external_path);
	free(base);
	free(tenant);
	return url;
}

/* Location ----------------------------------------------------------------- */

struct place {
	const char *name; /* lower case */
	const char *country;
};

/* Countries and the names job boards give them. */
static const struct place countries[] = {
	{ "germany", "Germany" },
	{ "deutschland", "Germany" },
	{ "india", "India" },
	{ "singapore", "Singapore" },
	{ "united kingdom", "United Kingdom" },
	{ "uk", "United Kingdom" },
	{ "great britain", "United Kingdom" },
	{ "england", "United Kingdom" },
	{ "united states", "United States" },
	{ "united states of america", "United States" },
	{ "usa", "United States" },
	{ "japan", "Japan" },
	{ "hong kong", "Hong Kong" },
	{ "china", "China" },
	{ "france", "France" },
	{ "spain", "Spain" },
	{ "italy", "Italy" },
	{ "netherlands", "Netherlands" },
	{ "belgium", "Belgium" },
	{ "luxembourg", "Luxembourg" },
	{ "switzerland", "Switzerland" },
	{ "austria", "Austria" },
	{ "ireland", "Ireland" },
	{ "poland", "Poland" },
	{ "romania", "Romania" },
	{ "bulgaria", "Bulgaria" },
	{ "czech republic", "Czech Republic" },
	{ "portugal", "Portugal" },
	{ "sweden", "Sweden" },
	{ "australia", "Australia" },
	{ "canada", "Canada" },
	{ "philippines", "Philippines" },
	{ "sri lanka", "Sri Lanka" },
	{ "taiwan", "Taiwan" },
	{ "south korea", "South Korea" },
	{ "united arab emirates", "United Arab Emirates" },
};

/* Cities that appear without their country in location texts. The original
 * looked them up in a table of world cities; a short list of the places
 * banks hire in covers the postings that matter, and a miss leaves the
 * country empty rather than wrong. */
static const struct place cities[] = {
	{ "berlin", "Germany" },
	{ "frankfurt", "Germany" },
	{ "frankfurt am main", "Germany" },
	{ "munich", "Germany" },
	{ "münchen", "Germany" },
	{ "hamburg", "Germany" },
	{ "cologne", "Germany" },
	{ "köln", "Germany" },
	{ "düsseldorf", "Germany" },
	{ "stuttgart", "Germany" },
	{ "eschborn", "Germany" },
	{ "bonn", "Germany" },
	{ "london", "United Kingdom" },
	{ "birmingham", "United Kingdom" },
	{ "new york", "United States" },
	{ "jacksonville", "United States" },
	{ "cary", "United States" },
	{ "chicago", "United States" },
	{ "mumbai", "India" },
	{ "pune", "India" },
	{ "bangalore", "India" },
	{ "bengaluru", "India" },
	{ "jaipur", "India" },
	{ "chennai", "India" },
	{ "tokyo", "Japan" },
	{ "shanghai", "China" },
	{ "beijing", "China" },
	{ "paris", "France" },
	{ "madrid", "Spain" },
	{ "milan", "Italy" },
	{ "amsterdam", "Netherlands" },
	{ "brussels", "Belgium" },
	{ "zurich", "Switzerland" },
	{ "zürich", "Switzerland" },
	{ "geneva", "Switzerland" },
	{ "vienna", "Austria" },
	{ "wien", "Austria" },
	{ "dublin", "Ireland" },
	{ "warsaw", "Poland" },
	{ "bucharest", "Romania" },
	{ "sofia", "Bulgaria" },
	{ "manila", "Philippines" },
	{ "sydney", "Australia" },
	{ "toronto", "Canada" },
	{ "dubai", "United Arab Emirates" },
};

/* ASCII case-insensitive equality of s[0..n) and a lower-case name (bytes
 * above ASCII compared as they are). */
static int same(const char *s, size_t n, const char *name)
{
	size_t i = 0;
	for (; i < n && name[i]; i++) {
		int a = (unsigned char)s[i], b = (unsigned char)name[i];
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (a != b)
			return 0;
	}
	return i == n && !name[i];
}

static const char *lookup(const struct place *t, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (same(s, len, t[i].name))
			return t[i].country;
	return NULL;
}

struct part {
	const char *s;
	size_t n;
};

/* Splits at ",", "/", ";" and " - " into trimmed, non-empty parts. */
static size_t split_parts(const char *text, struct part *parts, size_t max)
{
	size_t np = 0;
	const char *p = text;
	while (*p && np < max) {
		const char *e = p;
		while (*e && *e != ',' && *e != '/' && *e != ';' && strncmp(e, " - ", 3))
			e++;
		const char *a = p, *b = e;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a)
			parts[np++] = (struct part){ a, (size_t)(b - a) };
		p = !*e ? e : !strncmp(e, " - ", 3) ? e + 3 : e + 1;
	}
	return np;
}

void workday_location(const char *text, char **city, char **country)
{
	*city = *country = NULL;
	if (!text)
		return;
	/* "3 Locations": the posting is in several places and the text names none. */
	char *end;
	long count = strtol(text, &end, 10);
	if (end != text && count > 0 && (same(end, strlen(end), " locations") || same(end, strlen(end), " location")))
		return;
	struct part parts[16];
	size_t np = split_parts(text, parts, ARRAY_LEN(parts));
	if (!np)
		return;
	const char *found = NULL;
	size_t city_len = parts[0].n;
	for (size_t i = 0; i < np && !found; i++)
		found = lookup(countries, ARRAY_LEN(countries), parts[i].s, parts[i].n);
	/* "New York 1 Columbus Circle": a city in the part's first one, two or
	 * three words; in the first part, those words are the city. */
	for (size_t i = 0; i < np && !found; i++) {
		size_t words = 0;
		for (size_t k = 1; k <= parts[i].n && words < 3; k++) {
			if (k < parts[i].n && parts[i].s[k] != ' ')
				continue;
			words++;
			const char *c = lookup(cities, ARRAY_LEN(cities), parts[i].s, k);
			if (c) { /* the longest match: "Frankfurt am Main", not "Frankfurt" */
				found = c;
				if (i == 0)
					city_len = k;
			}
		}
	}
	/* The first part is the city unless it names a country ("Germany"). */
	if (!lookup(countries, ARRAY_LEN(countries), parts[0].s, parts[0].n))
		*city = xstrndup(parts[0].s, city_len);
	if (found)
		*country = xstrdup(found);
}
