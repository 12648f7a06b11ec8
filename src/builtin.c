/* builtin.c: the actors written in C. */
#include "builtin.h"

#include <string.h>

#include "json.h"

const char *const builtin_names[] = {
	"check_description", "save_summary", "save_skills", "save_ihl", "sql_query", "fetch_jobs", NULL,
};

const char *builtin_of(const struct wf_actor *a)
{
	const char *b = json_str(a->config, "builtin");
	return b ? b : a->name;
}

int builtin_known(const char *name)
{
	for (const char *const *n = builtin_names; *n; n++)
		if (!strcmp(*n, name))
			return 1;
	return 0;
}
