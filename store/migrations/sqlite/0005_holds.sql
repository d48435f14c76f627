-- Legal holds: while a hold is active (released_at NULL), the payloads of the
-- records it covers survive every purge. A hold covers the records of a
-- principal and/or namespace ('' = any) made in [since, until) (NULL = open).
-- Times are INTEGER Unix nanoseconds, UTC.
CREATE TABLE holds (
	id          TEXT    NOT NULL PRIMARY KEY,
	case_id     TEXT    NOT NULL,
	principal   TEXT    NOT NULL,
	namespace   TEXT    NOT NULL,
	since       INTEGER,
	until       INTEGER,
	created_at  INTEGER NOT NULL,
	created_by  TEXT    NOT NULL,
	released_at INTEGER,
	released_by TEXT    NOT NULL DEFAULT ''
) STRICT;
