/* Unit tests of llm_addresses (llm.c): the servers of a pool, as a
 * "base_url" setting or an environment variable lists them. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "llm.h"
#include "tap.h"

/* The list as one string, "|" between entries ("" for none). */
static const char *joined(const cJSON *setting, const char *env)
{
	static char out[512];
	size_t n;
	char **list = llm_addresses(setting, env, &n);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, list[i]);
		free(list[i]);
	}
	free(list);
	return out;
}

int main(void)
{
	cJSON *doc = cJSON_Parse("{\"one\": \"http://a:1\", \"two\": \" http://a:1 , http://b:2/v1 \","
				 "\"empty\": \"\", \"gaps\": \",http://a:1,, ,http://b:2,\","
				 "\"array\": [\"http://a:1\", \"http://b:2, http://c:3\", 7, \"\"],"
				 "\"none\": [], \"number\": 5}");
	is_str(joined(NULL, NULL), "", "nothing set: no address");
	is_str(joined(NULL, ""), "", "an empty variable: no address");
	is_str(joined(NULL, "http://e:9"), "http://e:9", "the variable when the setting is absent");
	is_str(joined(NULL, "http://e:9,http://f:8"), "http://e:9|http://f:8", "a list in the variable");
	is_str(joined(cJSON_GetObjectItem(doc, "one"), "http://e:9"), "http://a:1", "the setting wins over the variable");
	is_str(joined(cJSON_GetObjectItem(doc, "two"), NULL), "http://a:1|http://b:2/v1",
	       "a comma-separated setting, trimmed of spaces");
	is_str(joined(cJSON_GetObjectItem(doc, "empty"), "http://e:9"), "http://e:9",
	       "an empty setting is as if absent");
	is_str(joined(cJSON_GetObjectItem(doc, "gaps"), NULL), "http://a:1|http://b:2",
	       "empty entries and a trailing comma are skipped");
	is_str(joined(cJSON_GetObjectItem(doc, "array"), NULL), "http://a:1|http://b:2|http://c:3",
	       "an array of addresses (an entry may list several; others are ignored)");
	is_str(joined(cJSON_GetObjectItem(doc, "none"), "http://e:9"), "http://e:9", "an empty array is as if absent");
	is_str(joined(cJSON_GetObjectItem(doc, "number"), "http://e:9"), "http://e:9",
	       "a setting of another type is as if absent (validate refuses it)");
	is_str(joined(NULL, ",,, ,"), "", "only commas: no address");
	cJSON_Delete(doc);
	return done_testing();
}
