/* advance.c: creating interactions and moving runs on when a step ends. */
#include "advance.h"

#include <stdlib.h>
#include <string.h>

#include "branch.h"
#include "db-postings.h"
#include "db-runs.h"
#include "err.h"
#include "json.h"
#include "llm.h"
#include "retry.h"
#include "template.h"
#include "util.h"
#include "validate.h"
#include "vars.h"

/* A rendered input and where its substituted values lie in it: the offsets at
 * which each begins and ends (db-texts.h stores those pieces once). */
struct rendered {
	char *input;
	size_t *cuts;
	size_t ncuts;
};

static void rendered_free(struct rendered *r)
{
	free(r->input);
	free(r->cuts);
}

/* The values looked up while a template renders, in that order. */
struct noted {
	struct vars_env *env;
	char **values;
	size_t n, cap;
};

static enum tpl_lookup lookup_noted(void *ctx, const char *name, char **value, char **why)
{
	struct noted *nv = ctx;
	enum tpl_lookup r = vars_lookup(nv->env, name, value, why);
	if (r == TPL_FOUND && *value && **value) {
		if (nv->n == nv->cap) {
			nv->cap = nv->cap ? nv->cap * 2 : 8;
			nv->values = xreallocarray(nv->values, nv->cap, sizeof *nv->values);
		}
		nv->values[nv->n++] = xstrdup(*value);
	}
	return r;
}

/* Finds each noted value, as a JSON string holds it, in r->input after the
 * one before. A value not found (in the system prompt, which comes first, or
 * changed by the template) gives no cut: the request stays exact either way,
 * only less of it is shared. */
static void find_cuts(struct rendered *r, struct noted *nv)
{
	size_t from = 0;
	r->cuts = xreallocarray(NULL, 2 * nv->n + 1, sizeof *r->cuts);
	for (size_t i = 0; i < nv->n; i++) {
		char *q = json_quote(nv->values[i]);
		size_t len = strlen(q) - 2;
		q[len + 1] = '\0';
		const char *p = r->input ? strstr(r->input + from, q + 1) : NULL;
		if (p) {
			r->cuts[r->ncuts++] = (size_t)(p - r->input);
			from = (size_t)(p - r->input) + len;
			r->cuts[r->ncuts++] = from;
		}
		free(q);
	}
}

/* Renders the input of s->conv: a model request, or a JSON document for a
 * script or built-in. *error (caller frees) says why it could not be. */
static int render_input(struct db *db, const struct workflow *wf, const struct spawn *s, struct rendered *r,
			char **error)
{
	const struct wf_conv *c = s->conv;
	const struct wf_actor *a = workflow_actor(wf, c->actor);
	struct vars_env env = { db, s->run_id, wf->id, s->posting_id, s->parents, s->nparents, s->params };
	struct noted nv = { &env, NULL, 0, 0 };
	memset(r, 0, sizeof *r);
	*error = NULL;
	char *prompt = NULL, *system = NULL;
	int rc = -1;
	if (!a)
		*error = xasprintf("actor '%s' does not exist", c->actor);
	else if (!c->has_instruction)
		*error = xstrdup("the step has no instruction (prompt template)");
	else if (a->kind != ACTOR_AI_MODEL)
		rc = template_render_json(c->template, lookup_noted, &nv, &r->input, error);
	else if (template_render(c->template, lookup_noted, &nv, &prompt, error) < 0)
		;
	else if (c->system_prompt && template_render(c->system_prompt, lookup_noted, &nv, &system, error) < 0) {
		char *e = *error;
		*error = xasprintf("system prompt: %s", e);
		free(e);
	} else {
		r->input = llm_request_json(a, prompt, system);
		rc = 0;
	}
	if (!rc)
		find_cuts(r, &nv);
	for (size_t i = 0; i < nv.n; i++)
		free(nv.values[i]);
	free(nv.values);
	free(prompt);
	free(system);
	return rc;
}

int advance_create(struct db *db, const struct workflow *wf, const struct spawn *s, long *id)
{
	struct rendered in;
	char *error;
	const struct wf_actor *a = workflow_actor(wf, s->conv->actor);
	if (!a)
		return err_set(E_INPUT, "conversation %ld: actor '%s' does not exist", s->conv->id, s->conv->actor);
	render_input(db, wf, s, &in, &error);
	struct new_interaction ni = {
		.run_id = s->run_id,
		.posting_id = s->posting_id,
		.conversation_id = s->conv->id,
		.actor_id = a->id,
		.status = error ? "failed" : "pending",
		.via_rule_id = s->via_rule,
		.input = in.input,
		.cuts = in.cuts,
		.ncuts = in.ncuts,
		.error = error,
		.failure_class = error ? fail_class_name(FC_TEMPLATE) : NULL,
		.max_attempts = s->conv->max_attempts,
		.parents = s->parents,
		.nparents = s->nparents,
	};
	int rc = db_interaction_create(db, &ni, id);
	/* Created failed, it may be all its run has: the run's status must say so. */
	if (!rc && error)
		rc = db_run_refresh(db, s->run_id, NULL);
	rendered_free(&in);
	free(error);
	return rc;
}

/* Fan-in: once every member of target's group has completed in this run, the
 * waiting interaction gets all of them as parents and its input. */
static int fanin_check(struct db *db, const struct workflow *wf, const struct task *t, const struct wf_conv *target)
{
	long waiting;
	int rc = db_waiting_for(db, t->r.run_id, target->id, &waiting);
	if (rc || !waiting)
		return rc;
	for (size_t i = 0; i < wf->nconvs; i++) {
		const struct wf_conv *m = &wf->convs[i];
		if (m == target || !m->enabled || m->wait_for_group || m->parallel_group != target->parallel_group)
			continue;
		long latest;
		if ((rc = db_latest_completed(db, t->r.run_id, m->id, &latest)))
			return rc;
		if (!latest)
			return E_OK; /* still waiting */
		if ((rc = db_parent_add(db, waiting, latest)))
			return rc;
	}
	long *parents;
	size_t n;
	if ((rc = db_parents(db, waiting, &parents, &n)))
		return rc;
	struct spawn s = { t->r.run_id, t->r.posting_id, t->r.params, target, 0, parents, n };
	struct rendered in;
	char *error;
	render_input(db, wf, &s, &in, &error);
	rc = db_interaction_activate(db, waiting, in.input, in.cuts, in.ncuts, error);
	rendered_free(&in);
	free(error);
	free(parents);
	return rc;
}

static int spawn_child(struct db *db, const struct workflow *wf, const struct task *t, const struct wf_conv *target,
		       long rule, struct advance_stats *stats)
{
	long parent = t->r.id, id;
	int rc;
	if (target->wait_for_group) {
		long waiting;
		if ((rc = db_waiting_for(db, t->r.run_id, target->id, &waiting)))
			return rc;
		if (waiting) {
			rc = db_parent_add(db, waiting, parent);
		} else {
			const struct wf_actor *a = workflow_actor(wf, target->actor);
			struct new_interaction ni = {
				.run_id = t->r.run_id,
				.posting_id = t->r.posting_id,
				.conversation_id = target->id,
				.actor_id = a ? a->id : 0,
				.status = "waiting",
				.via_rule_id = rule,
				.max_attempts = target->max_attempts,
				.parents = &parent,
				.nparents = 1,
			};
			if (!a)
				return err_set(E_INPUT, "conversation %ld: actor '%s' does not exist", target->id,
					       target->actor);
			rc = db_interaction_create(db, &ni, &id);
			if (!rc) {
				stats->created++;
				rc = db_event_add(db, id, "group_waiting", NULL);
			}
		}
		return rc ? rc : fanin_check(db, wf, t, target);
	}
	struct spawn s = { t->r.run_id, t->r.posting_id, t->r.params, target, rule, &parent, 1 };
	rc = advance_create(db, wf, &s, &id);
	if (!rc)
		stats->created++;
	return rc;
}

/* One new run per posting listed in the output, each starting at the targets. */
static int fan_out(struct db *db, const struct workflow *wf, const struct task *t, const cJSON *ids,
		   const struct branch_result *br, struct advance_stats *stats, cJSON *note)
{
	const cJSON *it;
	cJSON *skipped = cJSON_CreateArray();
	long started = 0;
	int rc = E_OK;
	cJSON_ArrayForEach(it, ids) {
		/* A number that is no posting id (1e300, 2.5) is skipped, not converted. */
		long posting = 0;
		if (cJSON_IsNumber(it) && double_to_long(it->valuedouble, &posting) < 0)
			posting = 0;
		int exists = posting > 0 ? db_posting_exists(db, posting) : 0;
		if (exists < 0) {
			rc = E_DB;
			break;
		}
		long active = 0;
		if (exists && (rc = db_run_active_for(db, wf->id, posting, &active)))
			break;
		if (!exists || active) {
			cJSON_AddItemToArray(skipped, cJSON_Duplicate(it, 0));
			continue;
		}
		long run;
		if ((rc = db_run_create(db, wf->id, posting, t->r.params, "fan-out", &run)))
			break;
		stats->runs_created++;
		for (size_t k = 0; !rc && k < br->ntargets; k++) {
			const struct wf_conv *target = workflow_conv(wf, br->targets[k]);
			long parent = t->r.id, id;
			struct spawn s = { run, posting, t->r.params, target, br->target_rule[k], &parent, 1 };
			rc = advance_create(db, wf, &s, &id);
			if (!rc)
				stats->created++;
		}
		started++;
		if (rc)
			break;
	}
	cJSON_AddNumberToObject(note, "runs_started", (double)started);
	if (cJSON_GetArraySize(skipped))
		cJSON_AddItemToObject(note, "postings_skipped", skipped);
	else
		cJSON_Delete(skipped);
	return rc;
}

static int branch(struct db *db, const struct workflow *wf, struct task *t, const char *text,
		  struct advance_stats *stats)
{
	const struct wf_conv *c = t->conv;
	struct branch_rule rules[BRANCH_MAX_RULES];
	size_t n = 0;
	int rc;
	for (size_t i = 0; i < c->nrules && n < ARRAY_LEN(rules); i++) {
		const struct wf_rule *r = &c->rules[i];
		if (!r->enabled)
			continue;
		long fired = 0;
		if (r->max_iterations && (rc = db_rule_fired(db, t->r.run_id, r->id, &fired)))
			return rc;
		rules[n++] = (struct branch_rule){ r->id, r->condition, r->next, r->priority,
						   r->max_iterations && fired >= r->max_iterations };
	}
	if (!n)
		return E_OK; /* a step without rules ends its path (validate warns unless terminal) */
	struct branch_result br;
	branch_select(rules, n, text, &br);
	cJSON *ev = cJSON_CreateObject();
	if (br.verdict[0])
		cJSON_AddStringToObject(ev, "verdict", br.verdict);
	if (br.bounded_out)
		cJSON_AddTrueToObject(ev, "bound_reached");
	/* Targets that are not steps of this workflow cannot be created. */
	size_t k = 0;
	cJSON *missing = NULL;
	for (size_t i = 0; i < br.ntargets; i++) {
		const struct wf_conv *target = workflow_conv(wf, br.targets[i]);
		if (target && target->enabled) {
			br.targets[k] = br.targets[i];
			br.target_rule[k++] = br.target_rule[i];
		} else {
			if (!missing)
				missing = cJSON_AddArrayToObject(ev, "unknown_targets");
			cJSON_AddItemToArray(missing, cJSON_CreateNumber((double)br.targets[i]));
		}
	}
	int lost_all = br.ntargets && !k && !br.ended;
	br.ntargets = k;
	if (!br.nfired || lost_all) {
		char *shown = utf8_shorten(text ? text : "", 200);
		cJSON_AddStringToObject(ev, "text", shown);
		free(shown);
		char *data = json_print(ev);
		cJSON_Delete(ev);
		rc = db_event_add(db, t->r.id, "no_rule_matched", data);
		free(data);
		return rc;
	}
	cJSON *fired = cJSON_AddArrayToObject(ev, "rules");
	for (size_t i = 0; i < br.nfired; i++)
		cJSON_AddItemToArray(fired, cJSON_CreateNumber((double)rules[br.fired[i]].id));
	cJSON *targets = cJSON_AddArrayToObject(ev, "targets");
	for (size_t i = 0; i < br.ntargets; i++)
		cJSON_AddItemToArray(targets, cJSON_CreateNumber((double)br.targets[i]));
	if (br.ended)
		cJSON_AddTrueToObject(ev, "end");

	rc = E_OK;
	cJSON *out = t->r.posting_id || !br.ntargets ? NULL : cJSON_Parse(t->res.output ? t->res.output : "");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(out, "posting_ids");
	if (cJSON_IsArray(ids)) {
		rc = fan_out(db, wf, t, ids, &br, stats, ev);
	} else {
		for (size_t i = 0; !rc && i < br.ntargets; i++)
			rc = spawn_child(db, wf, t, workflow_conv(wf, br.targets[i]), br.target_rule[i], stats);
	}
	cJSON_Delete(out);
	if (!rc) {
		char *data = json_print(ev);
		rc = db_event_add(db, t->r.id, "interaction_branched", data);
		free(data);
	}
	cJSON_Delete(ev);
	return rc;
}

static void count_run(const char *status, struct advance_stats *stats)
{
	if (!strcmp(status, "completed"))
		stats->runs_completed++;
	else if (!strcmp(status, "failed"))
		stats->runs_failed++;
}

int advance_finish(struct db *db, struct task *t, const struct fence *f, struct retry_policy *policy,
		   struct advance_stats *stats)
{
	struct result *res = &t->res;
	int attempt = t->r.attempts + 1;
	struct step_record rec = {
		.output = res->output,
		.branch_text = res->status ? res->status : res->output,
		.duration_ms = mono_ms() - t->started_ms,
		.backend = res->backend,
		.model = res->model,
		.prompt_tokens = res->prompt_tokens,
		.output_tokens = res->output_tokens,
		.total_ms = res->total_ms,
		.load_ms = res->load_ms,
		.eval_ms = res->eval_ms,
		.done_reason = res->done_reason,
		.log = res->log,
	};
	const char *run_status;
	int rc;
	if (!res->ok) {
		int retryable = fail_class_retryable(res->fail) || (res->fail == FC_STEP_FAILED && res->retryable);
		const char *error = res->error ? res->error : "failed";
		if (retryable && attempt < t->r.max_attempts) {
			int64_t delay = retry_delay_ms(attempt, policy->base_ms, policy->cap_ms, res->retry_after_ms,
						       &policy->rng);
			char due[32];
			iso_time(now_ms() + delay, due);
			stats->retried++;
			return db_interaction_retry(db, t->r.id, f, fail_class_name(res->fail), error, due, attempt,
						    delay, res->log);
		}
		rc = db_interaction_fail(db, t->r.id, f, fail_class_name(res->fail), error, &rec, attempt);
		if (!rc)
			rc = db_run_refresh(db, t->r.run_id, &run_status);
		if (!rc) {
			stats->failed++;
			count_run(run_status, stats);
		}
		return rc;
	}
	if ((rc = db_interaction_complete(db, t->r.id, f, &rec, attempt)))
		return rc;
	stats->completed++;
	if ((rc = branch(db, t->wf, t, rec.branch_text, stats)))
		return rc;
	/* A member of a group finished: a fan-in waiting for the group may start. */
	if (t->conv->parallel_group && !t->conv->wait_for_group)
		for (size_t i = 0; !rc && i < t->wf->nconvs; i++) {
			const struct wf_conv *w = &t->wf->convs[i];
			if (w->wait_for_group && w->parallel_group == t->conv->parallel_group)
				rc = fanin_check(db, t->wf, t, w);
		}
	if (!rc)
		rc = db_run_refresh(db, t->r.run_id, &run_status);
	if (!rc)
		count_run(run_status, stats);
	return rc;
}
