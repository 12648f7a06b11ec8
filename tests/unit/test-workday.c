/* Unit tests of workday.c: the listing request and page, URLs, locations. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "workday.h"

static void location(const char *text, const char *city, const char *country)
{
	char *c, *k;
	workday_location(text, &c, &k);
	is_str(c, city, "city of '%s'", text ? text : "(null)");
	is_str(k, country, "country of '%s'", text ? text : "(null)");
	free(c);
	free(k);
}

int main(void)
{
	char *s = workday_listing_body(20, 40, "Data \"Engineer\"");
	is_str(s, "{\"appliedFacets\":{},\"limit\":20,\"offset\":40,\"searchText\":\"Data \\\"Engineer\\\"\"}",
	       "the listing request body");
	free(s);

	const char *page_json =
		"{\"total\": 57, \"jobPostings\": ["
		"{\"title\": \"Data Engineer\", \"externalPath\": \"/job/Berlin/Data-Engineer_R1\","
		" \"locationsText\": \"Berlin, Germany\", \"postedOn\": \"Posted Today\","
		" \"bulletFields\": [\"R1\", \"x\"]},"
		"{\"title\": \"No id\", \"externalPath\": \"/job/x/No-id\"},"
		"{\"title\": \"No path\"},"
		"{\"externalPath\": \"/job/no-title\"},"
		"{\"title\": \"Bad \xFF byte\", \"externalPath\": \"/job/y\", \"bulletFields\": [\"  \"]}"
		"], \"facets\": []}";
	struct workday_page page;
	char *error;
	is_int(workday_parse_listing(page_json, strlen(page_json), &page, &error), 0, "a listing page parses");
	is_int(page.total, 57, "total");
	is_int(page.items, 5, "every entry counts as an item");
	is_int(page.n, 3, "three usable postings");
	is_int(page.skipped, 2, "entries without a title or externalPath are skipped");
	is_str(page.postings[0].external_id, "R1", "the requisition id is bulletFields[0]");
	is_str(page.postings[0].locations_text, "Berlin, Germany", "locationsText");
	is_str(page.postings[0].posted_on, "Posted Today", "postedOn");
	ok(page.postings[0].item_json && strstr(page.postings[0].item_json, "\"bulletFields\":[\"R1\",\"x\"]"),
	   "the item is kept as JSON");
	is_str(page.postings[1].external_id, "/job/x/No-id", "without bulletFields the id is the externalPath");
	ok(page.postings[1].locations_text == NULL && page.postings[1].posted_on == NULL, "absent fields are NULL");
	is_str(page.postings[2].title, "Bad \xEF\xBF\xBD byte", "invalid UTF-8 in a title is replaced");
	is_str(page.postings[2].external_id, "/job/y", "a blank requisition id falls back to the externalPath");
	workday_page_release(&page);

	is_int(workday_parse_listing("{\"jobPostings\": []}", 19, &page, &error), 0, "an empty page parses");
	is_int(page.total, -1, "no total: -1");
	is_int(page.items, 0, "no items");
	workday_page_release(&page);

	is_int(workday_parse_listing("<html>busy</html>", 17, &page, &error), -1, "HTML is not a listing");
	ok(error && strstr(error, "not JSON"), "and says so: %s", error ? error : "");
	free(error);
	workday_page_release(&page);
	is_int(workday_parse_listing("{\"total\": 3}", 12, &page, &error), -1, "a listing needs jobPostings");
	ok(error && strstr(error, "jobPostings"), "and says so: %s", error ? error : "");
	free(error);
	workday_page_release(&page);

	is_str_free(workday_listing_url("http://127.0.0.1:8089/", "wday/cxs/example/Careers/"),
		    "http://127.0.0.1:8089/wday/cxs/example/Careers/jobs", "listing URL, slashes normalised");
	is_str_free(workday_detail_url("https://acme.wd3.myworkdayjobs.com", "/wday/cxs/acme/AcmeSite", "/job/Berlin/X_R1"),
		    "https://acme.wd3.myworkdayjobs.com/AcmeSite/job/Berlin/X_R1",
		    "detail URL: base, the tenant's last segment, the externalPath");
	is_str_free(workday_detail_url("http://h", "/wday/cxs/acme/Site", "job/no-slash"),
		    "http://h/Site/job/no-slash", "an externalPath without its leading slash");
	is_str_free(workday_detail_url("http://h", "/wday/cxs/acme/Site", "https://elsewhere/job/1"),
		    "https://elsewhere/job/1", "an absolute externalPath is used as it is");

	location("Berlin, Germany", "Berlin", "Germany");
	location("Mumbai - Nirlon Knowledge Park", "Mumbai", "India");
	location("New York 1 Columbus Circle", "New York", "United States");
	location("Frankfurt am Main", "Frankfurt am Main", "Germany");
	location("London, 21 Moorfields", "London", "United Kingdom");
	location("3 Locations", NULL, NULL);
	location("2 Locations", NULL, NULL);
	location("Germany", NULL, "Germany");
	location("Springfield", "Springfield", NULL);
	location("Zürich", "Zürich", "Switzerland");
	location(NULL, NULL, NULL);
	location(" , / ", NULL, NULL);
	return done_testing();
}
