#!/bin/sh
# Writes N generated postings (postings.json) and the model answers that take
# them along every path of workflow 3001 (answers.json) into DIR.
# Usage: generate.sh N DIR
set -eu
n=$1
dir=$2
mkdir -p "$dir"
awk -v n="$n" -v dir="$dir" 'BEGIN {
	split("Data Engineer|AML Analyst|Relationship Manager|HR Business Partner|Risk Quant|Cloud Engineer|Product Owner|Operations Analyst", roles, "|")
	split("Germany|India|United Kingdom|Singapore|United States|Japan|Ireland|Poland", countries, "|")
	split("Frankfurt|Pune|London|Singapore|New York|Tokyo|Dublin|Warsaw", cities, "|")
	p = dir "/postings.json"; a = dir "/answers.json"
	printf "[\n" > p; printf "{\n" > a
	for (i = 1; i <= n; i++) {
		id = 100000 + i; r = roles[(i % 8) + 1]; k = (i % 8) + 1
		desc = "Posting " id ": we are hiring a " r " in " cities[k] ". You will own projects end to end, work with colleagues across " countries[k] \
			", and improve how the team delivers. Requirements: " (2 + i % 7) " years of experience, clear writing, and curiosity. Benefits include training and hybrid work."
		printf "%s{\"posting_id\": %d, \"job_title\": \"%s\", \"job_description\": \"%s\", \"location_city\": \"%s\", \"location_country\": \"%s\", \"source\": \"bench\", \"external_job_id\": \"B%d\", \"external_url\": \"https://example.com/b/%d\", \"posting_status\": \"pending\"}", (i > 1 ? ",\n" : ""), id, r, desc, cities[k], countries[k], id, id > p
		summary = "Role: " r "\\nCompany: not stated\\nLocation: " cities[k] ", " countries[k] "\\nJob ID: B" id "\\nKey Responsibilities:\\n- own projects end to end\\nRequirements:\\n- " (2 + i % 7) " years of experience\\nDetails: hybrid"
		path = i % 5
		printf "%s\"%d\": {\"3335\": \"%s\", \"3336\": \"[PASS] fine\", ", (i > 1 ? ",\n" : ""), id, summary > a
		if (path == 0 || path == 3)
			printf "\"3337\": \"[PASS] accurate\", " > a
		else if (path == 1)
			printf "\"3337\": \"[FAIL] location missing\", \"3338\": \"%s (improved)\", \"3339\": \"[PASS] better\", ", summary > a
		else
			printf "\"3337\": \"[FAIL] too vague\", \"3338\": [\"%s (improved 1)\", \"%s (improved 2)\"], \"3339\": [\"[FAIL] still vague\", \"[FAIL] still vague, round 2\"], \"3340\": \"Ticket: B%d needs a human look.\", ", summary, summary, id > a
		printf "\"3341\": \"%s\", \"9121\": \"[\\\"Python\\\", \\\"SQL\\\", \\\"writing\\\"]\", \"9161\": \"{\\\"analyst_verdict\\\": \\\"GENUINE\\\", \\\"suggested_ihl_score\\\": 2}\", \"9162\": \"{\\\"skeptic_verdict\\\": \\\"GENUINE\\\", \\\"suggested_ihl_score\\\": 2}\", \"9163\": \"{\\\"ihl_score\\\": %d, \\\"verdict\\\": \\\"%s\\\"}\"}", summary, (i % 11), (i % 11 <= 3 ? "GENUINE" : i % 11 <= 6 ? "BORDERLINE" : i % 11 <= 9 ? "COMPLIANCE_THEATER" : "FAKE") > a
	}
	printf "\n]\n" > p; printf "\n}\n" > a
}'
