/* workflow.h: a workflow definition in memory (its actors, conversations,
 * instructions and rules), read from and written to the JSON file format of
 * man/waverunner-workflow.5. Loading into and reading from the database is in
 * db-defs.c; checking it is validate.c. */
#ifndef workflow_h
#define workflow_h

#include <cJSON.h>

struct wf_rule {
	long id;              /* instruction_step_id; 0 until stored */
	char *name;           /* instruction_step_name */
	char *condition;      /* branch_condition */
	long next;            /* next_conversation_id; 0 = END */
	int priority;         /* branch_priority; higher first */
	int max_iterations;   /* how often it may fire in one run; 0 = no bound */
	char *description;
	int enabled;
	int seq;              /* position among the conversation's rules in the file */
};

struct wf_conv {
	long id;                 /* conversation_id */
	char *name;
	char *canonical_name;
	char *description;
	char *actor;             /* actor_name */
	int order;               /* execution_order in this workflow */
	int timeout_seconds;
	int max_attempts;
	int terminal;            /* ends its path by design */
	int enabled;
	int parallel_group;      /* 0 = none */
	int wait_for_group;      /* fan-in: starts once the whole group has finished */
	int has_instruction;
	long instruction_id;     /* 0 until stored */
	char *instruction_name;
	char *template;          /* prompt_template */
	char *system_prompt;     /* NULL = none */
	struct wf_rule *rules;
	size_t nrules;
};

/* What runs an actor; parsed once from its type string (actor_kind_parse). */
enum actor_kind { ACTOR_UNKNOWN = 0, ACTOR_AI_MODEL, ACTOR_SCRIPT, ACTOR_BUILTIN };

struct wf_actor {
	long id;
	char *name;
	char *type;              /* ai_model | script | builtin, as stored */
	enum actor_kind kind;    /* type, parsed */
	cJSON *config;           /* execution_config; an object, owned */
	char *script;            /* script_file_path */
	int enabled;
};

struct workflow {
	long id;
	char *name;
	char *description;
	int version;
	int enabled;
	cJSON *parameters;       /* object: name -> default; owned */
	char *source_dir;        /* directory of the file it came from, or NULL */
	struct wf_actor *actors;
	size_t nactors;
	struct wf_conv *convs;
	size_t nconvs;
};

/* Builds wf from a parsed workflow file. origin names the file in messages.
 * Checks the shape (types, required and unknown keys, duplicate ids) and returns
 * E_OK, or E_INPUT with a message naming the file and the element. On failure wf
 * is released. */
int workflow_from_json(const cJSON *root, const char *origin, struct workflow *wf);
/* The file form of wf (a new root; caller deletes). */
cJSON *workflow_to_json(const struct workflow *wf);
/* Reads and parses a workflow file. */
int workflow_read_file(const char *path, struct workflow *wf);
void workflow_release(struct workflow *wf);

/* Lookups; NULL when absent. */
struct wf_conv *workflow_conv(const struct workflow *wf, long id);
struct wf_actor *workflow_actor(const struct workflow *wf, const char *name);
/* Sorts conversations by execution order (then id); rules by priority, then id. */
void workflow_sort(struct workflow *wf);
/* "conversation 3337 'Grade summary'" into a new string; caller frees. */
char *workflow_conv_label(const struct wf_conv *c);

/* Entry points: the first step, and the first step that works on a posting
 * (the first that is not a global step such as the fetch). NULL if none. */
const struct wf_conv *workflow_first_step(const struct workflow *wf);
const struct wf_conv *workflow_posting_entry(const struct workflow *wf);
/* 1 if c runs once per workflow rather than per posting (it fetches postings:
 * its actor fans out, or is a built-in that does not run inline). */
int workflow_step_is_global(const struct workflow *wf, const struct wf_conv *c);

/* The kind named by an actor type ("ai_model", "script", "builtin"), else
 * ACTOR_UNKNOWN; the only place an actor type is compared as a string. */
enum actor_kind actor_kind_parse(const char *type);

/* The model an ai_model actor calls: config "model", else its name. Borrowed. */
const char *wf_actor_model(const struct wf_actor *a);

#endif
