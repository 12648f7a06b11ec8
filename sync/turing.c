/* turing.c: translating turing's definitions (see turing.h). */
#include "turing.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "vars.h"

static int ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of a turing placeholder {identifier} at p, or 0. */
static size_t turing_placeholder(const char *p)
{
	if (p[0] != '{' || !ident_start(p[1]))
		return 0;
	size_t i = 2;
	while (ident_char(p[i]))
		i++;
	return p[i] == '}' ? i + 1 : 0;
}

/* 1 if this project's syntax reads a placeholder at p: {name(.field)*(|...)*}. */
static int local_placeholder(const char *p)
{
	const char *q = p + 1;
	for (;;) {
		if (!ident_start(*q))
			return 0;
		while (ident_char(*q))
			q++;
		while (*q == '.') {
			q++;
			if (!ident_char(*q))
				return 0;
			while (ident_char(*q))
				q++;
		}
		if (*q == '|') {
			q++;
			continue;
		}
		return *q == '}';
	}
}

char *turing_template(const char *tpl)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "");
	for (const char *p = tpl; *p;) {
		size_t len = turing_placeholder(p);
		if (len) {
			buf_add(&b, p, len);
			p += len;
			continue;
		}
		/* A literal brace stays single unless the renderer would pair it with
		 * the next character or take it for a placeholder. */
		if (*p == '{' && (p[1] == '{' || local_placeholder(p)))
			buf_puts(&b, "{{");
		else if (*p == '}' && p[1] == '}')
			buf_puts(&b, "}}");
		else
			buf_putc(&b, *p);
		p++;
	}
	return buf_detach(&b);
}

const char *turing_builtin(const char *actor_name, long conv_id, const char *canonical, int *per_conversation)
{
	static const struct {
		const char *actor;
		const char *builtin;
	} by_name[] = {
		{ "summary_saver", "save_summary" },
		{ "posting_skills_saver", "save_skills" },
		{ "postingskill_save", "save_skills" },
		{ "ihl_score_saver", "save_ihl" },
		{ "ihl_score_saver_v2", "save_ihl" },
		{ "db_job_fetcher", "fetch_jobs" },
		{ "check_description", "check_description" },
	};
	*per_conversation = 0;
	for (size_t i = 0; i < ARRAY_LEN(by_name); i++)
		if (!strcmp(actor_name, by_name[i].actor))
			return by_name[i].builtin;
	/* turing's description check is an SQL query on the generic executor,
	 * which its other conversations use for other queries. */
	if (!strcmp(actor_name, "sql_query_executor") &&
	    (conv_id == 9193 || (canonical && !strcmp(canonical, "check_description")))) {
		*per_conversation = 1;
		return "check_description";
	}
	return NULL;
}

/* The first {conversation_N_output} in tpl whose N is a step of wf, or 0. */
static long named_source(const char *tpl, const struct workflow *wf)
{
	for (const char *p = tpl ? strchr(tpl, '{') : NULL; p; p = strchr(p + 1, '{')) {
		size_t len = turing_placeholder(p);
		if (!len)
			continue;
		char *name = xstrndup(p + 1, len - 2);
		long conv = 0;
		int ok = vars_output_conv(name, &conv) && workflow_conv(wf, conv);
		free(name);
		if (ok)
			return conv;
	}
	return 0;
}

char *turing_builtin_template(const char *builtin, const char *tpl, const struct workflow *wf)
{
	static const struct {
		const char *builtin;
		const char *key;
		long usual[2]; /* what turing's saver read, in order of preference */
	} savers[] = {
		{ "save_summary", "summary", { 3341, 0 } },
		{ "save_skills", "skills", { 9121, 3350 } },
		{ "save_ihl", "answer", { 9163, 0 } },
	};
	if (!strcmp(builtin, "check_description"))
		return xstrdup("{\"description\": \"{job_description}\"}");
	for (size_t i = 0; i < ARRAY_LEN(savers); i++) {
		if (strcmp(builtin, savers[i].builtin))
			continue;
		long conv = named_source(tpl, wf);
		for (size_t k = 0; !conv && k < 2; k++)
			if (savers[i].usual[k] && workflow_conv(wf, savers[i].usual[k]))
				conv = savers[i].usual[k];
		return conv ? xasprintf("{\"%s\": \"{conversation_%ld_output}\"}", savers[i].key, conv)
			    : xasprintf("{\"%s\": \"{parent_response}\"}", savers[i].key);
	}
	/* fetch_jobs and anything else: the template as turing had it, when it is
	 * a JSON object; else an empty input. */
	cJSON *doc = tpl ? json_parse(tpl, strlen(tpl), NULL) : NULL;
	int object = cJSON_IsObject(doc);
	cJSON_Delete(doc);
	return object ? turing_template(tpl) : xstrdup("{}");
}

cJSON *turing_model_config(const char *execution_config, char **dropped)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *in = execution_config ? json_parse(execution_config, strlen(execution_config), NULL) : NULL;
	struct buf b = BUF_INIT;
	const cJSON *it;
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		in = NULL;
	}
	cJSON_ArrayForEach(it, in) {
		if ((!strcmp(it->string, "temperature") || !strcmp(it->string, "seed")) && cJSON_IsNumber(it))
			cJSON_AddItemToObject(out, it->string, cJSON_Duplicate(it, 1));
		else
			buf_printf(&b, "%s%s", b.len ? ", " : "", it->string);
	}
	cJSON_Delete(in);
	*dropped = b.len ? buf_detach(&b) : NULL;
	buf_release(&b);
	return out;
}
