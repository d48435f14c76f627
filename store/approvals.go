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
)

// Approval is a high-risk request waiting for, or given, a human decision.
type Approval struct {
	ID        string   // "apr_" + random
	Binding   string   // keyed hash of (principal, model, prompt): what the decision applies to
	Principal string   // who asked
	Model     string   // for which model
	Reasons   []string // why it was held: "rule:<name>", "model", ...
	Preview   string   // the prompt as the content policy redacts it (shortened)
	RequestID string   // the held request's X-Request-Id
	Status    string   // ApprovalPending, ApprovalApproved or ApprovalDenied
	CreatedAt time.Time
	ExpiresAt time.Time // a pending approval not decided by then lapses
	DecidedAt time.Time
	DecidedBy string
	Note      string    // the approver's reason
	ValidTo   time.Time // a decision stands until then (an approval lets the same request through, a denial refuses it)
	Uses      int
	LastUsed  time.Time
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

const approvalCols = `id, binding, principal, model, reasons, preview, request_id, status, created_at, expires_at,
	decided_at, decided_by, decision_note, valid_until, uses, last_used_at`

// CreateApproval stores a new pending approval and returns it with its id.
func (db *DB) CreateApproval(ctx context.Context, a Approval) (Approval, error) {
	var b [10]byte
	rand.Read(b[:])
	a.ID, a.Status = "apr_"+hex.EncodeToString(b[:]), ApprovalPending
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	reasons, _ := json.Marshal(a.Reasons)
	created, e1 := nanos(a.CreatedAt)
	expires, e2 := nanos(a.ExpiresAt)
	if err := errors.Join(e1, e2); err != nil || !expires.Valid {
		return Approval{}, fmt.Errorf("store: create approval: times: %v", err)
	}
	_, err := db.w.ExecContext(ctx, db.d.rebind(`INSERT INTO approvals (`+approvalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', NULL, 0, NULL)`),
		a.ID, a.Binding, a.Principal, a.Model, string(reasons), a.Preview, a.RequestID, a.Status, created, expires)
	if err != nil {
		return Approval{}, fmt.Errorf("store: create approval: %w", err)
	}
	return a, nil
}

func scanApproval(sc interface{ Scan(...any) error }) (Approval, error) {
	var a Approval
	var reasons string
	var created, expires, decided, valid, used sql.NullInt64
	if err := sc.Scan(&a.ID, &a.Binding, &a.Principal, &a.Model, &reasons, &a.Preview, &a.RequestID, &a.Status, &created, &expires,
		&decided, &a.DecidedBy, &a.Note, &valid, &a.Uses, &used); err != nil {
		return Approval{}, err
	}
	json.Unmarshal([]byte(reasons), &a.Reasons)
	a.CreatedAt, a.ExpiresAt, a.DecidedAt, a.ValidTo, a.LastUsed = fromNanos(created), fromNanos(expires), fromNanos(decided), fromNanos(valid), fromNanos(used)
	return a, nil
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
// lapsed, and decided ones whose decision no longer stands. It returns how
// many.
func (db *DB) DeleteApprovals(ctx context.Context, before time.Time) (int64, error) {
	b, _ := nanos(before)
	res, err := db.w.ExecContext(ctx, db.d.rebind(`DELETE FROM approvals WHERE expires_at < ? AND (valid_until IS NULL OR valid_until < ?)`), b.Int64, b.Int64)
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
