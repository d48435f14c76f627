-- Where each audit sink has shipped a log to: the next leaf index to send,
-- per sink and log origin, and how the last attempt went. Times are
-- BIGINT Unix nanoseconds, UTC.
CREATE TABLE sink_cursors (
	sink         TEXT    NOT NULL,
	origin       TEXT    NOT NULL,
	next_index   BIGINT NOT NULL,
	shipped_at   BIGINT,
	last_error   TEXT    NOT NULL DEFAULT '',
	error_at     BIGINT,
	PRIMARY KEY (sink, origin)
);
