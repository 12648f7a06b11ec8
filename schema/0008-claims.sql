-- 0008: the claims this database holds in turing (sync pull --claim, work):
-- the token each claim was granted, so that a push writes a posting's results
-- only while turing's waverunner_claims row still holds that token.
CREATE TABLE IF NOT EXISTS posting_claims (
	posting_id INTEGER PRIMARY KEY REFERENCES postings (posting_id) ON DELETE CASCADE,
	server     TEXT NOT NULL,  -- where the claim is, as sync names it
	token      TEXT NOT NULL,
	claimed_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,  -- as PostgreSQL gave it when claimed or last extended
	released_at TEXT           -- given back unfinished (work interrupted): no longer held,
	                           -- but a push still needs the token to write
);
