package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardenhq/warden/seal"
)

// Approval is a high-risk request waiting for, or given, a human decision.
type Approval struct {
	ID        string   // "apr_" + random
	Binding   string   // keyed hash of (principal, model, prompt): what the decision applies to
	Principal string   // who asked
	Model     string   // for which model
	Reasons   []string // why it was held: "rule:<name>", "model", ...
	// Preview is the prompt as the content policy redacts it (shortened),
	// in memory only: the store never writes it. It keeps SealedPreview,
	// which retention.Keeper.SealPreview makes from it and OpenPreview
	// turns back into it.
	Preview string
	// Classification is the held request's data classification ("" when
	// its model has none); the preview is sealed under it.
	Classification string
	// PreviewKey is the KEK SealedPreview is sealed under
	// (seal.KeyName), and PreviewExpires the end of its period: when the
	// retention run destroys that key, and with it the preview.
	PreviewKey     string
	PreviewExpires time.Time
	// SealedPreview is Preview sealed (seal.Sealed.Marshal) under
	// PreviewKey, bound to the approval's id; nil when none is kept (or
	// its key was destroyed).
	SealedPreview []byte
	RequestID     string // the held request's X-Request-Id
	Status        string // ApprovalPending, ApprovalApproved or ApprovalDenied
	CreatedAt     time.Time
	ExpiresAt     time.Time // a pending approval not decided by then lapses
	DecidedAt     time.Time
	DecidedBy     string
	Note          string    // the approver's reason
	ValidTo       time.Time // a decision stands until then (an approval lets the same request through, a denial refuses it)
	Uses          int
	LastUsed      time.Time
}

// Approval states. An expired pending approval is reported as "expired".
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDenied   = "denied"
	ApprovalExpired  = "expired"
)

// State is the approval's state at now: pending, approved, denied, or
// expired (a pending one past ExpiresAt, a decided one past ValidTo).
func (a *Approval) State(now time.Time) string {
	switch {
	case a.Status == ApprovalPending && !now.Before(a.ExpiresAt):
		return ApprovalExpired
	case a.Status == ApprovalApproved && !now.Before(a.ValidTo):
		return ApprovalExpired
	case a.Status == ApprovalDenied && !a.ValidTo.IsZero() && !now.Before(a.ValidTo):
		return ApprovalExpired // the request may be asked for again
	}
	return a.Status
}

// View is the approval as the CLI and the admin API show it at now.
func (a Approval) View(now time.Time) map[string]any {
	opt := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	reasons := a.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return map[string]any{"id": a.ID, "principal": a.Principal, "model": a.Model, "reasons": reasons, "preview": a.Preview,
		"request_id": a.RequestID, "status": a.State(now), "created_at": opt(a.CreatedAt), "expires_at": opt(a.ExpiresAt),
		"decided_at": opt(a.DecidedAt), "decided_by": a.DecidedBy, "note": a.Note, "valid_until": opt(a.ValidTo),
		"uses": a.Uses, "last_used_at": opt(a.LastUsed)}
}

// ErrDecided: the approval was decided already (or lapsed).
var ErrDecided = errors.New("store: approval already decided or expired")

// approvalCols are the approvals columns scanApproval reads. The column
// preview (the clear text of schemas before 0009) is never read, and
// written only empty.
const approvalCols = `id, binding, principal, model, reasons, classification, kek, preview_expires, preview_sealed,
	request_id, status, created_at, expires_at, decided_at, decided_by, decision_note, valid_until, uses, last_used_at`

// NewApprovalID returns a fresh approval id ("apr_" + 20 hex digits), for
// a caller that must know the id before CreateApproval (to seal the
// preview bound to it).
func NewApprovalID() string {
	var b [10]byte
	rand.Read(b[:])
	return "apr_" + hex.EncodeToString(b[:])
}

// CreateApproval stores a new pending approval and returns it with its id
// (a.ID, or a new one if empty). The preview is stored only sealed
// (SealedPreview, under PreviewKey, which PreviewExpires must accompany);
// a.Preview is never written.
func (db *DB) CreateApproval(ctx context.Context, a Approval) (Approval, error) {
	if a.ID == "" {
		a.ID = NewApprovalID()
	}
	a.Status = ApprovalPending
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	if err := checkSealedPreview(&a); err != nil {
		return Approval{}, fmt.Errorf("store: create approval: %w", err)
	}
	reasons, _ := json.Marshal(a.Reasons)
	created, e1 := nanos(a.CreatedAt)
	expires, e2 := nanos(a.ExpiresAt)
	previewExpires, e3 := nanos(a.PreviewExpires)
	if err := errors.Join(e1, e2, e3); err != nil || !expires.Valid {
		return Approval{}, fmt.Errorf("store: create approval: times: %v", err)
	}
	var sealed []byte // NULL
	if len(a.SealedPreview) > 0 {
		sealed = a.SealedPreview
	}
	_, err := db.w.ExecContext(ctx, db.d.rebind(`INSERT INTO approvals (preview, `+approvalCols+`)
		VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', NULL, 0, NULL)`),
		a.ID, a.Binding, a.Principal, a.Model, string(reasons), a.Classification, a.PreviewKey, previewExpires, sealed,
		a.RequestID, a.Status, created, expires)
	if err != nil {
		return Approval{}, fmt.Errorf("store: create approval: %w", err)
	}
	return a, nil
}

// checkSealedPreview checks that a preview, if any, is sealed under
// PreviewKey and says until when (so that the retention run finds the key).
func checkSealedPreview(a *Approval) error {
	if len(a.SealedPreview) == 0 {
		a.PreviewKey, a.PreviewExpires = "", time.Time{}
		return nil
	}
	s, err := seal.Unmarshal(a.SealedPreview)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if a.PreviewKey == "" || s.Key != a.PreviewKey || a.PreviewExpires.IsZero() {
		return fmt.Errorf("preview: sealed under %q, want key %q and its period's end", s.Key, a.PreviewKey)
	}
	return nil
}

func scanApproval(sc interface{ Scan(...any) error }) (Approval, error) {
	var a Approval
	var reasons string
	var previewExpires, created, expires, decided, valid, used sql.NullInt64
	if err := sc.Scan(&a.ID, &a.Binding, &a.Principal, &a.Model, &reasons, &a.Classification, &a.PreviewKey, &previewExpires, &a.SealedPreview,
		&a.RequestID, &a.Status, &created, &expires, &decided, &a.DecidedBy, &a.Note, &valid, &a.Uses, &used); err != nil {
		return Approval{}, err
	}
	json.Unmarshal([]byte(reasons), &a.Reasons)
	a.PreviewExpires = fromNanos(previewExpires)
	if len(a.SealedPreview) == 0 {
		a.SealedPreview = nil
	}
	a.CreatedAt, a.ExpiresAt, a.DecidedAt, a.ValidTo, a.LastUsed = fromNanos(created), fromNanos(expires), fromNanos(decided), fromNanos(valid), fromNanos(used)
	return a, nil
}

// PreviewKeys returns the keys of sealed previews whose period ended
// before t (PreviewExpires), sorted: the retention run destroys them.
func (db *DB) PreviewKeys(ctx context.Context, before time.Time) ([]string, error) {
	b, _ := nanos(before)
	return db.payloadKeys(ctx, db.d.rebind(`SELECT DISTINCT kek FROM approvals WHERE kek <> '' AND preview_expires < ? ORDER BY kek`), b.Int64)
}

// PreviewKeysIn returns the keys of sealed previews whose names lie in
// [from, to), sorted (a range of one classification's KEKs).
func (db *DB) PreviewKeysIn(ctx context.Context, from, to string) ([]string, error) {
	return db.payloadKeys(ctx, db.d.rebind(`SELECT DISTINCT kek FROM approvals WHERE kek >= ? AND kek < ? ORDER BY kek`), from, to)
}

// ForgetPreviews drops the sealed previews under key (whose key the caller
// has destroyed: they are unreadable already) and returns how many.
func (db *DB) ForgetPreviews(ctx context.Context, key string) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.d.rebind(`UPDATE approvals SET preview_sealed = NULL, kek = '', preview_expires = NULL WHERE kek = ?`), key)
	if err != nil {
		return 0, fmt.Errorf("store: forget previews %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: forget previews %s: %w", key, err)
	}
	return n, nil
}

// GetApproval returns the approval with id, or ErrNotFound.
func (db *DB) GetApproval(ctx context.Context, id string) (Approval, error) {
	a, err := scanApproval(db.r.QueryRowContext(ctx, db.d.rebind(`SELECT `+approvalCols+` FROM approvals WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Approval{}, ErrNotFound
	}
	if err != nil {
		return Approval{}, fmt.Errorf("store: get approval: %w", err)
	}
	return a, nil
}

// LatestApproval returns the newest approval for binding, or ErrNotFound.
func (db *DB) LatestApproval(ctx context.Context, binding string) (Approval, error) {
	a, err := scanApproval(db.w.QueryRowContext(ctx, db.d.rebind(`SELECT `+approvalCols+` FROM approvals WHERE binding = ? ORDER BY created_at DESC, id DESC LIMIT 1`), binding))
	if errors.Is(err, sql.ErrNoRows) {
		return Approval{}, ErrNotFound
	}
	if err != nil {
		return Approval{}, fmt.Errorf("store: find approval: %w", err)
	}
	return a, nil
}

// DeleteApprovals deletes the approvals that stopped mattering before t:
// lapsed, and decided ones whose decision no longer stands. One whose
// sealed preview's key has not been destroyed yet is kept until it is
// (ForgetPreviews), so that the retention run still finds that key: a
// copy of the row in a backup must become unreadable too. It returns how
// many it deleted.
func (db *DB) DeleteApprovals(ctx context.Context, before time.Time) (int64, error) {
	b, _ := nanos(before)
	res, err := db.w.ExecContext(ctx, db.d.rebind(`DELETE FROM approvals WHERE expires_at < ? AND (valid_until IS NULL OR valid_until < ?)
		AND kek = ''`), b.Int64, b.Int64)
	if err != nil {
		return 0, fmt.Errorf("store: delete approvals: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CountPending counts principal's approvals still pending at now.
func (db *DB) CountPending(ctx context.Context, principal string, now time.Time) (int, error) {
	t, _ := nanos(now)
	var n int
	err := db.w.QueryRowContext(ctx, db.d.rebind(`SELECT COUNT(*) FROM approvals WHERE principal = ? AND status = ? AND expires_at > ?`),
		principal, ApprovalPending, t.Int64).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count approvals: %w", err)
	}
	return n, nil
}

// ListPending returns the approvals pending at now, oldest first.
func (db *DB) ListPending(ctx context.Context, now time.Time) ([]Approval, error) {
	t, _ := nanos(now)
	return db.listApprovals(ctx, `WHERE status = ? AND expires_at > ? ORDER BY created_at, id`, ApprovalPending, t.Int64)
}

// ListApprovals returns the approvals created since, newest first (at
// most limit).
func (db *DB) ListApprovals(ctx context.Context, since time.Time, limit int) ([]Approval, error) {
	s, _ := nanos(since)
	return db.listApprovals(ctx, `WHERE created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?`, s.Int64, limit)
}

func (db *DB) listApprovals(ctx context.Context, where string, args ...any) ([]Approval, error) {
	rows, err := db.r.QueryContext(ctx, db.d.rebind(`SELECT `+approvalCols+` FROM approvals `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list approvals: %w", err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list approvals: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DecideApproval approves (valid until validTo) or denies a pending
// approval that has not lapsed: ErrNotFound, or ErrDecided.
func (db *DB) DecideApproval(ctx context.Context, id string, approve bool, by, note string, at, validTo time.Time) error {
	status := ApprovalDenied
	if approve {
		status = ApprovalApproved
	}
	decided, e1 := nanos(at)
	valid, e2 := nanos(validTo)
	if err := errors.Join(e1, e2); err != nil || !decided.Valid {
		return fmt.Errorf("store: decide approval: times: %v", err)
	}
	res, err := db.w.ExecContext(ctx, db.d.rebind(`UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, decision_note = ?, valid_until = ?
		WHERE id = ? AND status = ? AND expires_at > ?`), status, decided, by, note, valid, id, ApprovalPending, decided.Int64)
	if err != nil {
		return fmt.Errorf("store: decide approval: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := db.GetApproval(ctx, id); err != nil {
		return err
	}
	return ErrDecided
}

// UseApproval counts a use of an approval that is valid at at.
func (db *DB) UseApproval(ctx context.Context, id string, at time.Time) error {
	t, _ := nanos(at)
	res, err := db.w.ExecContext(ctx, db.d.rebind(`UPDATE approvals SET uses = uses + 1, last_used_at = ? WHERE id = ? AND status = ? AND valid_until > ?`),
		t, id, ApprovalApproved, t.Int64)
	if err != nil {
		return fmt.Errorf("store: use approval: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrDecided
	}
	return nil
}
