/* extract.h: reading results out of a model's free-text answer. Pure: no I/O.
 * Used by the save_skills and save_ihl built-ins; fuzzed in tests/fuzz/. */
#ifndef extract_h
#define extract_h

#include <cJSON.h>

/* Skills: a JSON array of strings or of objects ({"skill"|"name": ..., plus
 * importance, weight, proficiency, years_required, reasoning}), in or out of a
 * code fence, or such an array under a "skills" key. Returns 0 with *skills a
 * new array of objects {"name", ...} (duplicates removed, case-insensitively),
 * or -1 with *why (caller frees) saying what was wrong. */
int extract_skills(const char *text, cJSON **skills, char **why);

/* The IHL score: the expert's JSON ({"ihl_score": N, "verdict": ...}, in or out of
 * a fence), else a line "IHL Score: N". The score must be a whole number in 0-10.
 * The verdict is GENUINE, BORDERLINE, COMPLIANCE_THEATER or FAKE; when the answer
 * has none it is derived from the score (0-3, 4-6, 7-9, 10) and *derived is set.
 * Returns 0, or -1 with *why (caller frees). *verdict: new string. */
int extract_ihl(const char *text, int *score, char **verdict, int *derived, char **why);

#endif
