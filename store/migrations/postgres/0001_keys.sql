-- API keys and their hashed secrets. Times are BIGINT Unix nanoseconds, UTC;
-- NULL means "never" / "not set".
CREATE TABLE api_keys (
	id           TEXT   NOT NULL PRIMARY KEY,
	name         TEXT   NOT NULL,
	role         TEXT   NOT NULL,
	models       TEXT   NOT NULL DEFAULT '[]', -- JSON array of globs
	rpm          BIGINT NOT NULL DEFAULT 0,
	tpm          BIGINT NOT NULL DEFAULT 0,
	prefix       TEXT   NOT NULL,              -- prefix of the current secret
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	revoked_at   BIGINT,
	last_used_at BIGINT
);

CREATE INDEX api_keys_created ON api_keys (created_at, id);

CREATE TABLE api_key_secrets (
	hash       BYTEA  NOT NULL PRIMARY KEY,    -- HMAC-SHA256 of the full secret
	key_id     TEXT   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
	prefix     TEXT   NOT NULL,
	created_at BIGINT NOT NULL,
	not_after  BIGINT
);

CREATE INDEX api_key_secrets_key ON api_key_secrets (key_id);
