-- Approvals of high-risk requests. An approval is bound to a principal, a
-- model and a keyed hash of the prompt (binding); it is pending until an
-- approver decides, and an approval is valid until valid_until. Times are
-- BIGINT Unix nanoseconds, UTC. reasons is a JSON array of why the request
-- was held; preview is the prompt as the content policy redacts it.
CREATE TABLE approvals (
	id            TEXT   NOT NULL PRIMARY KEY,
	binding       TEXT   NOT NULL,
	principal     TEXT   NOT NULL,
	model         TEXT   NOT NULL,
	reasons       TEXT   NOT NULL,
	preview       TEXT   NOT NULL,
	request_id    TEXT   NOT NULL,
	status        TEXT   NOT NULL,
	created_at    BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL,
	decided_at    BIGINT,
	decided_by    TEXT   NOT NULL DEFAULT '',
	decision_note TEXT   NOT NULL DEFAULT '',
	valid_until   BIGINT,
	uses          BIGINT NOT NULL DEFAULT 0,
	last_used_at  BIGINT
);
CREATE INDEX approvals_binding ON approvals (binding, created_at);
CREATE INDEX approvals_status ON approvals (status, created_at);
