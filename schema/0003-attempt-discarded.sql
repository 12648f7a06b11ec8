-- 0003: the event 'attempt_discarded': an attempt ended after another process
-- had taken its lease (its process was stopped, or its clock jumped), and
-- nothing of it was recorded. SQLite cannot change a CHECK constraint, so the
-- events table is rebuilt with the same columns, rows and index.
CREATE TABLE interaction_events_0003 (
	event_id        INTEGER PRIMARY KEY,
	interaction_id  INTEGER NOT NULL REFERENCES interactions (interaction_id) ON DELETE CASCADE,
	event_type      TEXT NOT NULL CHECK (
	                    event_type = 'interaction_created' OR event_type = 'interaction_started' OR
	                    event_type = 'interaction_completed' OR event_type = 'interaction_failed' OR
	                    event_type = 'interaction_retried' OR event_type = 'interaction_branched' OR
	                    event_type = 'no_rule_matched' OR event_type = 'lease_expired' OR
	                    event_type = 'group_waiting' OR event_type = 'interaction_released' OR
	                    event_type = 'attempt_discarded'),
	event_data      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(event_data)),
	event_timestamp TEXT NOT NULL
);
INSERT INTO interaction_events_0003 (event_id, interaction_id, event_type, event_data, event_timestamp)
	SELECT event_id, interaction_id, event_type, event_data, event_timestamp FROM interaction_events;
DROP TABLE interaction_events;
ALTER TABLE interaction_events_0003 RENAME TO interaction_events;
CREATE INDEX interaction_events_by_interaction ON interaction_events (interaction_id);
