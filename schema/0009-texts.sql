-- 0009: requests stored without repeating themselves. An interaction's input
-- repeats what other inputs hold: the fixed text of its step's template (the
-- same for every posting), the posting's description and earlier answers
-- (the same in several steps of a run). Each such piece is stored here once;
-- interactions.input then holds a recipe (a BLOB) that names the pieces, and
-- the SQL function stored_text(input) rebuilds the exact request. A TEXT input
-- is the request itself, as in every row written before this version, so no
-- row changes. branch_text may likewise be an empty BLOB: the output again
-- (stored_text(branch_text, output)).
CREATE TABLE IF NOT EXISTS texts (
	text_id INTEGER PRIMARY KEY,
	hash    INTEGER NOT NULL,  -- the first 8 bytes of the body's SHA-256
	body    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS texts_by_hash ON texts (hash);
