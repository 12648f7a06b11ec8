-- waverunner schema, version 1.
-- Names follow turing's tables so that sync maps table to table. Times are UTC
-- ISO-8601 text with milliseconds ('2026-11-24T14:37:00.123Z'), which sorts as time.
-- Lists of allowed values are written as comparisons joined by OR, not IN (...):
-- SQLite 3.40 evaluates an IN list in a CHECK or an index condition through a
-- temporary b-tree built for every row written, which halved the engine's speed.

CREATE TABLE workflows (
	workflow_id          INTEGER PRIMARY KEY,
	workflow_name        TEXT NOT NULL,
	workflow_description TEXT,
	workflow_version     INTEGER NOT NULL DEFAULT 1,
	enabled              INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1),
	-- Run parameters and their defaults, a JSON object: {"max_jobs": 50}.
	parameters           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
	-- Directory of the file the workflow was loaded from; script paths are relative to it.
	source_dir           TEXT,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
);

CREATE TABLE actors (
	actor_id         INTEGER PRIMARY KEY,
	actor_name       TEXT NOT NULL UNIQUE,
	actor_type       TEXT NOT NULL CHECK (actor_type = 'ai_model' OR actor_type = 'script' OR
	                                        actor_type = 'builtin'),
	execution_config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(execution_config)),
	script_file_path TEXT,
	enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1)
);

CREATE TABLE conversations (
	conversation_id          INTEGER PRIMARY KEY,
	conversation_name        TEXT NOT NULL,
	canonical_name           TEXT,
	conversation_description TEXT,
	actor_id                 INTEGER NOT NULL REFERENCES actors (actor_id),
	timeout_seconds          INTEGER NOT NULL DEFAULT 300 CHECK (timeout_seconds > 0),
	max_attempts             INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
	-- A terminal step ends its path by design; validate warns about other steps without rules.
	is_terminal              INTEGER NOT NULL DEFAULT 0 CHECK (is_terminal = 0 OR is_terminal = 1),
	enabled                  INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1)
);

CREATE TABLE workflow_conversations (
	step_id         INTEGER PRIMARY KEY,
	workflow_id     INTEGER NOT NULL REFERENCES workflows (workflow_id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL REFERENCES conversations (conversation_id),
	execution_order INTEGER NOT NULL,
	parallel_group  INTEGER,
	wait_for_group  INTEGER NOT NULL DEFAULT 0 CHECK (wait_for_group = 0 OR wait_for_group = 1),
	enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1),
	UNIQUE (workflow_id, execution_order),
	UNIQUE (workflow_id, conversation_id)
);

-- One instruction (prompt template) per conversation.
CREATE TABLE instructions (
	instruction_id   INTEGER PRIMARY KEY,
	conversation_id  INTEGER NOT NULL UNIQUE REFERENCES conversations (conversation_id) ON DELETE CASCADE,
	instruction_name TEXT NOT NULL,
	step_number      INTEGER NOT NULL DEFAULT 1,
	prompt_template  TEXT NOT NULL,
	system_prompt    TEXT,
	enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1)
);

-- Outgoing rules. next_conversation_id NULL means END.
CREATE TABLE instruction_steps (
	instruction_step_id   INTEGER PRIMARY KEY,
	instruction_step_name TEXT NOT NULL,
	instruction_id        INTEGER NOT NULL REFERENCES instructions (instruction_id) ON DELETE CASCADE,
	branch_condition      TEXT NOT NULL,
	next_conversation_id  INTEGER REFERENCES conversations (conversation_id),
	branch_priority       INTEGER NOT NULL DEFAULT 5,
	max_iterations        INTEGER CHECK (max_iterations IS NULL OR max_iterations > 0),
	branch_description    TEXT,
	enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1)
);
CREATE INDEX instruction_steps_by_instruction ON instruction_steps (instruction_id);

CREATE TABLE postings (
	posting_id                INTEGER PRIMARY KEY,
	posting_name              TEXT NOT NULL,
	job_title                 TEXT,
	job_description           TEXT,
	location_city             TEXT,
	location_country          TEXT,
	source                    TEXT CHECK (source IS NULL OR length(source) <= 50),
	external_job_id           TEXT NOT NULL,
	external_id               TEXT,
	external_url              TEXT NOT NULL,
	posting_status            TEXT NOT NULL DEFAULT 'active'
	                          CHECK (posting_status = 'pending' OR posting_status = 'active' OR
	                                 posting_status = 'complete' OR posting_status = 'filled' OR
	                                 posting_status = 'invalid'),
	first_seen_at             TEXT,
	last_seen_at              TEXT,
	updated_at                TEXT,
	source_metadata           TEXT CHECK (source_metadata IS NULL OR json_valid(source_metadata)),
	extracted_summary         TEXT,
	skill_keywords            TEXT CHECK (skill_keywords IS NULL OR json_type(skill_keywords) = 'array'),
	-- The IHL score on an explicit scale (ihl_scale, 10 in workflow 3001) and its verdict.
	ihl_score                 INTEGER CHECK (ihl_score IS NULL OR ihl_score BETWEEN 0 AND 100),
	ihl_scale                 INTEGER CHECK (ihl_scale IS NULL OR ihl_scale > 0),
	ihl_verdict               TEXT,
	-- Which interaction wrote each result, and when any result last changed.
	summary_interaction_id    INTEGER,
	skills_interaction_id     INTEGER,
	ihl_interaction_id        INTEGER,
	results_updated_at        TEXT,
	created_by_interaction_id INTEGER,
	updated_by_interaction_id INTEGER,
	invalidated               INTEGER NOT NULL DEFAULT 0 CHECK (invalidated = 0 OR invalidated = 1),
	enabled                   INTEGER NOT NULL DEFAULT 1 CHECK (enabled = 0 OR enabled = 1)
);
CREATE UNIQUE INDEX postings_by_external_id ON postings (coalesce(source, ''), external_job_id) WHERE invalidated = 0;

CREATE TABLE workflow_runs (
	workflow_run_id INTEGER PRIMARY KEY,
	workflow_id     INTEGER NOT NULL REFERENCES workflows (workflow_id),
	posting_id      INTEGER REFERENCES postings (posting_id),
	status          TEXT NOT NULL DEFAULT 'running'
	                CHECK (status = 'running' OR status = 'completed' OR status = 'failed'),
	-- Why a run failed, in words: "conversation 9999 'Save IHL' failed: ...".
	status_detail   TEXT,
	params          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
	created_by      TEXT,
	started_at      TEXT NOT NULL,
	completed_at    TEXT,
	updated_at      TEXT NOT NULL
);
CREATE INDEX workflow_runs_by_posting ON workflow_runs (posting_id, workflow_id, status);
CREATE INDEX workflow_runs_by_status ON workflow_runs (status, workflow_id);

-- The unit of work and its audit record. Status moves pending -> running ->
-- completed | failed; a retry moves running -> pending with a later not_before;
-- 'waiting' is a fan-in step whose group has not finished yet.
CREATE TABLE interactions (
	interaction_id   INTEGER PRIMARY KEY,
	workflow_run_id  INTEGER NOT NULL REFERENCES workflow_runs (workflow_run_id) ON DELETE CASCADE,
	posting_id       INTEGER REFERENCES postings (posting_id),
	conversation_id  INTEGER NOT NULL REFERENCES conversations (conversation_id),
	actor_id         INTEGER NOT NULL REFERENCES actors (actor_id),
	status           TEXT NOT NULL DEFAULT 'pending'
	                 CHECK (status = 'pending' OR status = 'waiting' OR status = 'running' OR
	                        status = 'completed' OR status = 'failed'),
	execution_order  INTEGER NOT NULL,
	-- The rule that created this interaction (NULL for a run's seed). No foreign key:
	-- this is history, and reloading a workflow may replace its rules.
	via_rule_id      INTEGER,
	input            TEXT,
	output           TEXT,
	-- What branching matched against: the response text, or the output's status.
	branch_text      TEXT,
	error_message    TEXT,
	failure_class    TEXT,
	attempts         INTEGER NOT NULL DEFAULT 0,
	max_attempts     INTEGER NOT NULL DEFAULT 3,
	not_before       TEXT NOT NULL,
	lease_owner      TEXT,
	lease_expires_at TEXT,
	created_at       TEXT NOT NULL,
	started_at       TEXT,
	completed_at     TEXT,
	duration_ms      INTEGER,
	-- What the model server reported (NULL for other actors).
	backend          TEXT,
	model            TEXT,
	prompt_tokens    INTEGER,
	output_tokens    INTEGER,
	total_duration_ms REAL,
	load_duration_ms REAL,
	eval_duration_ms REAL,
	done_reason      TEXT
);
CREATE INDEX interactions_ready ON interactions (status, not_before)
	WHERE status = 'pending' OR status = 'running' OR status = 'waiting';
CREATE INDEX interactions_by_run ON interactions (workflow_run_id, conversation_id);
-- The engine takes the pending interactions of the oldest runs first, a window
-- at a time: in this order it walks the index and stops, instead of sorting
-- every pending row (thousands, with a large queue) for every window.
CREATE INDEX interactions_pending ON interactions (workflow_run_id, interaction_id) WHERE status = 'pending';

-- All parents of an interaction (one, or a whole group for a fan-in step).
CREATE TABLE interaction_parents (
	interaction_id        INTEGER NOT NULL REFERENCES interactions (interaction_id) ON DELETE CASCADE,
	parent_interaction_id INTEGER NOT NULL REFERENCES interactions (interaction_id) ON DELETE CASCADE,
	PRIMARY KEY (interaction_id, parent_interaction_id)
) WITHOUT ROWID;
CREATE INDEX interaction_parents_by_parent ON interaction_parents (parent_interaction_id);

-- Append-only log of what happened to each interaction.
CREATE TABLE interaction_events (
	event_id        INTEGER PRIMARY KEY,
	interaction_id  INTEGER NOT NULL REFERENCES interactions (interaction_id) ON DELETE CASCADE,
	event_type      TEXT NOT NULL CHECK (
	                    event_type = 'interaction_created' OR event_type = 'interaction_started' OR
	                    event_type = 'interaction_completed' OR event_type = 'interaction_failed' OR
	                    event_type = 'interaction_retried' OR event_type = 'interaction_branched' OR
	                    event_type = 'no_rule_matched' OR event_type = 'lease_expired' OR
	                    event_type = 'group_waiting' OR event_type = 'interaction_released'),
	event_data      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(event_data)),
	event_timestamp TEXT NOT NULL
);
CREATE INDEX interaction_events_by_interaction ON interaction_events (interaction_id);

-- Sync bookkeeping, kept apart from postings so postings keeps turing's shape.
CREATE TABLE posting_sync (
	posting_id        INTEGER PRIMARY KEY REFERENCES postings (posting_id) ON DELETE CASCADE,
	remote_updated_at TEXT,  -- postings.updated_at in turing when last pulled
	pulled_at         TEXT,
	pushed_at         TEXT,  -- when results were last pushed
	pushed_results_at TEXT   -- results_updated_at of what was pushed
);

CREATE TABLE sync_state (
	key   TEXT PRIMARY KEY,
	value TEXT
);
