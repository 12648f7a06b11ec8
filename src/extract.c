/* extract.c: skills and IHL scores out of model answers (extract.h). */
#include "extract.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"

static char *opening(const char *text)
{
	char *s = utf8_shorten(text, 80);
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s;
}

static const char *skill_name(const cJSON *item)
{
	if (cJSON_IsString(item))
		return item->valuestring;
	if (!cJSON_IsObject(item))
		return NULL;
	static const char *const keys[] = { "skill", "name", "skill_name", NULL };
	for (const char *const *k = keys; *k; k++) {
		const char *s = json_str(item, *k);
		if (s)
			return s;
	}
	return NULL;
}

int extract_skills(const char *text, cJSON **skills, char **why)
{
	*skills = NULL;
	*why = NULL;
	char *refused;
	cJSON *doc = json_find(text ? text : "", &refused);
	const cJSON *arr = doc;
	if (cJSON_IsObject(doc))
		arr = cJSON_GetObjectItemCaseSensitive(doc, "skills");
	if (!cJSON_IsArray(arr)) {
		char *o = opening(text ? text : "");
		if (refused)
			*why = xasprintf("the answer holds no usable JSON array of skills: %s (it begins: %s)", refused, o);
		else
			*why = xasprintf("the answer holds no JSON array of skills (it begins: %s)", o);
		free(refused);
		free(o);
		cJSON_Delete(doc);
		return -1;
	}
	cJSON *out = cJSON_CreateArray();
	const cJSON *item;
	cJSON_ArrayForEach(item, arr) {
		const char *name = skill_name(item);
		if (!name)
			continue;
		char *trimmed = str_trim(xstrdup(name));
		int dup = !*trimmed;
		const cJSON *seen;
		cJSON_ArrayForEach(seen, out)
			if (!strcasecmp(json_str(seen, "name"), trimmed))
				dup = 1;
		if (!dup) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", trimmed);
			static const char *const extra[] = { "importance", "weight", "proficiency", "years_required",
							     "reasoning", NULL };
			for (const char *const *k = extra; cJSON_IsObject(item) && *k; k++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, *k);
				if (v && !cJSON_IsNull(v) && (cJSON_IsString(v) || cJSON_IsNumber(v)))
					cJSON_AddItemToObject(o, *k, cJSON_Duplicate(v, 0));
			}
			cJSON_AddItemToArray(out, o);
		}
		free(trimmed);
	}
	cJSON_Delete(doc);
	free(refused);
	if (!cJSON_GetArraySize(out)) {
		cJSON_Delete(out);
		*why = xstrdup("the answer's JSON array names no skills");
		return -1;
	}
	*skills = out;
	return 0;
}

static const char *const verdicts[] = { "GENUINE", "BORDERLINE", "COMPLIANCE_THEATER", "FAKE", NULL };

static const char *verdict_for(int score)
{
	return score <= 3 ? "GENUINE" : score <= 6 ? "BORDERLINE" : score <= 9 ? "COMPLIANCE_THEATER" : "FAKE";
}

/* A score from a JSON value: a number, or a string holding one. */
static int score_of(const cJSON *v, double *out)
{
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		char *end;
		double d = strtod(v->valuestring, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (end != v->valuestring && !*end) {
			*out = d;
			return 0;
		}
	}
	return -1;
}

/* "IHL Score: 7" anywhere in the text, case-insensitive. */
static int score_line(const char *text, double *out)
{
	for (const char *p = text; *p; p++) {
		if (!str_starts_with_nocase(p, "ihl score"))
			continue;
		const char *q = p + 9;
		while (*q == ' ' || *q == '*' || *q == '_')
			q++;
		if (*q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '*')
			q++;
		if (!isdigit((unsigned char)*q))
			continue;
		*out = strtod(q, NULL);
		return 0;
	}
	return -1;
}

int extract_ihl(const char *text, int *score, char **verdict, int *derived, char **why)
{
	*verdict = NULL;
	*why = NULL;
	*derived = 0;
	if (!text)
		text = "";
	double s = 0;
	const char *v = NULL;
	int found = 0;
	char *refused;
	cJSON *doc = json_find(text, &refused);
	if (refused) { /* never read a score from text cut short */
		*why = xasprintf("the expert's answer cannot be read: %s", refused);
		free(refused);
		return -1;
	}
	if (cJSON_IsObject(doc)) {
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(doc, "ihl_score");
		if (sc && score_of(sc, &s) == 0)
			found = 1;
		v = json_str(doc, "verdict");
	}
	if (!found && score_line(text, &s) == 0)
		found = 1;
	if (!found) {
		char *o = opening(text);
		*why = xasprintf("the expert's answer has no usable IHL score: no JSON with \"ihl_score\" and no "
				 "\"IHL Score: N\" line (it begins: %s)", o);
		free(o);
		cJSON_Delete(doc);
		return -1;
	}
	if (s != floor(s) || s < 0 || s > 10) {
		*why = xasprintf("the IHL score %g is not a whole number in 0-10", s);
		cJSON_Delete(doc);
		return -1;
	}
	*score = (int)s;
	if (v) {
		for (const char *const *k = verdicts; *k; k++)
			if (!strcasecmp(*k, v))
				*verdict = xstrdup(*k);
		if (!*verdict) {
			*why = xasprintf("the verdict '%s' is not GENUINE, BORDERLINE, COMPLIANCE_THEATER or FAKE", v);
			cJSON_Delete(doc);
			return -1;
		}
	} else {
		*verdict = xstrdup(verdict_for(*score));
		*derived = 1;
	}
	cJSON_Delete(doc);
	return 0;
}
