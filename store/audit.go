package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The audit search index. Every audit record is an entry of a Merkle log, one
// log per gateway replica, named by its origin; a follower reads each log in
// order and indexes its records here, with the log's cursor, so records can
// be searched. Several replicas share one store: a record is keyed by
// (origin, leaf index), and each origin has its own cursor and checkpoint.

// ErrBadQuery is returned (wrapped) by SearchAudit for a query it cannot run:
// a malformed page token or a negative limit. Callers answering a client map
// it to 400.
var ErrBadQuery = errors.New("store: bad query")

// ErrCursorBackwards is returned (wrapped) by IndexAudit when the origin's
// cursor is already beyond the one given: another follower got there first.
// Nothing was written; the caller should read the cursor again and go on from
// there.
var ErrCursorBackwards = errors.New("store: audit cursor would move backwards")

// AuditRow is one record in the search index.
type AuditRow struct {
	Origin        string    // the log it is in
	Index         uint64    // its leaf index in that log
	ID            string    // record id, unique across logs
	Time          time.Time // UTC, ms precision
	Kind          string    // request | admin
	PrincipalID   string    // "" when unauthenticated
	PrincipalType string
	KeyID         string
	Endpoint      string
	Model         string
	Namespace     string
	Decision      string // allow | deny | error
	Status        int
	RequestID     string
	PromptHash    string
	ResponseHash  string
	Entry         []byte // the record's log entry, exactly as logged
}

// AuditQuery selects records for SearchAudit. Every condition given must
// hold.
type AuditQuery struct {
	// Exact matches; "" = any.
	Origin, Principal, KeyID, Model, Namespace, Decision, Kind, RequestID, PromptHash, ResponseHash string

	Since, Until time.Time // Since inclusive, Until exclusive; zero = unbounded
	After        string    // opaque page token from a previous AuditPage; "" = first page
	Limit        int       // default 100, max 1000 (a larger limit is lowered to it)
}

// AuditPage is one page of search results, newest first.
type AuditPage struct {
	Rows []AuditRow
	Next string // page token for the next page (AuditQuery.After); "" when no more
}

// Search page sizes.
const (
	auditDefaultLimit = 100
	auditMaxLimit     = 1000
)

// auditCols are the audit_records columns, in the order scanAudit expects
// them and appendAuditArgs gives them.
const auditCols = `origin, leaf_index, id, time_ms, kind, principal_id, principal_type, key_id,
	endpoint, model, namespace, decision, status, request_id, prompt_hash, response_hash, entry`

const auditNCols = 17

// auditChunks is the number of insert statements: they insert 1, 2, 4, ...
// 256 rows at once. A batch is inserted in chunks of those sizes: a few
// statements serve every batch size (PostgreSQL's driver keeps each prepared
// on each connection), and a 256-row statement indexes 2.5 times as many rows
// per second into SQLite as single-row inserts do.
const auditChunks = 9

// auditQueries are the audit statements, rebound for one dialect.
type auditQueries struct {
	insert                          [auditChunks]string // insert[k] inserts 1<<k rows
	setCursor, cursor               string
	saveCheckpoint, checkpoint, get string
}

var auditSQL = newPerDialect(dialect.auditQueries)

func (db *DB) aq() *auditQueries { return auditSQL.of(db) }

func (d dialect) auditQueries() *auditQueries {
	q := &auditQueries{
		// The cursor moves forward or stays; when the WHERE refuses the
		// update, no row is affected.
		setCursor: d.rebind(`INSERT INTO audit_state (origin, next_index) VALUES (?, ?)
			ON CONFLICT (origin) DO UPDATE SET next_index = excluded.next_index
			WHERE audit_state.next_index <= excluded.next_index`),
		cursor: d.rebind(`SELECT next_index FROM audit_state WHERE origin = ?`),
		saveCheckpoint: d.rebind(`INSERT INTO audit_state (origin, checkpoint_size, checkpoint) VALUES (?, ?, ?)
			ON CONFLICT (origin) DO UPDATE
			SET checkpoint_size = excluded.checkpoint_size, checkpoint = excluded.checkpoint
			WHERE audit_state.checkpoint_size IS NULL OR audit_state.checkpoint_size <= excluded.checkpoint_size`),
		checkpoint: d.rebind(`SELECT checkpoint_size, checkpoint FROM audit_state
			WHERE origin = ? AND checkpoint IS NOT NULL`),
		get: d.rebind(`SELECT ` + auditCols + ` FROM audit_records WHERE origin = ? AND leaf_index = ?`),
	}
	row := "(" + strings.Repeat("?, ", auditNCols-1) + "?)"
	for k := range q.insert {
		q.insert[k] = d.rebind(`INSERT INTO audit_records (` + auditCols + `) VALUES ` +
			strings.Repeat(row+", ", 1<<k-1) + row + ` ON CONFLICT (origin, leaf_index) DO NOTHING`)
	}
	return q
}

// IndexAudit inserts rows, records of the log origin, and sets the origin's
// cursor to next, in one transaction. Rows already indexed (the same origin
// and index) are left as they are, so indexing a batch again is harmless; a
// row with the id of another row is an error. The cursor never moves
// backwards: if it is already beyond next, nothing is written and the error
// wraps ErrCursorBackwards. Every row's Index must be below next, and its ID,
// Time and Entry set; times are stored to the millisecond.
func (db *DB) IndexAudit(ctx context.Context, origin string, rows []AuditRow, next uint64) error {
	if origin == "" {
		return errors.New("store: index audit: origin is required")
	}
	if next > math.MaxInt64 {
		return fmt.Errorf("store: index audit: cursor %d beyond the storable range", next)
	}
	args := make([]any, 0, len(rows)*auditNCols)
	for i := range rows {
		r := &rows[i]
		if err := checkAuditRow(origin, r, next); err != nil {
			return fmt.Errorf("store: index audit: row %d (index %d): %w", i, r.Index, err)
		}
		args = appendAuditArgs(args, r)
	}
	q := db.aq()
	var behind error
	err := db.inTx(ctx, "index audit", func(tx *sql.Tx) error {
		// The cursor first: its row lock serializes the followers of one
		// origin, and a follower that lost the race inserts nothing.
		res, err := tx.ExecContext(ctx, q.setCursor, origin, int64(next))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var cur int64
			if err := tx.QueryRowContext(ctx, q.cursor, origin).Scan(&cur); err != nil {
				return err
			}
			behind = fmt.Errorf("%w: %s is at %d, asked %d", ErrCursorBackwards, origin, cur, next)
			return behind
		}
		for len(args) > 0 {
			k := min(auditChunks-1, log2(len(args)/auditNCols))
			n := (1 << k) * auditNCols
			if _, err := tx.ExecContext(ctx, q.insert[k], args[:n]...); err != nil {
				return err
			}
			args = args[n:]
		}
		return nil
	})
	if behind != nil {
		return behind
	}
	return err
}

// log2 returns the largest k with 1<<k <= n, for n > 0.
func log2(n int) int {
	k := 0
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}

func checkAuditRow(origin string, r *AuditRow, next uint64) error {
	switch {
	case r.Origin != origin:
		return fmt.Errorf("origin %q, want %q", r.Origin, origin)
	case r.Index >= next:
		return fmt.Errorf("not below the cursor %d", next)
	case r.ID == "" || r.Time.IsZero() || len(r.Entry) == 0:
		return errors.New("id, time and entry are required")
	case r.Time.Before(minTime) || r.Time.After(maxTime):
		return fmt.Errorf("%w: %s", errTimeRange, r.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

// appendAuditArgs appends the auditCols values of r to args. r.Index has
// been checked to fit in an int64 (it is below a cursor that does).
func appendAuditArgs(args []any, r *AuditRow) []any {
	return append(args, r.Origin, int64(r.Index), r.ID, r.Time.UnixMilli(), r.Kind,
		r.PrincipalID, r.PrincipalType, r.KeyID, r.Endpoint, r.Model, r.Namespace,
		r.Decision, r.Status, r.RequestID, r.PromptHash, r.ResponseHash, r.Entry)
}

// scanAudit scans one row of auditCols.
func scanAudit(sc interface{ Scan(...any) error }) (AuditRow, error) {
	var r AuditRow
	var index, ms int64
	err := sc.Scan(&r.Origin, &index, &r.ID, &ms, &r.Kind, &r.PrincipalID, &r.PrincipalType,
		&r.KeyID, &r.Endpoint, &r.Model, &r.Namespace, &r.Decision, &r.Status, &r.RequestID,
		&r.PromptHash, &r.ResponseHash, &r.Entry)
	if err != nil {
		return AuditRow{}, err
	}
	r.Index = uint64(index)
	r.Time = time.UnixMilli(ms).UTC()
	return r, nil
}

// AuditCursor returns the next leaf index of origin to index: 0 for an origin
// never indexed.
func (db *DB) AuditCursor(ctx context.Context, origin string) (next uint64, err error) {
	var n int64
	err = db.r.QueryRowContext(ctx, db.aq().cursor, origin).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: audit cursor: %w", err)
	}
	return uint64(n), nil
}

// SaveAuditCheckpoint stores note, a signed checkpoint of origin's log for a
// tree of size entries, unless a checkpoint of a larger tree is already
// stored: that one is kept, and the call succeeds. A checkpoint of the same
// size replaces the stored one (it may carry more signatures). The caller
// verifies the note; the store keeps its bytes as given.
func (db *DB) SaveAuditCheckpoint(ctx context.Context, origin string, size uint64, note []byte) error {
	if origin == "" || len(note) == 0 {
		return errors.New("store: save audit checkpoint: origin and note are required")
	}
	if size > math.MaxInt64 {
		return fmt.Errorf("store: save audit checkpoint: size %d beyond the storable range", size)
	}
	if _, err := db.w.ExecContext(ctx, db.aq().saveCheckpoint, origin, int64(size), note); err != nil {
		return fmt.Errorf("store: save audit checkpoint: %w", err)
	}
	return nil
}

// AuditCheckpoint returns the largest checkpoint stored for origin, or
// ErrNotFound (not wrapped) if there is none.
func (db *DB) AuditCheckpoint(ctx context.Context, origin string) (size uint64, note []byte, err error) {
	var n int64
	err = db.r.QueryRowContext(ctx, db.aq().checkpoint, origin).Scan(&n, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: audit checkpoint: %w", err)
	}
	return uint64(n), note, nil
}

// AuditRecord returns the record at index in origin's log, or ErrNotFound
// (not wrapped) if it is not indexed.
func (db *DB) AuditRecord(ctx context.Context, origin string, index uint64) (AuditRow, error) {
	if index > math.MaxInt64 {
		return AuditRow{}, ErrNotFound
	}
	r, err := scanAudit(db.r.QueryRowContext(ctx, db.aq().get, origin, int64(index)))
	if errors.Is(err, sql.ErrNoRows) {
		return AuditRow{}, ErrNotFound
	}
	if err != nil {
		return AuditRow{}, fmt.Errorf("store: audit record: %w", err)
	}
	return r, nil
}

// SearchAudit returns the records matching q, newest first: ordered by time,
// then origin, then leaf index, all descending. Pages are cut by keyset, so
// records indexed between two calls never shift a page: they appear on it
// only if they sort after the previous page's last record.
func (db *DB) SearchAudit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	query, args, limit, err := q.build(db.d)
	if err != nil {
		return AuditPage{}, err
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("store: search audit: %w", err)
	}
	defer rows.Close()
	var page AuditPage
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return AuditPage{}, fmt.Errorf("store: search audit: %w", err)
		}
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return AuditPage{}, fmt.Errorf("store: search audit: %w", err)
	}
	if len(page.Rows) > limit {
		page.Rows = page.Rows[:limit]
		page.Next = auditToken(&page.Rows[limit-1])
	}
	return page, nil
}

// build returns the search statement for q in dialect d, its arguments, and
// the page size. The statement asks for one row more than the page size, to
// tell whether there is a next page.
func (q *AuditQuery) build(d dialect) (query string, args []any, limit int, err error) {
	limit = q.Limit
	switch {
	case limit < 0:
		return "", nil, 0, fmt.Errorf("%w: negative limit %d", ErrBadQuery, limit)
	case limit == 0:
		limit = auditDefaultLimit
	case limit > auditMaxLimit:
		limit = auditMaxLimit
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + auditCols + ` FROM audit_records`)
	and := func(cond string, a ...any) {
		if len(args) == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(cond)
		args = append(args, a...)
	}
	// A search names few origins (one per replica), each matching a large
	// part of the index: the origin's term is written so that no index can
	// serve it, or SQLite, which keeps no statistics, would read the whole
	// origin by primary key and sort it, rather than scan an index in order.
	for _, f := range [...]struct{ col, val string }{
		{"origin || ''", q.Origin}, {"principal_id", q.Principal}, {"key_id", q.KeyID},
		{"model", q.Model}, {"namespace", q.Namespace}, {"decision", q.Decision},
		{"kind", q.Kind}, {"request_id", q.RequestID}, {"prompt_hash", q.PromptHash},
		{"response_hash", q.ResponseHash},
	} {
		if f.val != "" {
			if !textValue(f.val) {
				return "", nil, 0, fmt.Errorf("%w: a filter is not valid UTF-8 text", ErrBadQuery)
			}
			and(f.col+" = ?", f.val)
		}
	}
	// Stored times are whole milliseconds: t >= Since is ms >= ceil(Since),
	// and t < Until is ms < ceil(Until).
	if !q.Since.IsZero() {
		and("time_ms >= ?", ceilMillis(q.Since))
	}
	if !q.Until.IsZero() {
		and("time_ms < ?", ceilMillis(q.Until))
	}
	if q.After != "" {
		ms, origin, index, err := parseAuditToken(q.After)
		if err != nil {
			return "", nil, 0, err
		}
		if !textValue(origin) {
			return "", nil, 0, fmt.Errorf("%w: malformed page token", ErrBadQuery)
		}
		and("(time_ms, origin, leaf_index) < (?, ?, ?)", ms, origin, index)
	}
	b.WriteString(` ORDER BY time_ms DESC, origin DESC, leaf_index DESC LIMIT ?`)
	args = append(args, limit+1)
	return d.rebind(b.String()), args, limit, nil
}

// textValue reports whether s can be compared with stored text by every
// store: valid UTF-8 without NUL (PostgreSQL refuses either; no stored
// value holds them, so such a filter could only match nothing).
func textValue(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// ceilMillis returns t in Unix milliseconds, rounded up; times beyond the
// storable range become the extreme int64 values, beyond every stored time.
func ceilMillis(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	ms := t.UnixMilli() // rounded down, before 1970 too
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// A page token is the position of the last row of a page, base64url without
// padding: a version byte (1), the time in Unix milliseconds and the leaf
// index (8 bytes each, big-endian), then the origin.
const auditTokenVersion = 1

func auditToken(r *AuditRow) string {
	b := make([]byte, 17, 17+len(r.Origin))
	b[0] = auditTokenVersion
	binary.BigEndian.PutUint64(b[1:], uint64(r.Time.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:], r.Index)
	b = append(b, r.Origin...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseAuditToken(s string) (ms int64, origin string, index int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 18 || b[0] != auditTokenVersion {
		return 0, "", 0, fmt.Errorf("%w: malformed page token", ErrBadQuery)
	}
	ms = int64(binary.BigEndian.Uint64(b[1:]))
	u := binary.BigEndian.Uint64(b[9:])
	if u > math.MaxInt64 {
		return 0, "", 0, fmt.Errorf("%w: malformed page token", ErrBadQuery)
	}
	return ms, string(b[17:]), int64(u), nil
}
