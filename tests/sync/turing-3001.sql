-- Workflow 3001 as turing holds it, made from fixtures/workflows/3001.json
-- (passed in the psql variable wf): the savers and the fetcher are scripts,
-- the description check is a query on the generic SQL executor, and a person
-- reviews escalated tickets (a human actor, which waverunner cannot run).
-- Used by tests/t-sync.sh to check what sync pull --workflows makes of it.

CREATE TEMP TABLE wf AS SELECT :'wf'::jsonb AS j;

-- A template as one text (the fixture writes long ones as arrays of lines).
CREATE FUNCTION pg_temp.text_of(t jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT CASE jsonb_typeof(t)
	WHEN 'array' THEN (SELECT string_agg(x, E'\n' ORDER BY n) FROM jsonb_array_elements_text(t) WITH ORDINALITY AS l(x, n))
	ELSE t #>> '{}' END
$$;

INSERT INTO actors (actor_id, actor_name, actor_type, execution_type, execution_config, script_file_path)
SELECT (a->>'actor_id')::int, a->>'name',
	CASE a->>'type' WHEN 'ai_model' THEN 'ai_model' ELSE 'script' END,
	CASE a->>'type' WHEN 'ai_model' THEN 'ollama_api' ELSE 'python_script' END,
	CASE a->>'type' WHEN 'ai_model'
		THEN coalesce(a->'config', '{}') || jsonb_build_object('model', a->>'name', 'timeout', 600)
		ELSE '{}' END,
	CASE a->>'type' WHEN 'ai_model' THEN NULL ELSE 'core/wave_runner/actors/' || (a->>'name') || '.py' END
FROM wf, jsonb_array_elements(j->'actors') AS a
WHERE a->>'name' <> 'check_description';

INSERT INTO actors (actor_id, actor_name, actor_type, execution_type, script_file_path) VALUES
	(74, 'sql_query_executor', 'script', 'python_script', 'core/wave_runner/actors/sql_query_executor.py'),
	(90, 'hr_reviewer', 'human', 'human_input', NULL);

INSERT INTO conversations (conversation_id, conversation_name, canonical_name, actor_id, conversation_description,
                           timeout_seconds)
SELECT (c->>'conversation_id')::int, c->>'name', c->>'canonical_name',
	CASE c->>'actor' WHEN 'check_description' THEN 74
		ELSE (SELECT actor_id FROM actors WHERE actor_name = c->>'actor') END,
	c->>'description', (c->>'timeout_seconds')::int
FROM wf, jsonb_array_elements(j->'conversations') AS c;
INSERT INTO conversations (conversation_id, conversation_name, canonical_name, actor_id)
VALUES (9999, 'Human review of the ticket', 'human_review', 90);

INSERT INTO workflows (workflow_id, workflow_name, workflow_description)
SELECT (j->>'workflow_id')::int, j->>'name', pg_temp.text_of(j->'description') FROM wf;

INSERT INTO workflow_conversations (workflow_id, conversation_id, execution_order)
SELECT (j->>'workflow_id')::int, (c->>'conversation_id')::int, (c->>'order')::int
FROM wf, jsonb_array_elements(j->'conversations') AS c;
INSERT INTO workflow_conversations (workflow_id, conversation_id, execution_order) VALUES (3001, 9999, 85);

-- turing's savers read their input from the database; their templates say little.
INSERT INTO instructions (instruction_id, conversation_id, instruction_name, step_number, prompt_template, is_terminal)
SELECT (c->'instruction'->>'instruction_id')::int, (c->>'conversation_id')::int, c->'instruction'->>'name', 1,
	CASE c->>'actor'
	WHEN 'summary_saver' THEN E'posting_id: {posting_id}\nsummary: {conversation_3341_output}'
	WHEN 'posting_skills_saver' THEN '{}'
	WHEN 'ihl_score_saver' THEN '{}'
	WHEN 'db_job_fetcher' THEN '{"user_id": 1, "max_jobs": 50, "source_id": 1, "skip_rate_limit": true}'
	WHEN 'check_description' THEN '{"query": "SELECT CASE WHEN job_description IS NULL THEN ''[NO_DESCRIPTION]'' '
		'WHEN length(job_description) < 100 THEN ''[TOO_SHORT]'' ELSE ''[VALID]'' END FROM postings '
		'WHERE posting_id = {posting_id}"}'
	ELSE pg_temp.text_of(c->'instruction'->'template') END,
	coalesce((c->>'terminal')::boolean, false)
FROM wf, jsonb_array_elements(j->'conversations') AS c;
-- Several instructions per conversation: only the enabled step 1 counts.
INSERT INTO instructions (instruction_id, conversation_id, instruction_name, step_number, prompt_template, enabled)
VALUES (1337, 3337, 'qwen_grade_old', 1, 'An old grading prompt: {session_2_output}', false),
       (13337, 3337, 'qwen_grade_step2', 2, 'A second step nobody runs', true);
INSERT INTO instructions (instruction_id, conversation_id, instruction_name, step_number, prompt_template)
VALUES (9999, 9999, 'human_review',  1,
        E'Review the ticket and answer {"approved": {"by": "your name"}}\n{conversation_3340_output}');

INSERT INTO instruction_steps (instruction_step_id, instruction_step_name, instruction_id, branch_condition,
                               next_conversation_id, branch_priority, max_iterations, branch_description)
SELECT (r->>'id')::int, 'rule_' || (r->>'id'), (c->'instruction'->>'instruction_id')::int, r->>'condition',
	(r->>'next')::int, (r->>'priority')::int, (r->>'max_iterations')::int, r->>'description'
FROM wf, jsonb_array_elements(j->'conversations') AS c, jsonb_array_elements(c->'rules') AS r;
INSERT INTO instruction_steps (instruction_step_id, instruction_step_name, instruction_id, branch_condition,
                               next_conversation_id, branch_priority)
VALUES (33402, 'ticket_escalate', 3340, '[ESCALATE]', 9999, 20),
       (99991, 'human_done', 9999, '*', 3341, 10);
