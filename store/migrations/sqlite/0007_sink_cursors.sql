-- Where each audit sink has shipped a log to: the next leaf index to send,
-- per sink and log origin, and how the last attempt went. Times are
-- INTEGER Unix nanoseconds, UTC.
CREATE TABLE sink_cursors (
	sink         TEXT    NOT NULL,
	origin       TEXT    NOT NULL,
	next_index   INTEGER NOT NULL,
	shipped_at   INTEGER,
	last_error   TEXT    NOT NULL DEFAULT '',
	error_at     INTEGER,
	PRIMARY KEY (sink, origin)
) STRICT;
