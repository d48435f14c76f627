package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SinkCursor is how far a sink has shipped a log.
type SinkCursor struct {
	Sink      string
	Origin    string
	Next      uint64 // the next leaf index to send
	ShippedAt time.Time
	LastError string // of the last failed attempt ("" after a success)
	ErrorAt   time.Time
}

// GetSinkCursor returns sink's cursor for origin (Next 0 if it has none).
func (db *DB) GetSinkCursor(ctx context.Context, sink, origin string) (SinkCursor, error) {
	c := SinkCursor{Sink: sink, Origin: origin}
	var next int64
	var shipped, errAt sql.NullInt64
	err := db.w.QueryRowContext(ctx, db.d.rebind(`SELECT next_index, shipped_at, last_error, error_at FROM sink_cursors WHERE sink = ? AND origin = ?`), sink, origin).
		Scan(&next, &shipped, &c.LastError, &errAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("store: sink cursor: %w", err)
	}
	c.Next, c.ShippedAt, c.ErrorAt = uint64(next), fromNanos(shipped), fromNanos(errAt)
	return c, nil
}

// ListSinkCursors returns every sink cursor.
func (db *DB) ListSinkCursors(ctx context.Context) ([]SinkCursor, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT sink, origin, next_index, shipped_at, last_error, error_at FROM sink_cursors ORDER BY sink, origin`)
	if err != nil {
		return nil, fmt.Errorf("store: sink cursors: %w", err)
	}
	defer rows.Close()
	var out []SinkCursor
	for rows.Next() {
		var c SinkCursor
		var next int64
		var shipped, errAt sql.NullInt64
		if err := rows.Scan(&c.Sink, &c.Origin, &next, &shipped, &c.LastError, &errAt); err != nil {
			return nil, fmt.Errorf("store: sink cursors: %w", err)
		}
		c.Next, c.ShippedAt, c.ErrorAt = uint64(next), fromNanos(shipped), fromNanos(errAt)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AdvanceSinkCursor records that sink shipped origin's log up to next
// (it never moves back) and clears the last error.
func (db *DB) AdvanceSinkCursor(ctx context.Context, sink, origin string, next uint64, at time.Time) error {
	t, _ := nanos(at)
	_, err := db.w.ExecContext(ctx, db.d.rebind(`INSERT INTO sink_cursors (sink, origin, next_index, shipped_at, last_error, error_at) VALUES (?, ?, ?, ?, '', NULL)
		ON CONFLICT (sink, origin) DO UPDATE SET next_index = CASE WHEN excluded.next_index > sink_cursors.next_index THEN excluded.next_index ELSE sink_cursors.next_index END,
		shipped_at = excluded.shipped_at, last_error = '', error_at = NULL`), sink, origin, int64(next), t)
	if err != nil {
		return fmt.Errorf("store: advance sink cursor: %w", err)
	}
	return nil
}

// SinkFailed records a failed attempt of sink on origin's log.
func (db *DB) SinkFailed(ctx context.Context, sink, origin, msg string, at time.Time) error {
	t, _ := nanos(at)
	_, err := db.w.ExecContext(ctx, db.d.rebind(`INSERT INTO sink_cursors (sink, origin, next_index, shipped_at, last_error, error_at) VALUES (?, ?, 0, NULL, ?, ?)
		ON CONFLICT (sink, origin) DO UPDATE SET last_error = excluded.last_error, error_at = excluded.error_at`), sink, origin, msg, t)
	if err != nil {
		return fmt.Errorf("store: sink failed: %w", err)
	}
	return nil
}
