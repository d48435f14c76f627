-- API keys and their hashed secrets. Times are INTEGER Unix nanoseconds, UTC;
-- NULL means "never" / "not set".
CREATE TABLE api_keys (
	id           TEXT    NOT NULL PRIMARY KEY,
	name         TEXT    NOT NULL,
	role         TEXT    NOT NULL,
	models       TEXT    NOT NULL DEFAULT '[]', -- JSON array of globs
	rpm          INTEGER NOT NULL DEFAULT 0,
	tpm          INTEGER NOT NULL DEFAULT 0,
	prefix       TEXT    NOT NULL,              -- prefix of the current secret
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	revoked_at   INTEGER,
	last_used_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX api_keys_created ON api_keys (created_at, id);

CREATE TABLE api_key_secrets (
	hash       BLOB    NOT NULL PRIMARY KEY,    -- HMAC-SHA256 of the full secret
	key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
	prefix     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	not_after  INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX api_key_secrets_key ON api_key_secrets (key_id);
