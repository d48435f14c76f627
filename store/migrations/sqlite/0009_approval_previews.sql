-- Approval previews are sealed like payloads (seal.Sealed.Marshal in
-- preview_sealed), under kek, the key-encryption key of the request's
-- classification for the period the preview is kept (until
-- preview_expires, Unix nanoseconds, UTC), with associated data binding
-- the approval's id: destroying kek (crypto-shredding) makes the preview
-- unreadable, copies and backups included. The old preview column held
-- the redacted prompt in clear: it is emptied here and never written
-- again (kept, empty, so that an older binary still works against this
-- schema). classification is the request's ("" when its model has none).
ALTER TABLE approvals ADD COLUMN classification  TEXT    NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN kek             TEXT    NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN preview_sealed  BLOB;
ALTER TABLE approvals ADD COLUMN preview_expires INTEGER;
UPDATE approvals SET preview = '' WHERE preview <> '';
CREATE INDEX approvals_kek ON approvals (kek, preview_expires);
