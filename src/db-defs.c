/* db-defs.c: workflow definitions to and from the database. */
#include "db-defs.h"

#include <stdlib.h>
#include <string.h>

#include "dbint.h"
#include "err.h"
#include "json.h"
#include "util.h"

static void read_actor(sqlite3_stmt *st, void *item, size_t i)
{
	struct wf_actor *a = item;
	db_columns(st, "LTT-Ti", &a->id, &a->name, &a->type, &a->script, &a->enabled);
	a->kind = actor_kind_parse(a->type);
	a->config = cJSON_Parse(db_col_str(st, 3));
	if (!cJSON_IsObject(a->config)) {
		cJSON_Delete(a->config);
		a->config = cJSON_CreateObject();
	}
	(void)i;
}

int db_workflow_complete_actors(struct db *db, struct workflow *wf)
{
	static const char SQL[] =
		"SELECT actor_id, actor_name, actor_type, execution_config, script_file_path, enabled "
		"FROM actors WHERE actor_name = ?1";
	for (size_t i = 0; i < wf->nconvs; i++) {
		const char *name = wf->convs[i].actor;
		if (workflow_actor(wf, name))
			continue;
		if (db_read_rows(db, SQL, &wf->actors, &wf->nactors, sizeof *wf->actors, read_actor, "T", name))
			return E_DB;
	}
	return E_OK;
}

static int store_actor(struct db *db, const struct wf_actor *a)
{
	static const char OWNER[] = "SELECT actor_id FROM actors WHERE actor_name = ?1";
	static const char UPSERT[] =
		"INSERT INTO actors (actor_id, actor_name, actor_type, execution_config, script_file_path, enabled) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (actor_id) DO UPDATE SET actor_name = excluded.actor_name, "
		"actor_type = excluded.actor_type, execution_config = excluded.execution_config, "
		"script_file_path = excluded.script_file_path, enabled = excluded.enabled";
	long owner;
	int rc = db_get(db, OWNER, "T", "L", a->name, &owner);
	if (rc < 0)
		return E_DB;
	if (rc == SQLITE_ROW && owner != a->id)
		return err_set(E_INPUT, "actor %ld '%s': the name already belongs to actor %ld", a->id, a->name,
			       owner);
	char *config = json_print(a->config);
	rc = db_do(db, UPSERT, "LTTTTi", a->id, a->name, a->type, config, a->script, a->enabled);
	free(config);
	return rc ? err_wrap(E_DB, "storing actor %ld '%s'", a->id, a->name) : E_OK;
}

static int actor_id_of(struct db *db, const struct workflow *wf, const char *name, long *id)
{
	static const char SQL[] = "SELECT actor_id FROM actors WHERE actor_name = ?1";
	const struct wf_actor *a = workflow_actor(wf, name);
	if (a) {
		*id = a->id;
		return E_OK;
	}
	int rc = db_get(db, SQL, "T", "L", name, id);
	if (rc < 0)
		return E_DB;
	return rc == SQLITE_ROW ? E_OK : err_set(E_INPUT, "actor '%s' does not exist", name);
}

static int store_rules(struct db *db, struct wf_conv *c)
{
	static const char LIST[] = "SELECT instruction_step_id FROM instruction_steps WHERE instruction_id = ?1";
	static const char DELETE[] = "DELETE FROM instruction_steps WHERE instruction_step_id = ?1";
	static const char UPSERT[] =
		"INSERT INTO instruction_steps (instruction_step_id, instruction_step_name, instruction_id, "
		"branch_condition, next_conversation_id, branch_priority, max_iterations, branch_description, "
		"enabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT (instruction_step_id) DO UPDATE SET instruction_step_name = excluded.instruction_step_name, "
		"instruction_id = excluded.instruction_id, branch_condition = excluded.branch_condition, "
		"next_conversation_id = excluded.next_conversation_id, branch_priority = excluded.branch_priority, "
		"max_iterations = excluded.max_iterations, branch_description = excluded.branch_description, "
		"enabled = excluded.enabled";
	/* Drop the stored rules the file no longer has (rules without an id in the
	 * file are always new, so the old copies go). */
	long *stored = NULL;
	size_t nstored = 0;
	int rc = db_ids(db, LIST, &stored, &nstored, "L", c->instruction_id);
	for (size_t i = 0; !rc && i < nstored; i++) {
		int keep = 0;
		for (size_t r = 0; r < c->nrules; r++)
			if (c->rules[r].id == stored[i])
				keep = 1;
		if (!keep)
			rc = db_do(db, DELETE, "L", stored[i]);
	}
	free(stored);
	for (size_t r = 0; !rc && r < c->nrules; r++) {
		struct wf_rule *ru = &c->rules[r];
		char *name = ru->name ? xstrdup(ru->name)
				      : xasprintf("%ld %s -> %s", c->id, ru->condition,
						  ru->next ? "next" : "END");
		rc = db_do(db, UPSERT, "lTLTlilTi", ru->id, name, c->instruction_id, ru->condition, ru->next,
			   ru->priority, (long)ru->max_iterations, ru->description, ru->enabled);
		if (rc)
			rc = err_wrap(E_INPUT, "conversation %ld: storing rule '%s'", c->id, ru->condition);
		else if (!ru->id)
			ru->id = (long)sqlite3_last_insert_rowid(db->sql);
		free(name);
	}
	return rc;
}

/* Stores c and its membership of wf; only the membership when keep (c is
 * another workflow's too, stored as defined here). */
static int store_conv(struct db *db, const struct workflow *wf, struct wf_conv *c, int keep)
{
	static const char UPSERT[] =
		"INSERT INTO conversations (conversation_id, conversation_name, canonical_name, "
		"conversation_description, actor_id, timeout_seconds, max_attempts, is_terminal, enabled) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT (conversation_id) DO UPDATE SET conversation_name = excluded.conversation_name, "
		"canonical_name = excluded.canonical_name, conversation_description = excluded.conversation_description, "
		"actor_id = excluded.actor_id, timeout_seconds = excluded.timeout_seconds, "
		"max_attempts = excluded.max_attempts, is_terminal = excluded.is_terminal, enabled = excluded.enabled";
	static const char MEMBER[] =
		"INSERT INTO workflow_conversations (workflow_id, conversation_id, execution_order, "
		"parallel_group, wait_for_group, enabled) VALUES (?1, ?2, ?3, ?4, ?5, 1)";
	long actor_id = 0;
	int rc = actor_id_of(db, wf, c->actor, &actor_id);
	if (rc)
		return err_wrap(rc, "conversation %ld '%s'", c->id, c->name);
	if (!keep && db_do(db, UPSERT, "LTTTLiiii", c->id, c->name, c->canonical_name, c->description, actor_id,
			   c->timeout_seconds, c->max_attempts, c->terminal, c->enabled))
		return err_wrap(E_DB, "storing conversation %ld", c->id);
	if (db_do(db, MEMBER, "LLili", wf->id, c->id, c->order, (long)c->parallel_group, c->wait_for_group))
		return err_wrap(E_DB, "storing conversation %ld in workflow %ld", c->id, wf->id);
	return E_OK;
}

static int store_instruction(struct db *db, struct wf_conv *c)
{
	static const char FIND[] = "SELECT instruction_id FROM instructions WHERE conversation_id = ?1";
	static const char DROP[] = "DELETE FROM instructions WHERE conversation_id = ?1";
	static const char DROP_ID[] = "DELETE FROM instructions WHERE instruction_id = ?1 AND conversation_id <> ?2";
	static const char UPSERT[] =
		"INSERT INTO instructions (instruction_id, conversation_id, instruction_name, step_number, "
		"prompt_template, system_prompt, enabled) VALUES (?1, ?2, ?3, 1, ?4, ?5, 1) "
		"ON CONFLICT (conversation_id) DO UPDATE SET instruction_name = excluded.instruction_name, "
		"prompt_template = excluded.prompt_template, system_prompt = excluded.system_prompt";
	int rc;
	if (!c->has_instruction)
		return db_do(db, DROP, "L", c->id);
	long existing = 0;
	if (db_get(db, FIND, "L", "L", c->id, &existing) < 0)
		return E_DB;
	if (existing && c->instruction_id && existing != c->instruction_id) {
		/* The file gives the instruction another id: replace the row. */
		if ((rc = db_do(db, DROP, "L", c->id)))
			return rc;
		existing = 0;
	}
	if (!c->instruction_id)
		c->instruction_id = existing;
	/* An id the file moves here from another conversation. */
	if (c->instruction_id && (rc = db_do(db, DROP_ID, "LL", c->instruction_id, c->id)))
		return rc;
	char *name = c->instruction_name ? xstrdup(c->instruction_name) : xstrdup(c->name);
	rc = db_do(db, UPSERT, "lLTTT", c->instruction_id, c->id, name, c->template, c->system_prompt);
	free(name);
	if (rc)
		return err_wrap(E_DB, "storing the instruction of conversation %ld", c->id);
	if (!c->instruction_id && db_get(db, FIND, "L", "L", c->id, &c->instruction_id) < 0)
		return E_DB;
	return store_rules(db, c);
}

/* ---- clashes with other workflows ---- */

void defs_clashes_release(struct defs_clashes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].message);
		free(c->items[i].others);
	}
	free(c->items);
	memset(c, 0, sizeof *c);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Steps st, whose rows are (workflow_id, workflow_name[, conversation_id,
 * conversation_name]), collecting the distinct workflows into *ids and naming
 * the first in *label ("workflow 3001 'Name' (conversation 3338 'Grade')", with
 * "and N more"; NULL when there are none). E_OK or E_DB. */
static int collect_others(struct db *db, sqlite3_stmt *st, long **ids, size_t *n, char **label)
{
	int rc;
	*ids = NULL;
	*n = 0;
	*label = NULL;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		long id = (long)sqlite3_column_int64(st, 0);
		if (*n && (*ids)[*n - 1] == id)
			continue;
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = id;
		if (*label)
			continue;
		if (sqlite3_column_count(st) > 2)
			*label = xasprintf("workflow %ld '%s' (conversation %ld '%s')", id, db_col_str(st, 1),
					   (long)sqlite3_column_int64(st, 2), db_col_str(st, 3));
		else
			*label = xasprintf("workflow %ld '%s'", id, db_col_str(st, 1));
	}
	sqlite3_reset(st);
	if (rc < 0) {
		free(*ids);
		free(*label);
		*ids = NULL;
		*label = NULL;
		return E_DB;
	}
	if (*n > 1) {
		char *more = xasprintf("%s and %zu more", *label, *n - 1);
		free(*label);
		*label = more;
	}
	return E_OK;
}

/* The workflows other than wf_id that conversation conv is part of. */
static int conv_others(struct db *db, long conv, long wf_id, long **ids, size_t *n, char **label)
{
	static const char SQL[] =
		"SELECT wc.workflow_id, w.workflow_name FROM workflow_conversations wc "
		"JOIN workflows w ON w.workflow_id = wc.workflow_id "
		"WHERE wc.conversation_id = ?1 AND wc.workflow_id <> ?2 ORDER BY wc.workflow_id";
	sqlite3_stmt *st = db_bound(db, SQL, "LL", conv, wf_id);
	return st ? collect_others(db, st, ids, n, label) : E_DB;
}

static void add_clash(struct defs_clashes *out, long *others, size_t nothers, char *message)
{
	out->items = xreallocarray(out->items, out->n + 1, sizeof *out->items);
	out->items[out->n++] = (struct defs_clash){ message, others, nothers };
}

static void differs(struct buf *b, const char *what)
{
	buf_printf(b, "%s%s", b->len ? ", " : "", what);
}

/* An actor of wf stored with another definition, used by another workflow. */
static int actor_clash(struct db *db, const struct workflow *wf, const struct wf_actor *a,
		       struct defs_clashes *out)
{
	static const char ROW[] =
		"SELECT actor_name, actor_type, execution_config, script_file_path, enabled FROM actors "
		"WHERE actor_id = ?1";
	static const char USERS[] =
		"SELECT wc.workflow_id, w.workflow_name, c.conversation_id, c.conversation_name "
		"FROM conversations c JOIN workflow_conversations wc ON wc.conversation_id = c.conversation_id "
		"JOIN workflows w ON w.workflow_id = wc.workflow_id "
		"WHERE c.actor_id = ?1 AND wc.workflow_id <> ?2 ORDER BY wc.workflow_id, c.conversation_id";
	sqlite3_stmt *st;
	int rc = db_first(db, &st, ROW, "L", a->id);
	if (rc != SQLITE_ROW)
		return rc < 0 ? E_DB : E_OK;
	struct buf diff = BUF_INIT;
	if (strcmp(a->name, db_col_str(st, 0)))
		buf_printf(&diff, "name '%s', stored as '%s'", a->name, db_col_str(st, 0));
	if (strcmp(a->type, db_col_str(st, 1))) {
		char *t = xasprintf("type %s, stored as %s", a->type, db_col_str(st, 1));
		differs(&diff, t);
		free(t);
	}
	cJSON *config = cJSON_Parse(db_col_str(st, 2));
	if (!cJSON_Compare(a->config, config, 1)) {
		char *mine = json_print(a->config);
		char *t = xasprintf("execution_config %s, stored as %s", mine, db_col_str(st, 2));
		differs(&diff, t);
		free(t);
		free(mine);
	}
	cJSON_Delete(config);
	if (!same_str(a->script, db_col_is_null(st, 3) ? NULL : db_col_str(st, 3)))
		differs(&diff, "script_file_path");
	if (a->enabled != sqlite3_column_int(st, 4))
		differs(&diff, "enabled");
	sqlite3_reset(st);
	if (!diff.len)
		return E_OK;
	long *others;
	size_t n;
	char *label;
	if (!(st = db_bound(db, USERS, "LL", a->id, wf->id))) {
		buf_release(&diff);
		return E_DB;
	}
	rc = collect_others(db, st, &others, &n, &label);
	if (!rc && n)
		add_clash(out, others, n, xasprintf("actor %ld '%s' is used by %s; workflow %ld defines it "
						    "differently: %s", a->id, a->name, label, wf->id, buf_str(&diff)));
	else
		free(others);
	free(label);
	buf_release(&diff);
	return rc;
}

/* Whether the rules stored for instruction iid are c's (rules without an id
 * in the file match by content). */
static int same_rules(struct db *db, long iid, const struct wf_conv *c, int *same)
{
	static const char SQL[] =
		"SELECT instruction_step_id, branch_condition, next_conversation_id, branch_priority, "
		"max_iterations, enabled, branch_description, instruction_step_name "
		"FROM instruction_steps WHERE instruction_id = ?1";
	sqlite3_stmt *st = db_bound(db, SQL, "L", iid);
	if (!st)
		return E_DB;
	char *used = xcalloc(c->nrules + 1, 1);
	size_t stored = 0;
	int rc;
	*same = 1;
	while ((rc = db_step(db, st)) == SQLITE_ROW) {
		stored++;
		size_t r;
		for (r = 0; r < c->nrules; r++) {
			const struct wf_rule *ru = &c->rules[r];
			if (!used[r] && (!ru->id || ru->id == (long)sqlite3_column_int64(st, 0)) &&
			    !strcmp(ru->condition, db_col_str(st, 1)) && ru->next == (long)sqlite3_column_int64(st, 2) &&
			    ru->priority == sqlite3_column_int(st, 3) && ru->max_iterations == sqlite3_column_int(st, 4) &&
			    ru->enabled == sqlite3_column_int(st, 5) &&
			    same_str(ru->description, db_col_is_null(st, 6) ? NULL : db_col_str(st, 6)) &&
			    (!ru->name || !strcmp(ru->name, db_col_str(st, 7))))
				break;
		}
		if (r == c->nrules)
			*same = 0;
		else
			used[r] = 1;
	}
	sqlite3_reset(st);
	free(used);
	if (stored != c->nrules)
		*same = 0;
	return rc < 0 ? E_DB : E_OK;
}

/* What differs between conversation c and its stored definition, in words
 * (*diff new, NULL when the same or not stored). */
static int conv_diff(struct db *db, const struct wf_conv *c, char **diff)
{
	static const char SQL[] =
		"SELECT c.conversation_name, c.canonical_name, c.conversation_description, a.actor_name, "
		"c.timeout_seconds, c.max_attempts, c.is_terminal, c.enabled, i.instruction_id, i.prompt_template, "
		"i.system_prompt FROM conversations c JOIN actors a ON a.actor_id = c.actor_id "
		"LEFT JOIN instructions i ON i.conversation_id = c.conversation_id WHERE c.conversation_id = ?1";
	*diff = NULL;
	sqlite3_stmt *st;
	int rc = db_first(db, &st, SQL, "L", c->id);
	if (rc != SQLITE_ROW)
		return rc < 0 ? E_DB : E_OK;
#define OPT(col) (db_col_is_null(st, col) ? NULL : db_col_str(st, col))
	struct buf b = BUF_INIT;
	if (strcmp(c->name, db_col_str(st, 0)))
		differs(&b, "name");
	if (!same_str(c->canonical_name, OPT(1)))
		differs(&b, "canonical_name");
	if (!same_str(c->description, OPT(2)))
		differs(&b, "description");
	if (strcmp(c->actor, db_col_str(st, 3))) {
		char *t = xasprintf("actor '%s', stored as '%s'", c->actor, db_col_str(st, 3));
		differs(&b, t);
		free(t);
	}
	if (c->timeout_seconds != sqlite3_column_int(st, 4))
		differs(&b, "timeout_seconds");
	if (c->max_attempts != sqlite3_column_int(st, 5))
		differs(&b, "max_attempts");
	if (c->terminal != sqlite3_column_int(st, 6))
		differs(&b, "terminal");
	if (c->enabled != sqlite3_column_int(st, 7))
		differs(&b, "enabled");
	long iid = db_col_is_null(st, 8) ? 0 : (long)sqlite3_column_int64(st, 8);
	if (c->has_instruction != (iid != 0)) {
		differs(&b, "instruction");
	} else if (iid) {
		if (c->instruction_id && c->instruction_id != iid)
			differs(&b, "instruction_id");
		if (!same_str(c->template, OPT(9)))
			differs(&b, "template");
		if (!same_str(c->system_prompt, OPT(10)))
			differs(&b, "system prompt");
	}
#undef OPT
	sqlite3_reset(st);
	int same = 1;
	rc = iid ? same_rules(db, iid, c, &same) : E_OK;
	if (!same)
		differs(&b, "rules");
	if (rc || !b.len)
		buf_release(&b);
	else
		*diff = buf_detach(&b);
	return rc;
}

/* An id of c (its instruction's, or a rule's) that another workflow's
 * conversation holds. SQL selects the conversation that holds the id. */
static int id_clash(struct db *db, const struct workflow *wf, const struct wf_conv *c, const char *sql,
		    const char *what, long id, struct defs_clashes *out)
{
	long owner = 0;
	int rc;
	if (db_get(db, sql, "L", "L", id, &owner) < 0)
		return E_DB;
	if (!owner || owner == c->id)
		return E_OK;
	long *others;
	size_t n;
	char *label;
	if ((rc = conv_others(db, owner, wf->id, &others, &n, &label)))
		return rc;
	if (n)
		add_clash(out, others, n, xasprintf("%s %ld of conversation %ld '%s' in workflow %ld belongs to "
						    "conversation %ld of %s", what, id, c->id, c->name, wf->id,
						    owner, label));
	else
		free(others);
	free(label);
	return E_OK;
}

int db_workflow_clashes(struct db *db, const struct workflow *wf, struct defs_clashes *out)
{
	static const char INSTRUCTION[] = "SELECT conversation_id FROM instructions WHERE instruction_id = ?1";
	static const char RULE[] =
		"SELECT i.conversation_id FROM instruction_steps s JOIN instructions i "
		"ON i.instruction_id = s.instruction_id WHERE s.instruction_step_id = ?1";
	int rc = E_OK;
	for (size_t i = 0; !rc && i < wf->nactors; i++)
		rc = actor_clash(db, wf, &wf->actors[i], out);
	for (size_t i = 0; !rc && i < wf->nconvs; i++) {
		const struct wf_conv *c = &wf->convs[i];
		long *others;
		size_t n;
		char *label, *diff = NULL;
		if ((rc = conv_others(db, c->id, wf->id, &others, &n, &label)))
			break;
		if (n && !(rc = conv_diff(db, c, &diff)) && diff) {
			add_clash(out, others, n, xasprintf("conversation %ld '%s' belongs to %s; workflow %ld "
							    "defines it differently: %s", c->id, c->name, label,
							    wf->id, diff));
			others = NULL;
		}
		free(others);
		free(label);
		free(diff);
		if (!rc && c->has_instruction && c->instruction_id)
			rc = id_clash(db, wf, c, INSTRUCTION, "instruction", c->instruction_id, out);
		for (size_t r = 0; !rc && r < c->nrules; r++)
			if (c->rules[r].id)
				rc = id_clash(db, wf, c, RULE, "rule", c->rules[r].id, out);
	}
	return rc;
}

/* 1 in *keep when c is another workflow's too and stored as defined here:
 * then it is left as it is (rewriting its rules would give them new ids). */
static int keep_shared(struct db *db, const struct workflow *wf, const struct wf_conv *c, int *keep)
{
	long *others;
	size_t n;
	char *label, *diff = NULL;
	*keep = 0;
	int rc = conv_others(db, c->id, wf->id, &others, &n, &label);
	if (!rc && n && !(rc = conv_diff(db, c, &diff)))
		*keep = !diff;
	free(others);
	free(label);
	free(diff);
	return rc;
}

int db_workflow_store(struct db *db, struct workflow *wf, int replace_shared)
{
	static const char UPSERT[] =
		"INSERT INTO workflows (workflow_id, workflow_name, workflow_description, workflow_version, "
		"enabled, parameters, source_dir, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
		"ON CONFLICT (workflow_id) DO UPDATE SET workflow_name = excluded.workflow_name, "
		"workflow_description = excluded.workflow_description, workflow_version = excluded.workflow_version, "
		"enabled = excluded.enabled, parameters = excluded.parameters, "
		"source_dir = coalesce(excluded.source_dir, source_dir), updated_at = excluded.updated_at";
	static const char CLEAR_MEMBERS[] = "DELETE FROM workflow_conversations WHERE workflow_id = ?1";
	char now[32];
	iso_now(now);
	if (!replace_shared) {
		struct defs_clashes cl = { 0 };
		int rc = db_workflow_clashes(db, wf, &cl);
		if (!rc && cl.n) {
			struct buf b = BUF_INIT;
			for (size_t i = 0; i < cl.n; i++)
				buf_printf(&b, "%s%s", i ? "; " : "", cl.items[i].message);
			rc = err_set(E_INPUT, "workflow %ld clashes with another workflow: %s", wf->id, buf_str(&b));
			buf_release(&b);
		}
		defs_clashes_release(&cl);
		if (rc)
			return rc;
	}
	int *keep = xcalloc(wf->nconvs + 1, sizeof *keep);
	for (size_t i = 0; i < wf->nconvs; i++) {
		int rc = keep_shared(db, wf, &wf->convs[i], &keep[i]);
		if (rc) {
			free(keep);
			return rc;
		}
	}
	char *params = json_print(wf->parameters);
	int rc = db_do(db, UPSERT, "LTTiiTTT", wf->id, wf->name, wf->description, wf->version, wf->enabled, params,
		       wf->source_dir, now);
	free(params);
	if (rc)
		rc = err_wrap(E_DB, "storing workflow %ld", wf->id);
	for (size_t i = 0; !rc && i < wf->nactors; i++)
		rc = store_actor(db, &wf->actors[i]);
	if (!rc)
		rc = db_do(db, CLEAR_MEMBERS, "L", wf->id);
	/* Conversations first, then instructions and rules, so that rules may lead
	 * to any conversation of the file. */
	for (size_t i = 0; !rc && i < wf->nconvs; i++)
		rc = store_conv(db, wf, &wf->convs[i], keep[i]);
	for (size_t i = 0; !rc && i < wf->nconvs; i++)
		if (!keep[i])
			rc = store_instruction(db, &wf->convs[i]);
	free(keep);
	return rc;
}

static int read_actors(struct db *db, long id, struct workflow *wf)
{
	static const char ACTORS[] =
		"SELECT DISTINCT a.actor_id, a.actor_name, a.actor_type, a.execution_config, a.script_file_path, "
		"a.enabled FROM workflow_conversations wc JOIN conversations c USING (conversation_id) "
		"JOIN actors a ON a.actor_id = c.actor_id WHERE wc.workflow_id = ?1 ORDER BY a.actor_id";
	return db_read_rows(db, ACTORS, &wf->actors, &wf->nactors, sizeof *wf->actors, read_actor, "L", id);
}

static void read_conv(sqlite3_stmt *st, void *item, size_t i)
{
	struct wf_conv *c = item;
	db_columns(st, "LTTTTiiiiiii", &c->id, &c->name, &c->canonical_name, &c->description, &c->actor, &c->order,
		   &c->timeout_seconds, &c->max_attempts, &c->terminal, &c->enabled, &c->parallel_group,
		   &c->wait_for_group);
	c->has_instruction = !db_col_is_null(st, 12);
	if (c->has_instruction)
		db_columns(st, "------------LTTT", &c->instruction_id, &c->instruction_name, &c->template,
			   &c->system_prompt);
	(void)i;
}

static int read_convs(struct db *db, long id, struct workflow *wf)
{
	static const char CONVS[] =
		"SELECT c.conversation_id, c.conversation_name, c.canonical_name, c.conversation_description, "
		"a.actor_name, wc.execution_order, c.timeout_seconds, c.max_attempts, c.is_terminal, "
		"c.enabled AND wc.enabled, wc.parallel_group, wc.wait_for_group, "
		"i.instruction_id, i.instruction_name, i.prompt_template, i.system_prompt "
		"FROM workflow_conversations wc JOIN conversations c USING (conversation_id) "
		"JOIN actors a ON a.actor_id = c.actor_id "
		"LEFT JOIN instructions i ON i.conversation_id = c.conversation_id AND i.enabled "
		"WHERE wc.workflow_id = ?1 ORDER BY wc.execution_order, c.conversation_id";
	return db_read_rows(db, CONVS, &wf->convs, &wf->nconvs, sizeof *wf->convs, read_conv, "L", id);
}

static void read_rule(sqlite3_stmt *st, void *item, size_t i)
{
	struct wf_rule *r = item;
	r->seq = (int)i;
	db_columns(st, "LTTLiiTi", &r->id, &r->name, &r->condition, &r->next, &r->priority, &r->max_iterations,
		   &r->description, &r->enabled);
}

static int read_rules(struct db *db, struct wf_conv *c)
{
	static const char RULES[] =
		"SELECT instruction_step_id, instruction_step_name, branch_condition, next_conversation_id, "
		"branch_priority, max_iterations, branch_description, enabled FROM instruction_steps "
		"WHERE instruction_id = ?1 ORDER BY branch_priority DESC, instruction_step_id";
	return db_read_rows(db, RULES, &c->rules, &c->nrules, sizeof *c->rules, read_rule, "L", c->instruction_id);
}

int db_workflow_read(struct db *db, long id, struct workflow *wf)
{
	static const char WF[] =
		"SELECT workflow_name, workflow_description, workflow_version, enabled, parameters, source_dir "
		"FROM workflows WHERE workflow_id = ?1";
	memset(wf, 0, sizeof *wf);
	char *params = NULL;
	int rc = db_get(db, WF, "L", "TTiiTT", id, &wf->name, &wf->description, &wf->version, &wf->enabled, &params,
			&wf->source_dir);
	if (rc < 0)
		return E_DB;
	if (rc != SQLITE_ROW)
		return err_set(E_INPUT, "there is no workflow %ld", id);
	wf->id = id;
	wf->parameters = cJSON_Parse(params ? params : "");
	free(params);
	if (!cJSON_IsObject(wf->parameters)) {
		cJSON_Delete(wf->parameters);
		wf->parameters = cJSON_CreateObject();
	}
	rc = read_actors(db, id, wf);
	if (!rc)
		rc = read_convs(db, id, wf);
	for (size_t i = 0; !rc && i < wf->nconvs; i++)
		if (wf->convs[i].has_instruction)
			rc = read_rules(db, &wf->convs[i]);
	if (rc) {
		workflow_release(wf);
		return E_DB;
	}
	workflow_sort(wf);
	return E_OK;
}

int db_workflow_ids(struct db *db, long **ids, size_t *n)
{
	static const char SQL[] = "SELECT workflow_id FROM workflows ORDER BY workflow_id";
	return db_ids(db, SQL, ids, n, "");
}
