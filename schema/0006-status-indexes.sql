-- 0006: indexes that let `status` (and `report`) count a whole workflow in one
-- pass each, in the order of an index, instead of about 45 scans of whole
-- tables (10 s at 50,000 postings). Only indexes: no row changes.
--
-- Per step and per model: counts by status, attempts, tokens and times, all
-- in the index (covering), grouped by conversation in index order.
CREATE INDEX IF NOT EXISTS interactions_by_step ON interactions (conversation_id, model, backend, status,
	workflow_run_id, attempts, prompt_tokens, output_tokens, duration_ms, load_duration_ms);
-- The errors of a step: only the rows that have one.
CREATE INDEX IF NOT EXISTS interactions_errors ON interactions (conversation_id, failure_class, error_message)
	WHERE error_message IS NOT NULL;
-- Retries and dead ends, few among the events, counted without reading the rest.
CREATE INDEX IF NOT EXISTS interaction_events_rare ON interaction_events (event_type, interaction_id)
	WHERE event_type = 'interaction_retried' OR event_type = 'no_rule_matched';
