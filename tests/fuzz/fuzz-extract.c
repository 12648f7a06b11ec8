/* Fuzz target: skills and IHL scores out of model answers. */
#include <stdint.h>
#include <stdlib.h>

#include "extract.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	cJSON *skills;
	char *why, *verdict;
	int score, derived;
	if (extract_skills(text, &skills, &why) == 0)
		cJSON_Delete(skills);
	free(why);
	if (extract_ihl(text, &score, &verdict, &derived, &why) == 0)
		free(verdict);
	free(why);
	free(text);
	return 0;
}
