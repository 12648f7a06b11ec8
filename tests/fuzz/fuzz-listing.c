/* fuzz-listing: workday.c on arbitrary listing answers. Parsing never
 * crashes, every posting it returns has a title, a path and an id in valid
 * UTF-8, and the counts add up; locations and URLs are derived safely.
 * fuzz-sources: src/workday.c src/html.c src/json.c src/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "workday.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, int may_be_null)
{
	if (!s ? !may_be_null : !utf8_valid(s, strlen(s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct workday_page page;
	char *error = NULL;
	if (workday_parse_listing(text, strlen(text), &page, &error) == 0) {
		if (page.n + page.skipped != page.items)
			abort();
		for (size_t i = 0; i < page.n; i++) {
			const struct workday_posting *p = &page.postings[i];
			check(p->external_id, 0);
			check(p->title, 0);
			check(p->external_path, 0);
			check(p->locations_text, 1);
			check(p->posted_on, 1);
			char *city, *country;
			workday_location(p->locations_text, &city, &country);
			check(city, 1);
			check(country, 1);
			free(city);
			free(country);
			free(workday_detail_url("http://h", "/wday/cxs/a/Site", p->external_path));
		}
	} else if (!error) {
		abort();
	}
	free(error);
	workday_page_release(&page);
	free(text);
	return 0;
}
