-- A key's scope in every limit a role has (0 = the role's), who created it,
-- and for each secret who issued it (created or rotated the key) and the id
-- of that act's audit record. Keys and secrets from before this migration
-- have '' for the latter: made by the operator's CLI or an unknown admin.
ALTER TABLE api_keys ADD COLUMN tokens_per_day    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN tokens_per_month  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN max_prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN max_tokens        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN created_by        TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_key_secrets ADD COLUMN issued_by  TEXT    NOT NULL DEFAULT '';
ALTER TABLE api_key_secrets ADD COLUMN issued_in  TEXT    NOT NULL DEFAULT '';
