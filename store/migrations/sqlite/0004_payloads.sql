-- Sealed payloads: the prompt and response of an audit record whose
-- classification says store: full, each sealed (seal.Sealed.Marshal) under
-- kek, the key-encryption key of the classification's retention period. No
-- plaintext is ever stored here. Times are INTEGER Unix nanoseconds, UTC.
-- response is NULL when no response was kept. A rowid table, not WITHOUT
-- ROWID: rows carry whole prompts, too large to sit in a primary key.
CREATE TABLE payloads (
	record_id      TEXT    NOT NULL PRIMARY KEY,  -- the audit record's id (aud_...)
	classification TEXT    NOT NULL,
	kek            TEXT    NOT NULL,              -- seal.KeyName(classification, end of retention)
	expires_at     INTEGER NOT NULL,              -- when retention ends
	created_at     INTEGER NOT NULL,
	prompt         BLOB    NOT NULL,
	response       BLOB
) STRICT;

-- Crypto-shredding deletes by key (payloads_kek). The retention run asks
-- which keys have only expired payloads: the expired ones are few, as they
-- are deleted once their key is destroyed (payloads_expires), and whether a
-- key has any payload not yet expired is one probe (payloads_kek).
CREATE INDEX payloads_kek     ON payloads (kek, expires_at);
CREATE INDEX payloads_expires ON payloads (expires_at, kek);
