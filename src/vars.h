/* vars.h: the variables a template can use, and how each is found at run time.
 *
 *   posting columns   {job_title}, {job_description}, ... (NULL is empty);
 *                     {variations_param_1..3} are job_description, job_title,
 *                     location_city, as in turing
 *   step outputs      {conversation_N_output}: the output of conversation N that
 *                     most recently preceded this step in the same run (the
 *                     response text of a model, the JSON of a script or built-in);
 *                     {conversation_N_output.field} reads a field of its JSON
 *   {parent_response} the output of the step that created this one
 *   run parameters    declared by the workflow, set with start --param
 *   {workflow_run_id}, {workflow_id}
 */
#ifndef vars_h
#define vars_h

#include "template.h"

struct db;

/* The column an alias or column name stands for, or NULL if name is neither
 * (the columns: those of POSTING_COLUMNS in db-postings.h with var set). */
const char *vars_posting_column(const char *name);
/* If var is "conversation_N_output", stores N and returns 1; else 0. */
int vars_output_conv(const char *var, long *conv);
/* 1 for the run's own context variables (workflow_run_id, workflow_id). */
int vars_is_context(const char *var);

/* What a template is rendered against when an interaction is created. */
struct vars_env {
	struct db *db;
	long run_id;
	long workflow_id;
	long posting_id;        /* 0: the run has no posting */
	const long *parents;    /* the interactions that created this one */
	size_t nparents;
	const char *params;     /* the run's parameters, a JSON object */
};

/* The template lookup callback for env (see template.h). */
enum tpl_lookup vars_lookup(void *env, const char *name, char **value, char **why);

#endif
