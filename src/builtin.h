/* builtin.h: the actors written in C: check_description, save_summary,
 * save_skills, save_ihl, sql_query and fetch_jobs. */
#ifndef builtin_h
#define builtin_h

#include "workflow.h"

/* Known built-in actors, NULL-terminated. */
extern const char *const builtin_names[];

/* The built-in an actor runs: its config "builtin", else its name. Borrowed. */
const char *builtin_of(const struct wf_actor *a);
/* 1 if name is a known built-in. */
int builtin_known(const char *name);

/* The executor of the built-ins that run inside the finishing transaction (all
 * but fetch_jobs, which runs in a process of its own: see fetch.h). */
struct executor *builtin_executor_new(void);

#endif
