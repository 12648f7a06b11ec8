-- 0010: the numbers `status` shows, kept as they change instead of counted
-- over every interaction each time it runs (1 s at 100,000 postings, growing
-- with every finished one). Triggers keep four small tables exact in the same
-- transaction as the change that moves a number: a run written or changed, an
-- interaction finished (or no longer finished), an error set or cleared, a
-- retry or dead end recorded; and rows deleted. The migration
-- fills them from the rows a database already has; run again, it counts
-- them again from scratch.
--
-- The triggers name workflow_runs, interactions and interaction_events: a
-- later migration that rebuilds one of them (create, copy, drop, rename) drops
-- these triggers first and makes them again after, as SQLite's ALTER TABLE
-- RENAME refuses to leave a trigger naming a table that is not there.
--
-- Keys may be NULL (a step without a model, an error without a class); a
-- unique index over ifnull(x, x'') tells NULL apart from any text, since a
-- blob never equals text, so that an upsert finds the row of a NULL key.

-- Runs by workflow and state.
CREATE TABLE IF NOT EXISTS status_runs (
	workflow_id INTEGER NOT NULL,
	status      TEXT NOT NULL,
	runs        INTEGER NOT NULL,
	PRIMARY KEY (workflow_id, status)
) WITHOUT ROWID;

-- Finished interactions (completed, failed) by workflow, step, state, model
-- and backend: how many, their attempts, and the sums of what the model
-- server reported, each with how many had a value (a sum of none is shown as
-- nothing, not 0). Load time in whole nanoseconds (what Ollama reports), so
-- that adding and taking away never rounds. last_interaction_id: the latest
-- one counted here. The live ones (pending, waiting, running) are not
-- counted: status reads them (interactions_ready holds only them), and the
-- engine, which moves each interaction through them, writes no count until
-- it finishes.
CREATE TABLE IF NOT EXISTS status_steps (
	workflow_id         INTEGER NOT NULL,
	conversation_id     INTEGER NOT NULL,
	status              TEXT NOT NULL,
	model               TEXT,
	backend             TEXT,
	interactions        INTEGER NOT NULL,
	attempts            INTEGER NOT NULL,
	prompt_tokens       INTEGER NOT NULL,
	prompt_n            INTEGER NOT NULL,
	output_tokens       INTEGER NOT NULL,
	output_n            INTEGER NOT NULL,
	duration_ms         INTEGER NOT NULL,
	duration_n          INTEGER NOT NULL,
	load_ns             INTEGER NOT NULL,
	load_n              INTEGER NOT NULL,
	loads               INTEGER NOT NULL,  -- load times over 500 ms: the model was (re)loaded
	last_interaction_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS status_steps_key ON status_steps (workflow_id, conversation_id, status, ifnull(model, x''),
	ifnull(backend, x''));

-- Interactions with an error by workflow, step, class and message. A row
-- whose count drops to 0 is deleted: messages that differ in numbers would
-- otherwise pile up.
CREATE TABLE IF NOT EXISTS status_errors (
	workflow_id     INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	failure_class   TEXT,
	error_message   TEXT NOT NULL,
	interactions    INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS status_errors_key ON status_errors (workflow_id, conversation_id, ifnull(failure_class, x''),
	error_message);

-- Retries and dead ends (events interaction_retried, no_rule_matched) by
-- workflow and step.
CREATE TABLE IF NOT EXISTS status_events (
	workflow_id     INTEGER NOT NULL,
	conversation_id INTEGER NOT NULL,
	retries         INTEGER NOT NULL,
	dead_ends       INTEGER NOT NULL,
	PRIMARY KEY (workflow_id, conversation_id)
) WITHOUT ROWID;

-- What the existing rows add up to (from scratch: a database made by an
-- older build at this version may have counts already).
DELETE FROM status_runs;
DELETE FROM status_steps;
DELETE FROM status_errors;
DELETE FROM status_events;
INSERT INTO status_runs (workflow_id, status, runs)
	SELECT workflow_id, status, count(*) FROM workflow_runs GROUP BY workflow_id, status;
INSERT INTO status_steps (workflow_id, conversation_id, status, model, backend, interactions, attempts,
		prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n, loads,
		last_interaction_id)
	SELECT r.workflow_id, i.conversation_id, i.status, i.model, i.backend, count(*), sum(i.attempts),
		ifnull(sum(i.prompt_tokens), 0), count(i.prompt_tokens), ifnull(sum(i.output_tokens), 0),
		count(i.output_tokens), ifnull(sum(i.duration_ms), 0), count(i.duration_ms),
		ifnull(sum(CAST(round(i.load_duration_ms * 1e6) AS INTEGER)), 0), count(i.load_duration_ms),
		count(*) FILTER (WHERE i.load_duration_ms > 500), max(i.interaction_id)
	FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id
	WHERE i.status = 'completed' OR i.status = 'failed'
	GROUP BY r.workflow_id, i.conversation_id, i.status, i.model, i.backend;
INSERT INTO status_errors (workflow_id, conversation_id, failure_class, error_message, interactions)
	SELECT r.workflow_id, i.conversation_id, i.failure_class, i.error_message, count(*)
	FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id
	WHERE i.error_message IS NOT NULL
	GROUP BY r.workflow_id, i.conversation_id, i.failure_class, i.error_message;
INSERT INTO status_events (workflow_id, conversation_id, retries, dead_ends)
	SELECT r.workflow_id, i.conversation_id, count(*) FILTER (WHERE e.event_type = 'interaction_retried'),
		count(*) FILTER (WHERE e.event_type = 'no_rule_matched')
	FROM interaction_events e JOIN interactions i ON i.interaction_id = e.interaction_id
	JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id
	WHERE e.event_type = 'interaction_retried' OR e.event_type = 'no_rule_matched'
	GROUP BY r.workflow_id, i.conversation_id;

-- Status read these indexes (0006) to count; the tables above replace them.
-- interactions_errors stays: status RUN lists one run's errors through it.
DROP INDEX IF EXISTS interactions_by_step;
DROP INDEX IF EXISTS interaction_events_rare;

-- A run stays in its workflow, an interaction in its run and step, an event
-- with its interaction and kind: the counts are kept where they were added.
CREATE TRIGGER IF NOT EXISTS status_runs_fixed BEFORE UPDATE OF workflow_id ON workflow_runs
WHEN old.workflow_id IS NOT new.workflow_id BEGIN
	SELECT RAISE(ABORT, 'a run does not change workflow (status counts it there)');
END;
CREATE TRIGGER IF NOT EXISTS status_interactions_fixed BEFORE UPDATE OF workflow_run_id, conversation_id ON interactions
WHEN old.workflow_run_id IS NOT new.workflow_run_id OR old.conversation_id IS NOT new.conversation_id BEGIN
	SELECT RAISE(ABORT, 'an interaction does not change run or step (status counts it there)');
END;
CREATE TRIGGER IF NOT EXISTS status_events_fixed BEFORE UPDATE OF interaction_id, event_type ON interaction_events
WHEN old.interaction_id IS NOT new.interaction_id OR old.event_type IS NOT new.event_type BEGIN
	SELECT RAISE(ABORT, 'an event does not change interaction or kind (status counts it there)');
END;

-- Runs.
CREATE TRIGGER IF NOT EXISTS status_runs_insert AFTER INSERT ON workflow_runs BEGIN
	INSERT INTO status_runs (workflow_id, status, runs) VALUES (new.workflow_id, new.status, 1)
	ON CONFLICT (workflow_id, status) DO UPDATE SET runs = runs + 1;
END;
CREATE TRIGGER IF NOT EXISTS status_runs_update AFTER UPDATE OF status ON workflow_runs
WHEN old.status IS NOT new.status BEGIN
	INSERT INTO status_runs (workflow_id, status, runs) VALUES (old.workflow_id, old.status, -1)
	ON CONFLICT (workflow_id, status) DO UPDATE SET runs = runs - 1;
	INSERT INTO status_runs (workflow_id, status, runs) VALUES (new.workflow_id, new.status, 1)
	ON CONFLICT (workflow_id, status) DO UPDATE SET runs = runs + 1;
END;
-- A run's interactions go first, while the run is there to say whose they
-- are (a cascade would delete them after it).
CREATE TRIGGER IF NOT EXISTS status_runs_delete_interactions BEFORE DELETE ON workflow_runs BEGIN
	DELETE FROM interactions WHERE workflow_run_id = old.workflow_run_id;
END;
CREATE TRIGGER IF NOT EXISTS status_runs_delete AFTER DELETE ON workflow_runs BEGIN
	INSERT INTO status_runs (workflow_id, status, runs) VALUES (old.workflow_id, old.status, -1)
	ON CONFLICT (workflow_id, status) DO UPDATE SET runs = runs - 1;
END;

-- Finished interactions: what one adds to its row of status_steps, or takes
-- away (-1). The same statement four times, for new and old rows.
CREATE TRIGGER IF NOT EXISTS status_steps_insert AFTER INSERT ON interactions
WHEN new.status = 'completed' OR new.status = 'failed' BEGIN
	INSERT INTO status_steps (workflow_id, conversation_id, status, model, backend, interactions, attempts,
			prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n,
			loads, last_interaction_id)
		SELECT r.workflow_id, new.conversation_id, new.status, new.model, new.backend, 1, new.attempts,
			ifnull(new.prompt_tokens, 0), new.prompt_tokens IS NOT NULL, ifnull(new.output_tokens, 0),
			new.output_tokens IS NOT NULL, ifnull(new.duration_ms, 0), new.duration_ms IS NOT NULL,
			ifnull(CAST(round(new.load_duration_ms * 1e6) AS INTEGER), 0), new.load_duration_ms IS NOT NULL,
			ifnull(new.load_duration_ms > 500, 0), new.interaction_id
		FROM workflow_runs r WHERE r.workflow_run_id = new.workflow_run_id
	ON CONFLICT (workflow_id, conversation_id, status, ifnull(model, x''), ifnull(backend, x'')) DO UPDATE SET
		interactions = interactions + excluded.interactions, attempts = attempts + excluded.attempts,
		prompt_tokens = prompt_tokens + excluded.prompt_tokens, prompt_n = prompt_n + excluded.prompt_n,
		output_tokens = output_tokens + excluded.output_tokens, output_n = output_n + excluded.output_n,
		duration_ms = duration_ms + excluded.duration_ms, duration_n = duration_n + excluded.duration_n,
		load_ns = load_ns + excluded.load_ns, load_n = load_n + excluded.load_n, loads = loads + excluded.loads,
		last_interaction_id = max(last_interaction_id, excluded.last_interaction_id);
END;
CREATE TRIGGER IF NOT EXISTS status_steps_update AFTER UPDATE OF status, model, backend, attempts, prompt_tokens, output_tokens,
	duration_ms, load_duration_ms ON interactions
WHEN (old.status = 'completed' OR old.status = 'failed' OR new.status = 'completed' OR new.status = 'failed')
	AND (old.status IS NOT new.status OR old.model IS NOT new.model OR old.backend IS NOT new.backend
	OR old.attempts IS NOT new.attempts OR old.prompt_tokens IS NOT new.prompt_tokens
	OR old.output_tokens IS NOT new.output_tokens OR old.duration_ms IS NOT new.duration_ms
	OR old.load_duration_ms IS NOT new.load_duration_ms) BEGIN
	INSERT INTO status_steps (workflow_id, conversation_id, status, model, backend, interactions, attempts,
			prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n,
			loads, last_interaction_id)
		SELECT r.workflow_id, old.conversation_id, old.status, old.model, old.backend, -1, -old.attempts,
			-ifnull(old.prompt_tokens, 0), -(old.prompt_tokens IS NOT NULL), -ifnull(old.output_tokens, 0),
			-(old.output_tokens IS NOT NULL), -ifnull(old.duration_ms, 0), -(old.duration_ms IS NOT NULL),
			-ifnull(CAST(round(old.load_duration_ms * 1e6) AS INTEGER), 0), -(old.load_duration_ms IS NOT NULL),
			-ifnull(old.load_duration_ms > 500, 0), old.interaction_id
		FROM workflow_runs r WHERE r.workflow_run_id = old.workflow_run_id
			AND (old.status = 'completed' OR old.status = 'failed')
	ON CONFLICT (workflow_id, conversation_id, status, ifnull(model, x''), ifnull(backend, x'')) DO UPDATE SET
		interactions = interactions + excluded.interactions, attempts = attempts + excluded.attempts,
		prompt_tokens = prompt_tokens + excluded.prompt_tokens, prompt_n = prompt_n + excluded.prompt_n,
		output_tokens = output_tokens + excluded.output_tokens, output_n = output_n + excluded.output_n,
		duration_ms = duration_ms + excluded.duration_ms, duration_n = duration_n + excluded.duration_n,
		load_ns = load_ns + excluded.load_ns, load_n = load_n + excluded.load_n, loads = loads + excluded.loads,
		last_interaction_id = max(last_interaction_id, excluded.last_interaction_id);
	INSERT INTO status_steps (workflow_id, conversation_id, status, model, backend, interactions, attempts,
			prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n,
			loads, last_interaction_id)
		SELECT r.workflow_id, new.conversation_id, new.status, new.model, new.backend, 1, new.attempts,
			ifnull(new.prompt_tokens, 0), new.prompt_tokens IS NOT NULL, ifnull(new.output_tokens, 0),
			new.output_tokens IS NOT NULL, ifnull(new.duration_ms, 0), new.duration_ms IS NOT NULL,
			ifnull(CAST(round(new.load_duration_ms * 1e6) AS INTEGER), 0), new.load_duration_ms IS NOT NULL,
			ifnull(new.load_duration_ms > 500, 0), new.interaction_id
		FROM workflow_runs r WHERE r.workflow_run_id = new.workflow_run_id
			AND (new.status = 'completed' OR new.status = 'failed')
	ON CONFLICT (workflow_id, conversation_id, status, ifnull(model, x''), ifnull(backend, x'')) DO UPDATE SET
		interactions = interactions + excluded.interactions, attempts = attempts + excluded.attempts,
		prompt_tokens = prompt_tokens + excluded.prompt_tokens, prompt_n = prompt_n + excluded.prompt_n,
		output_tokens = output_tokens + excluded.output_tokens, output_n = output_n + excluded.output_n,
		duration_ms = duration_ms + excluded.duration_ms, duration_n = duration_n + excluded.duration_n,
		load_ns = load_ns + excluded.load_ns, load_n = load_n + excluded.load_n, loads = loads + excluded.loads,
		last_interaction_id = max(last_interaction_id, excluded.last_interaction_id);
END;
-- An interaction's events go first, while it is there to say whose they are.
CREATE TRIGGER IF NOT EXISTS status_steps_delete_events BEFORE DELETE ON interactions BEGIN
	DELETE FROM interaction_events WHERE interaction_id = old.interaction_id;
END;
CREATE TRIGGER IF NOT EXISTS status_steps_delete AFTER DELETE ON interactions
WHEN old.status = 'completed' OR old.status = 'failed' BEGIN
	INSERT INTO status_steps (workflow_id, conversation_id, status, model, backend, interactions, attempts,
			prompt_tokens, prompt_n, output_tokens, output_n, duration_ms, duration_n, load_ns, load_n,
			loads, last_interaction_id)
		SELECT r.workflow_id, old.conversation_id, old.status, old.model, old.backend, -1, -old.attempts,
			-ifnull(old.prompt_tokens, 0), -(old.prompt_tokens IS NOT NULL), -ifnull(old.output_tokens, 0),
			-(old.output_tokens IS NOT NULL), -ifnull(old.duration_ms, 0), -(old.duration_ms IS NOT NULL),
			-ifnull(CAST(round(old.load_duration_ms * 1e6) AS INTEGER), 0), -(old.load_duration_ms IS NOT NULL),
			-ifnull(old.load_duration_ms > 500, 0), 0
		FROM workflow_runs r WHERE r.workflow_run_id = old.workflow_run_id
	ON CONFLICT (workflow_id, conversation_id, status, ifnull(model, x''), ifnull(backend, x'')) DO UPDATE SET
		interactions = interactions + excluded.interactions, attempts = attempts + excluded.attempts,
		prompt_tokens = prompt_tokens + excluded.prompt_tokens, prompt_n = prompt_n + excluded.prompt_n,
		output_tokens = output_tokens + excluded.output_tokens, output_n = output_n + excluded.output_n,
		duration_ms = duration_ms + excluded.duration_ms, duration_n = duration_n + excluded.duration_n,
		load_ns = load_ns + excluded.load_ns, load_n = load_n + excluded.load_n, loads = loads + excluded.loads;
END;

-- Errors: an interaction counts under its message while it has one.
CREATE TRIGGER IF NOT EXISTS status_errors_insert AFTER INSERT ON interactions
WHEN new.error_message IS NOT NULL BEGIN
	INSERT INTO status_errors (workflow_id, conversation_id, failure_class, error_message, interactions)
		SELECT r.workflow_id, new.conversation_id, new.failure_class, new.error_message, 1
		FROM workflow_runs r WHERE r.workflow_run_id = new.workflow_run_id
	ON CONFLICT (workflow_id, conversation_id, ifnull(failure_class, x''), error_message)
	DO UPDATE SET interactions = interactions + 1;
END;
CREATE TRIGGER IF NOT EXISTS status_errors_update AFTER UPDATE OF error_message, failure_class ON interactions
WHEN old.error_message IS NOT new.error_message OR old.failure_class IS NOT new.failure_class BEGIN
	INSERT INTO status_errors (workflow_id, conversation_id, failure_class, error_message, interactions)
		SELECT r.workflow_id, old.conversation_id, old.failure_class, old.error_message, -1
		FROM workflow_runs r WHERE r.workflow_run_id = old.workflow_run_id AND old.error_message IS NOT NULL
	ON CONFLICT (workflow_id, conversation_id, ifnull(failure_class, x''), error_message)
	DO UPDATE SET interactions = interactions - 1;
	DELETE FROM status_errors WHERE interactions = 0
		AND workflow_id = (SELECT workflow_id FROM workflow_runs WHERE workflow_run_id = old.workflow_run_id)
		AND conversation_id = old.conversation_id AND ifnull(failure_class, x'') = ifnull(old.failure_class, x'')
		AND error_message = old.error_message;
	INSERT INTO status_errors (workflow_id, conversation_id, failure_class, error_message, interactions)
		SELECT r.workflow_id, new.conversation_id, new.failure_class, new.error_message, 1
		FROM workflow_runs r WHERE r.workflow_run_id = new.workflow_run_id AND new.error_message IS NOT NULL
	ON CONFLICT (workflow_id, conversation_id, ifnull(failure_class, x''), error_message)
	DO UPDATE SET interactions = interactions + 1;
END;
CREATE TRIGGER IF NOT EXISTS status_errors_delete AFTER DELETE ON interactions
WHEN old.error_message IS NOT NULL BEGIN
	INSERT INTO status_errors (workflow_id, conversation_id, failure_class, error_message, interactions)
		SELECT r.workflow_id, old.conversation_id, old.failure_class, old.error_message, -1
		FROM workflow_runs r WHERE r.workflow_run_id = old.workflow_run_id
	ON CONFLICT (workflow_id, conversation_id, ifnull(failure_class, x''), error_message)
	DO UPDATE SET interactions = interactions - 1;
	DELETE FROM status_errors WHERE interactions = 0
		AND workflow_id = (SELECT workflow_id FROM workflow_runs WHERE workflow_run_id = old.workflow_run_id)
		AND conversation_id = old.conversation_id AND ifnull(failure_class, x'') = ifnull(old.failure_class, x'')
		AND error_message = old.error_message;
END;

-- Retries and dead ends.
CREATE TRIGGER IF NOT EXISTS status_events_insert AFTER INSERT ON interaction_events
WHEN new.event_type = 'interaction_retried' OR new.event_type = 'no_rule_matched' BEGIN
	INSERT INTO status_events (workflow_id, conversation_id, retries, dead_ends)
		SELECT r.workflow_id, i.conversation_id, new.event_type = 'interaction_retried',
			new.event_type = 'no_rule_matched'
		FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id
		WHERE i.interaction_id = new.interaction_id
	ON CONFLICT (workflow_id, conversation_id) DO UPDATE SET retries = retries + excluded.retries,
		dead_ends = dead_ends + excluded.dead_ends;
END;
CREATE TRIGGER IF NOT EXISTS status_events_delete AFTER DELETE ON interaction_events
WHEN old.event_type = 'interaction_retried' OR old.event_type = 'no_rule_matched' BEGIN
	INSERT INTO status_events (workflow_id, conversation_id, retries, dead_ends)
		SELECT r.workflow_id, i.conversation_id, -(old.event_type = 'interaction_retried'),
			-(old.event_type = 'no_rule_matched')
		FROM interactions i JOIN workflow_runs r ON r.workflow_run_id = i.workflow_run_id
		WHERE i.interaction_id = old.interaction_id
	ON CONFLICT (workflow_id, conversation_id) DO UPDATE SET retries = retries + excluded.retries,
		dead_ends = dead_ends + excluded.dead_ends;
END;
