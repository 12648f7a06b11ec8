/* Fuzz target: strict parsing with error positions, and finding JSON in a
 * model's free text (fences, prose, brackets). */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = NULL;
	cJSON *j = json_parse((const char *)data, size, &msg);
	cJSON_Delete(j);
	free(msg);
	char *text = xstrndup((const char *)data, size);
	j = json_from_text(text);
	if (j) {
		char *s = json_value_text(json_path(j, "a.0.b"));
		free(s);
	}
	cJSON_Delete(j);
	free(text);
	return 0;
}
