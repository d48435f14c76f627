-- Per-key address allowlist: a JSON array of CIDRs; empty = any address.
ALTER TABLE api_keys ADD COLUMN ip_allow TEXT NOT NULL DEFAULT '[]';
