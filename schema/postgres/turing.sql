-- turing's tables that waverunner sync reads and writes, for PostgreSQL: the
-- postings table with the columns and CHECK constraints SPEC.md lists, and the
-- workflow definition tables with the columns the original engine used.
-- Written for this project (tests and stand-ins); the real turing has more
-- tables and columns, which sync ignores.

CREATE TABLE actors (
	actor_id         integer PRIMARY KEY,
	actor_name       text NOT NULL UNIQUE,
	actor_type       text NOT NULL CHECK (actor_type IN ('human', 'ai_model', 'script', 'machine_actor')),
	execution_type   text CHECK (execution_type IN ('ollama_api', 'http_api', 'python_script', 'bash_script',
	                                                'human_input')),
	execution_config jsonb DEFAULT '{}',
	script_file_path text,
	script_code      text,
	enabled          boolean DEFAULT true,
	url              text NOT NULL DEFAULT ''
);

CREATE TABLE conversations (
	conversation_id          integer PRIMARY KEY,
	conversation_name        text NOT NULL,
	canonical_name           text,
	actor_id                 integer NOT NULL REFERENCES actors (actor_id) ON UPDATE CASCADE ON DELETE RESTRICT,
	conversation_description text,
	context_strategy         text DEFAULT 'isolated'
	                         CHECK (context_strategy IN ('isolated', 'inherit_previous', 'shared_conversation')),
	max_instruction_runs     integer DEFAULT 50,
	enabled                  boolean DEFAULT true,
	timeout_seconds          integer DEFAULT 300,
	created_at               timestamp DEFAULT now(),
	updated_at               timestamp DEFAULT now()
);

-- turing's default for environment ('DEV') fails its own CHECK; 'dev' here.
CREATE TABLE workflows (
	workflow_id            integer PRIMARY KEY,
	workflow_name          text NOT NULL,
	workflow_description   text,
	workflow_version       integer DEFAULT 1,
	max_total_session_runs integer DEFAULT 100,
	enabled                boolean DEFAULT true,
	environment            varchar(10) NOT NULL DEFAULT 'dev'
	                       CHECK (environment IN ('dev', 'test', 'uat', 'prod', 'old')),
	created_at             timestamp DEFAULT now(),
	updated_at             timestamp DEFAULT now(),
	UNIQUE (workflow_name, workflow_version)
);

CREATE TABLE workflow_conversations (
	step_id         serial PRIMARY KEY,
	workflow_id     integer NOT NULL REFERENCES workflows (workflow_id),
	conversation_id integer NOT NULL REFERENCES conversations (conversation_id),
	execution_order integer NOT NULL,
	parallel_group  integer,
	wait_for_group  boolean DEFAULT false,
	enabled         boolean NOT NULL DEFAULT true,
	UNIQUE (workflow_id, execution_order)
);

-- Several instructions per conversation are possible; the engine used the
-- enabled one with step_number 1.
CREATE TABLE instructions (
	instruction_id    serial PRIMARY KEY,
	conversation_id   integer NOT NULL REFERENCES conversations (conversation_id),
	instruction_name  text NOT NULL,
	step_number       integer NOT NULL,
	prompt_template   text NOT NULL,
	enabled           boolean DEFAULT true,
	staleness_days    integer,
	timeout_seconds   integer DEFAULT 300,
	is_terminal       boolean DEFAULT false,
	delegate_actor_id integer
);

CREATE TABLE instruction_steps (
	instruction_step_id   serial PRIMARY KEY,
	instruction_step_name text NOT NULL UNIQUE,
	instruction_id        integer NOT NULL REFERENCES instructions (instruction_id) ON DELETE CASCADE,
	branch_condition      text NOT NULL,
	next_conversation_id  integer REFERENCES conversations (conversation_id) ON DELETE SET NULL,
	next_instruction_id   integer REFERENCES instructions (instruction_id),
	branch_priority       integer DEFAULT 5,
	max_iterations        integer CHECK (max_iterations IS NULL OR max_iterations > 0),
	branch_description    text,
	enabled               boolean DEFAULT true,
	created_at            timestamp DEFAULT now(),
	updated_at            timestamp DEFAULT now(),
	CONSTRAINT chk_branch_target CHECK (next_instruction_id IS NULL OR next_conversation_id IS NULL)
);

-- Only what postings' provenance columns refer to.
CREATE TABLE interactions (
	interaction_id  bigserial PRIMARY KEY,
	posting_id      integer,
	conversation_id integer NOT NULL,
	status          text NOT NULL DEFAULT 'pending'
	                CHECK (status IN ('pending', 'running', 'completed', 'failed', 'invalidated')),
	created_at      timestamptz DEFAULT now()
);

CREATE TABLE postings (
	posting_id                serial PRIMARY KEY,
	posting_name              text NOT NULL,
	job_title                 text,
	job_description           text,
	location_city             text,
	location_country          text,
	source                    varchar(50),
	external_job_id           text NOT NULL,
	external_id               varchar(255),
	external_url              text NOT NULL,
	posting_status            text DEFAULT 'active'
	                          CHECK (posting_status IN ('pending', 'active', 'complete', 'filled', 'invalid')),
	first_seen_at             timestamp,
	last_seen_at              timestamp,
	updated_at                timestamp DEFAULT now(),
	source_metadata           jsonb,
	extracted_summary         text,
	skill_keywords            jsonb,
	-- The column allows 0-100; workflow 3001 writes 0-10, and so do turing's existing scores.
	ihl_score                 integer CHECK (ihl_score IS NULL OR (ihl_score >= 0 AND ihl_score <= 100)),
	created_by_interaction_id bigint REFERENCES interactions (interaction_id) ON DELETE SET NULL,
	updated_by_interaction_id bigint REFERENCES interactions (interaction_id) ON DELETE SET NULL,
	invalidated               boolean DEFAULT false,
	enabled                   boolean DEFAULT true
);
CREATE UNIQUE INDEX postings_external_job_id ON postings (external_job_id) WHERE invalidated = false;

-- turing keeps updated_at current with a trigger.
CREATE FUNCTION postings_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER postings_updated_at BEFORE UPDATE ON postings FOR EACH ROW EXECUTE FUNCTION postings_touch();
