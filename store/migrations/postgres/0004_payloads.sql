-- Sealed payloads: the prompt and response of an audit record whose
-- classification says store: full, each sealed (seal.Sealed.Marshal) under
-- kek, the key-encryption key of the classification's retention period. No
-- plaintext is ever stored here. Times are BIGINT Unix nanoseconds, UTC.
-- response is NULL when no response was kept. kek is COLLATE "C" so that it
-- sorts by bytes, as in SQLite, whatever the database's collation.
CREATE TABLE payloads (
	record_id      TEXT   NOT NULL PRIMARY KEY,  -- the audit record's id (aud_...)
	classification TEXT   NOT NULL,
	kek            TEXT COLLATE "C" NOT NULL,    -- seal.KeyName(classification, end of retention)
	expires_at     BIGINT NOT NULL,              -- when retention ends
	created_at     BIGINT NOT NULL,
	prompt         BYTEA  NOT NULL,
	response       BYTEA
);

-- Crypto-shredding deletes by key (payloads_kek). The retention run asks
-- which keys have only expired payloads: the expired ones are few, as they
-- are deleted once their key is destroyed (payloads_expires), and whether a
-- key has any payload not yet expired is one probe (payloads_kek).
CREATE INDEX payloads_kek     ON payloads (kek, expires_at);
CREATE INDEX payloads_expires ON payloads (expires_at, kek);
