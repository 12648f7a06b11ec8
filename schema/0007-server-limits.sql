-- 0007: what run learned about each model server: how many requests it takes
-- at once, and how that was found (the slots it reports, or measured). Status
-- shows it; run keeps it up to date while it works.
CREATE TABLE IF NOT EXISTS model_servers (
	server      TEXT PRIMARY KEY,
	max_in_flight INTEGER NOT NULL CHECK (max_in_flight > 0),
	source      TEXT NOT NULL CHECK (source IN ('reported', 'measured')),
	updated_at  TEXT NOT NULL
);
