-- The audit search index: one row per audit record, keyed by the log it is in
-- (its origin, one log per gateway replica) and its leaf index in that log.
-- time_ms is the record's time in Unix milliseconds, UTC: the record's own
-- precision, unlike the nanoseconds of the other tables. entry is the
-- record's log entry, byte for byte. origin is COLLATE "C" so that it sorts
-- by bytes, as in SQLite, whatever the database's collation.
CREATE TABLE audit_records (
	origin         TEXT COLLATE "C" NOT NULL,
	leaf_index     BIGINT  NOT NULL CHECK (leaf_index >= 0),
	id             TEXT    NOT NULL UNIQUE,  -- unique across logs
	time_ms        BIGINT  NOT NULL,
	kind           TEXT    NOT NULL,         -- request | admin
	principal_id   TEXT    NOT NULL,         -- '' when unauthenticated
	principal_type TEXT    NOT NULL,
	key_id         TEXT    NOT NULL,
	endpoint       TEXT    NOT NULL,
	model          TEXT    NOT NULL,
	namespace      TEXT    NOT NULL,
	decision       TEXT    NOT NULL,         -- allow | deny | error
	status         INTEGER NOT NULL,
	request_id     TEXT    NOT NULL,
	prompt_hash    TEXT    NOT NULL,
	response_hash  TEXT    NOT NULL,
	entry          BYTEA   NOT NULL,
	PRIMARY KEY (origin, leaf_index)
);

-- Searches return the newest records first, in (time_ms, origin, leaf_index)
-- descending order. The time and the filtered indexes end with those columns,
-- so a search reads its rows in order and stops at the end of the page; the
-- request and prompt lookups match a handful of rows, sorted afterwards.
CREATE INDEX audit_records_time      ON audit_records (time_ms, origin, leaf_index);
CREATE INDEX audit_records_principal ON audit_records (principal_id, time_ms, origin, leaf_index);
CREATE INDEX audit_records_model     ON audit_records (model, time_ms, origin, leaf_index);
CREATE INDEX audit_records_decision  ON audit_records (decision, time_ms, origin, leaf_index);
CREATE INDEX audit_records_request   ON audit_records (request_id);
CREATE INDEX audit_records_prompt    ON audit_records (prompt_hash);

-- Per log: the follower's cursor (the next leaf index to index; it only moves
-- forward) and the largest signed checkpoint stored (NULL until the first).
CREATE TABLE audit_state (
	origin          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	next_index      BIGINT NOT NULL DEFAULT 0 CHECK (next_index >= 0),
	checkpoint_size BIGINT CHECK (checkpoint_size >= 0),
	checkpoint      BYTEA                    -- the signed note, as published
);
