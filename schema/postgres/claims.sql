-- waverunner's claims in turing (waverunner sync setup): which instance works
-- on which posting, so that several machines share one turing without doing
-- the same posting twice. One row per posting, added by sync setup and by each
-- sync pull --claim for postings newer than the newest row. Nothing else of
-- turing changes. Idempotent: sync setup runs it every time.
--
-- state: free (anyone may claim it), claimed (by instance, under token, until
-- expires_at; once expired anyone may take it over), done (its results were
-- pushed, or its run ended with nothing to push), failed (its run failed),
-- skipped (complete, filled, invalid, invalidated or disabled when it was
-- queued). token is random per claim: a push writes only under the token the
-- row still holds (the fence).
CREATE TABLE IF NOT EXISTS waverunner_claims (
	posting_id bigint PRIMARY KEY,
	state      text NOT NULL DEFAULT 'free'
	           CHECK (state IN ('free', 'claimed', 'done', 'failed', 'skipped')),
	instance   text,
	token      text,
	claimed_at timestamptz,
	expires_at timestamptz,
	done_at    timestamptz,
	claims     integer NOT NULL DEFAULT 0,
	CHECK (state <> 'claimed' OR (token IS NOT NULL AND expires_at IS NOT NULL))
);
-- The claim query reads free rows in posting_id order and expired claims in
-- expires_at order, each from a partial index that holds only those rows, so
-- a claim costs the same with a million done postings as with none.
CREATE INDEX IF NOT EXISTS waverunner_claims_free ON waverunner_claims (posting_id) WHERE state = 'free';
CREATE INDEX IF NOT EXISTS waverunner_claims_leases ON waverunner_claims (expires_at) WHERE state = 'claimed';
