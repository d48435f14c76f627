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

// Hold is a legal hold: while active, the payloads of the records it
// covers survive every purge.
type Hold struct {
	ID         string // "hold_" + random
	Case       string // the case it was placed for
	Principal  string // the principal whose records it covers; "" = any
	Namespace  string // the namespace whose records it covers; "" = any
	Since      time.Time
	Until      time.Time // zero = open-ended
	CreatedAt  time.Time
	CreatedBy  string
	ReleasedAt time.Time // zero = active
	ReleasedBy string
}

// Active reports whether the hold is in force.
func (h *Hold) Active() bool { return h.ReleasedAt.IsZero() }

// Covers reports whether the hold covers a record of principal and
// namespace made at t.
func (h *Hold) Covers(principal, namespace string, t time.Time) bool {
	return (h.Principal == "" || h.Principal == principal) &&
		(h.Namespace == "" || h.Namespace == namespace) &&
		(h.Since.IsZero() || !t.Before(h.Since)) &&
		(h.Until.IsZero() || t.Before(h.Until))
}

// MarshalJSON writes a hold as the CLI and the admin API show it.
func (h Hold) MarshalJSON() ([]byte, error) {
	opt := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(map[string]any{"id": h.ID, "case": h.Case, "principal": h.Principal, "namespace": h.Namespace,
		"since": opt(h.Since), "until": opt(h.Until), "created_at": opt(h.CreatedAt), "created_by": h.CreatedBy,
		"released_at": opt(h.ReleasedAt), "released_by": h.ReleasedBy, "active": h.Active()})
}

// ErrReleased: the hold was released already.
var ErrReleased = errors.New("store: hold already released")

const holdCols = `id, case_id, principal, namespace, since, until, created_at, created_by, released_at, released_by`

// CreateHold stores a new hold and returns it with its id.
func (db *DB) CreateHold(ctx context.Context, h Hold) (Hold, error) {
	if h.Case == "" {
		return Hold{}, errors.New("store: create hold: a case id is required")
	}
	var b [10]byte
	rand.Read(b[:])
	h.ID = "hold_" + hex.EncodeToString(b[:])
	if h.CreatedAt.IsZero() {
		h.CreatedAt = db.now()
	}
	h.ReleasedAt, h.ReleasedBy = time.Time{}, ""
	since, e1 := nanos(h.Since)
	until, e2 := nanos(h.Until)
	created, e3 := nanos(h.CreatedAt)
	if err := errors.Join(e1, e2, e3); err != nil {
		return Hold{}, fmt.Errorf("store: create hold: %w", err)
	}
	_, err := db.w.ExecContext(ctx, db.d.rebind(`INSERT INTO holds (`+holdCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '')`),
		h.ID, h.Case, h.Principal, h.Namespace, since, until, created, h.CreatedBy)
	if err != nil {
		return Hold{}, fmt.Errorf("store: create hold: %w", err)
	}
	return h, nil
}

// ListHolds returns every hold, active or not, oldest first.
func (db *DB) ListHolds(ctx context.Context) ([]Hold, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+holdCols+` FROM holds ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list holds: %w", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var since, until, created, released sql.NullInt64
		if err := rows.Scan(&h.ID, &h.Case, &h.Principal, &h.Namespace, &since, &until, &created, &h.CreatedBy, &released, &h.ReleasedBy); err != nil {
			return nil, fmt.Errorf("store: list holds: %w", err)
		}
		h.Since, h.Until, h.CreatedAt, h.ReleasedAt = fromNanos(since), fromNanos(until), fromNanos(created), fromNanos(released)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ActiveHolds returns the holds in force.
func (db *DB) ActiveHolds(ctx context.Context) ([]Hold, error) {
	all, err := db.ListHolds(ctx)
	if err != nil {
		return nil, err
	}
	active := all[:0]
	for _, h := range all {
		if h.Active() {
			active = append(active, h)
		}
	}
	return active, nil
}

// ReleaseHold releases a hold: ErrNotFound, or ErrReleased if it was.
func (db *DB) ReleaseHold(ctx context.Context, id, by string, at time.Time) error {
	released, err := nanos(at)
	if err != nil || !released.Valid {
		return fmt.Errorf("store: release hold: a release time is required")
	}
	res, err := db.w.ExecContext(ctx, db.d.rebind(`UPDATE holds SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL`), released, by, id)
	if err != nil {
		return fmt.Errorf("store: release hold: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	if err := db.r.QueryRowContext(ctx, db.d.rebind(`SELECT 1 FROM holds WHERE id = ?`), id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return ErrReleased
}

// PayloadSubject is whose record a payload is, as the search index says.
type PayloadSubject struct {
	RecordID  string
	Indexed   bool // false: the record is not (yet) in the search index
	Principal string
	Namespace string
	Time      time.Time // the record's time, when indexed
	Stored    time.Time // when the payload was stored
}

// PayloadSubjects lists the payloads sealed under key with whose records
// they are, from the audit search index.
func (db *DB) PayloadSubjects(ctx context.Context, key string) ([]PayloadSubject, error) {
	rows, err := db.r.QueryContext(ctx, db.d.rebind(`SELECT p.record_id, a.principal_id, a.namespace, a.time_ms, p.created_at
		FROM payloads p LEFT JOIN audit_records a ON a.id = p.record_id WHERE p.kek = ?`), key)
	if err != nil {
		return nil, fmt.Errorf("store: payload subjects: %w", err)
	}
	defer rows.Close()
	var out []PayloadSubject
	for rows.Next() {
		var s PayloadSubject
		var principal, namespace sql.NullString
		var ms, stored sql.NullInt64
		if err := rows.Scan(&s.RecordID, &principal, &namespace, &ms, &stored); err != nil {
			return nil, fmt.Errorf("store: payload subjects: %w", err)
		}
		s.Indexed = ms.Valid
		s.Principal, s.Namespace = principal.String, namespace.String
		if ms.Valid {
			s.Time = time.UnixMilli(ms.Int64).UTC()
		}
		s.Stored = fromNanos(stored)
		out = append(out, s)
	}
	return out, rows.Err()
}
