/* builtin.h: the actors written in C: check_description, save_summary,
 * save_skills, save_ihl, sql_query and fetch_jobs. */
#ifndef builtin_h
#define builtin_h

#include "workflow.h"

struct db;
struct task;

/* A built-in actor. Adding one is a function in builtin.c and a line in its
 * table. run is called inside the transaction that finishes the step, with the
 * step's input object; it is NULL for a built-in that does not run inline
 * (fetch_jobs runs in a process of its own and fans out: see fetch.h). */
struct builtin {
	const char *name;
	int (*run)(struct db *db, struct task *t, const cJSON *in);
	int runs_inline;
};

/* The known built-ins, ended by an entry with a NULL name. */
extern const struct builtin builtins[];

/* The built-in an actor runs: its config "builtin", else its name. Borrowed. */
const char *builtin_of(const struct wf_actor *a);
/* The built-in called name, or NULL. */
const struct builtin *builtin_find(const char *name);
/* 1 if name is a known built-in. */
int builtin_known(const char *name);
/* The known names, ", "-separated, into a new string; caller frees. */
char *builtin_list(void);

/* The executor of the built-ins that run inside the finishing transaction (all
 * but fetch_jobs, which runs in a process of its own: see fetch.h). */
struct executor *builtin_executor_new(void);

#endif
