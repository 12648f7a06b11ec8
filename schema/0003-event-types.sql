-- 0003: the kinds of events are named by the code that records them, not listed
-- here. 0001 listed them in a CHECK constraint, and each new kind (an attempt
-- discarded because its lease was lost, a step reused by rerun, a failed step
-- resumed) would have rebuilt this table, the largest of the database, again.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt once, with
-- the same columns, rows and index, and a check of the name's form only.
CREATE TABLE interaction_events_0003 (
	event_id        INTEGER PRIMARY KEY,
	interaction_id  INTEGER NOT NULL REFERENCES interactions (interaction_id) ON DELETE CASCADE,
	event_type      TEXT NOT NULL CHECK (length(event_type) BETWEEN 1 AND 40 AND
	                                     event_type NOT GLOB '*[^a-z_]*'),
	event_data      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(event_data)),
	event_timestamp TEXT NOT NULL
);
INSERT INTO interaction_events_0003 (event_id, interaction_id, event_type, event_data, event_timestamp)
	SELECT event_id, interaction_id, event_type, event_data, event_timestamp FROM interaction_events;
DROP TABLE interaction_events;
ALTER TABLE interaction_events_0003 RENAME TO interaction_events;
CREATE INDEX interaction_events_by_interaction ON interaction_events (interaction_id);
