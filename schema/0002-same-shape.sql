-- waverunner schema, version 2: every version-1 database gets the shape that
-- the current 0001-init.sql gives a new one.
--
-- 0001-init.sql was edited after it had shipped (commit eb1866a): its lists of
-- allowed values became comparisons joined by OR, the index interactions_ready
-- got its condition written the same way, and the index interactions_pending
-- was added. A database created before the edit stayed at version 1 without
-- that index, and `run` failed with "no such index: interactions_pending".
-- Both kinds of version-1 database exist; this migration brings either to the
-- shape of a new database (the same text in sqlite_master), and changes
-- nothing on one that has it already. Migrations are append-only: never edit
-- a shipped one (schema/README.md).
--
-- Tables: no column differs, only how the CHECK constraints are spelled
-- (x IN (a, b) against x = a OR x = b: the same values pass). SQLite cannot
-- alter a constraint; rebuilding ten tables that reference each other would
-- cost time in proportion to the data and store their names quoted
-- (CREATE TABLE "x"), unlike a new database. So the stored text of each table
-- is edited in place, the procedure SQLite's ALTER TABLE documentation gives
-- for changing CHECK constraints: each replace() turns one old spelling into
-- the new one and leaves text that has the new one alone. Rows and b-trees
-- are untouched. (A future migration that adds a column where only some
-- databases lack it would instead rebuild that one table.)
-- Indexes: interactions_ready is dropped and made again (which also makes
-- other connections reread the schema), interactions_pending made if missing.

PRAGMA writable_schema = ON;

UPDATE sqlite_master SET sql = replace(sql, 'CHECK (enabled IN (0, 1))', 'CHECK (enabled = 0 OR enabled = 1)')
WHERE type = 'table';
UPDATE sqlite_master SET sql = replace(sql, 'CHECK (is_terminal IN (0, 1))',
                                       'CHECK (is_terminal = 0 OR is_terminal = 1)')
WHERE type = 'table' AND name = 'conversations';
UPDATE sqlite_master SET sql = replace(sql, 'CHECK (wait_for_group IN (0, 1))',
                                       'CHECK (wait_for_group = 0 OR wait_for_group = 1)')
WHERE type = 'table' AND name = 'workflow_conversations';
UPDATE sqlite_master SET sql = replace(sql, 'CHECK (invalidated IN (0, 1))',
                                       'CHECK (invalidated = 0 OR invalidated = 1)')
WHERE type = 'table' AND name = 'postings';
UPDATE sqlite_master SET sql = replace(sql, 'CHECK (actor_type IN (''ai_model'', ''script'', ''builtin''))',
'CHECK (actor_type = ''ai_model'' OR actor_type = ''script'' OR
	                                        actor_type = ''builtin'')')
WHERE type = 'table' AND name = 'actors';
UPDATE sqlite_master SET sql = replace(sql,
'CHECK (posting_status IN (''pending'', ''active'', ''complete'', ''filled'', ''invalid''))',
'CHECK (posting_status = ''pending'' OR posting_status = ''active'' OR
	                                 posting_status = ''complete'' OR posting_status = ''filled'' OR
	                                 posting_status = ''invalid'')')
WHERE type = 'table' AND name = 'postings';
UPDATE sqlite_master SET sql = replace(sql,
'DEFAULT ''running'' CHECK (status IN (''running'', ''completed'', ''failed''))',
'DEFAULT ''running''
	                CHECK (status = ''running'' OR status = ''completed'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'workflow_runs';
UPDATE sqlite_master SET sql = replace(sql,
'CHECK (status IN (''pending'', ''waiting'', ''running'', ''completed'', ''failed''))',
'CHECK (status = ''pending'' OR status = ''waiting'' OR status = ''running'' OR
	                        status = ''completed'' OR status = ''failed'')')
WHERE type = 'table' AND name = 'interactions';
UPDATE sqlite_master SET sql = replace(sql,
'CHECK (event_type IN (
	                    ''interaction_created'', ''interaction_started'', ''interaction_completed'',
	                    ''interaction_failed'', ''interaction_retried'', ''interaction_branched'',
	                    ''no_rule_matched'', ''lease_expired'', ''group_waiting'', ''interaction_released''))',
'CHECK (
	                    event_type = ''interaction_created'' OR event_type = ''interaction_started'' OR
	                    event_type = ''interaction_completed'' OR event_type = ''interaction_failed'' OR
	                    event_type = ''interaction_retried'' OR event_type = ''interaction_branched'' OR
	                    event_type = ''no_rule_matched'' OR event_type = ''lease_expired'' OR
	                    event_type = ''group_waiting'' OR event_type = ''interaction_released'')')
WHERE type = 'table' AND name = 'interaction_events';

-- Off again, and this connection rereads the schema it has just rewritten.
PRAGMA writable_schema = RESET;

DROP INDEX IF EXISTS interactions_ready;
CREATE INDEX interactions_ready ON interactions (status, not_before)
	WHERE status = 'pending' OR status = 'running' OR status = 'waiting';
CREATE INDEX IF NOT EXISTS interactions_pending ON interactions (workflow_run_id, interaction_id) WHERE status = 'pending';
