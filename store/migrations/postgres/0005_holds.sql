-- Legal holds: while a hold is active (released_at NULL), the payloads of the
-- records it covers survive every purge. A hold covers the records of a
-- principal and/or namespace ('' = any) made in [since, until) (NULL = open).
-- Times are BIGINT Unix nanoseconds, UTC.
CREATE TABLE holds (
	id          TEXT   NOT NULL PRIMARY KEY,
	case_id     TEXT   NOT NULL,
	principal   TEXT   NOT NULL,
	namespace   TEXT   NOT NULL,
	since       BIGINT,
	until       BIGINT,
	created_at  BIGINT NOT NULL,
	created_by  TEXT   NOT NULL,
	released_at BIGINT,
	released_by TEXT   NOT NULL DEFAULT ''
);
