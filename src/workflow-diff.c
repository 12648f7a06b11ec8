/* workflow-diff.c: what changed between two versions of a workflow (see
 * workflow-diff.h). */
#include "workflow-diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int same_text(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int same_json(const cJSON *a, const cJSON *b)
{
	int empty_a = !a || (cJSON_IsObject(a) && !a->child), empty_b = !b || (cJSON_IsObject(b) && !b->child);
	if (empty_a || empty_b)
		return empty_a == empty_b;
	return cJSON_Compare(a, b, 1);
}

/* Appends ", what" (the first time "what") to list when the two differ. */
static void differ(struct buf *list, int same, const char *what)
{
	if (!same)
		buf_printf(list, "%s%s", list->len ? ", " : "", what);
}

static const struct wf_rule *rule_by_id(const struct wf_conv *c, long id)
{
	for (size_t i = 0; id && i < c->nrules; i++)
		if (c->rules[i].id == id)
			return &c->rules[i];
	return NULL;
}

static int same_rule(const struct wf_rule *a, const struct wf_rule *b)
{
	return same_text(a->condition, b->condition) && a->next == b->next && a->priority == b->priority &&
	       a->max_iterations == b->max_iterations && a->enabled == b->enabled &&
	       same_text(a->description, b->description);
}

/* What changed in a conversation's rules, as "rule 33381 changed" items. */
static void rules_diff(const struct wf_conv *o, const struct wf_conv *n, struct buf *list)
{
	int by_id = 1;
	for (size_t i = 0; i < n->nrules; i++)
		by_id &= n->rules[i].id != 0;
	if (!by_id) { /* the file gives no ids: the same rules, in any order? */
		int same = o->nrules == n->nrules;
		char *used = xcalloc(o->nrules + 1, 1);
		for (size_t i = 0; same && i < n->nrules; i++) {
			size_t j = 0;
			while (j < o->nrules && (used[j] || !same_rule(&o->rules[j], &n->rules[i])))
				j++;
			same = j < o->nrules;
			if (same)
				used[j] = 1;
		}
		free(used);
		differ(list, same, "rules");
		return;
	}
	char what[64];
	for (size_t i = 0; i < n->nrules; i++) {
		const struct wf_rule *was = rule_by_id(o, n->rules[i].id);
		snprintf(what, sizeof what, "rule %ld %s", n->rules[i].id, was ? "changed" : "added");
		differ(list, was && same_rule(was, &n->rules[i]), what);
	}
	for (size_t i = 0; i < o->nrules; i++) {
		snprintf(what, sizeof what, "rule %ld removed", o->rules[i].id);
		differ(list, rule_by_id(n, o->rules[i].id) != NULL, what);
	}
}

static void conv_diff(const struct wf_conv *o, const struct wf_conv *n, struct buf *list)
{
	differ(list, same_text(o->name, n->name), "name");
	differ(list, same_text(o->actor, n->actor), "actor");
	differ(list, same_text(o->template, n->template) && same_text(o->system_prompt, n->system_prompt), "prompt");
	differ(list, o->order == n->order && o->timeout_seconds == n->timeout_seconds &&
			     o->max_attempts == n->max_attempts && o->terminal == n->terminal && o->enabled == n->enabled &&
			     o->parallel_group == n->parallel_group && o->wait_for_group == n->wait_for_group &&
			     same_text(o->canonical_name, n->canonical_name),
	       "settings");
	differ(list, same_text(o->description, n->description), "description");
	rules_diff(o, n, list);
}

static const struct wf_actor *actor_by_id(const struct workflow *wf, long id)
{
	for (size_t i = 0; i < wf->nactors; i++)
		if (wf->actors[i].id == id)
			return &wf->actors[i];
	return NULL;
}

static size_t line(struct buf *out, const char *subject, struct buf *list)
{
	if (!list->len)
		return 0;
	buf_printf(out, "  %s: %s\n", subject, buf_str(list));
	buf_reset(list);
	return 1;
}

size_t workflow_diff(const struct workflow *old, const struct workflow *new, struct buf *out)
{
	struct buf list = BUF_INIT;
	size_t n = 0;
	differ(&list, same_text(old->name, new->name), "name");
	differ(&list, same_text(old->description, new->description), "description");
	differ(&list, same_json(old->parameters, new->parameters), "parameters");
	differ(&list, old->enabled == new->enabled, "enabled");
	n += line(out, "workflow", &list);
	for (size_t i = 0; i < new->nactors; i++) {
		const struct wf_actor *a = &new->actors[i], *was = actor_by_id(old, a->id);
		char *subject = xasprintf("actor %ld '%s'", a->id, a->name);
		if (!was) {
			differ(&list, 0, "added");
		} else {
			differ(&list, same_text(was->name, a->name), "name");
			differ(&list, same_text(was->type, a->type), "type");
			differ(&list, same_json(was->config, a->config), "config");
			differ(&list, same_text(was->script, a->script), "script");
			differ(&list, was->enabled == a->enabled, "enabled");
		}
		n += line(out, subject, &list);
		free(subject);
	}
	for (size_t i = 0; i < new->nconvs; i++) {
		const struct wf_conv *c = &new->convs[i], *was = workflow_conv(old, c->id);
		char *subject = workflow_conv_label(c);
		if (!was)
			differ(&list, 0, "added");
		else
			conv_diff(was, c, &list);
		n += line(out, subject, &list);
		free(subject);
	}
	for (size_t i = 0; i < old->nconvs; i++) {
		if (workflow_conv(new, old->convs[i].id))
			continue;
		char *subject = workflow_conv_label(&old->convs[i]);
		differ(&list, 0, "removed");
		n += line(out, subject, &list);
		free(subject);
	}
	buf_release(&list);
	return n;
}
