package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/wardenhq/warden/seal"
)

// Sealed payloads: the prompt and response of an audit record whose
// classification keeps them (store: full), sealed under the key-encryption
// key of the classification's retention period (seal.KeyName). They are
// destroyed by crypto-shredding: the retention run asks PayloadKeys which
// keys' payloads have expired, destroys each key in the key ring (every
// payload under it is unreadable from then on, copies and backups included),
// then reclaims the space with DeletePayloads.

// ErrExists is returned by PutPayload when a payload is already stored for
// the record: a payload, once stored, is never replaced.
var ErrExists = errors.New("store: already exists")

// Payload is the sealed prompt and response of one audit record.
type Payload struct {
	RecordID       string    // the audit record's id (aud_...)
	Classification string    // the record's classification
	Key            string    // the KEK both are sealed under (seal.KeyName)
	ExpiresAt      time.Time // when retention ends; UTC
	Prompt         []byte    // seal.Sealed.Marshal() of the request body; never plaintext
	Response       []byte    // likewise, or nil when no response was kept
	CreatedAt      time.Time // UTC; zero in PutPayload = now
}

// payloadCols are the payloads columns, in the order GetPayload scans them
// and PutPayload gives them.
const payloadCols = `record_id, classification, kek, expires_at, created_at, prompt, response`

// payloadQueries are the payload statements, rebound for one dialect.
type payloadQueries struct {
	insert, get, keys, keysIn, delete string
}

var payloadSQL = newPerDialect(dialect.payloadQueries)

func (db *DB) pq() *payloadQueries { return payloadSQL.of(db) }

func (d dialect) payloadQueries() *payloadQueries {
	return &payloadQueries{
		// An existing record is left alone, and no row is affected.
		insert: d.rebind(`INSERT INTO payloads (` + payloadCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (record_id) DO NOTHING`),
		get: d.rebind(`SELECT ` + payloadCols + ` FROM payloads WHERE record_id = ?`),
		// Expired payloads are few (they are deleted once their key is
		// destroyed): the query reads them by expiry, and probes each one's
		// key for a payload not yet expired. It selects and orders kek || '',
		// which no index serves, or SQLite, which keeps no statistics, would
		// read every payload's key in key order rather than the expired ones.
		keys: d.rebind(`SELECT DISTINCT kek || '' AS k FROM payloads p WHERE expires_at < ?
			AND NOT EXISTS (SELECT 1 FROM payloads q WHERE q.kek = p.kek AND q.expires_at >= ?)
			ORDER BY k`),
		keysIn: d.rebind(`SELECT DISTINCT kek FROM payloads WHERE kek >= ? AND kek < ? ORDER BY kek`),
		delete: d.rebind(`DELETE FROM payloads WHERE kek = ?`),
	}
}

// PutPayload stores p. RecordID, Classification, Key, ExpiresAt and Prompt
// are required; Prompt, and Response if not empty, must be sealed payloads
// (seal.Sealed.Marshal) under Key, so that shredding Key and deleting its
// payloads covers them. An empty Response is stored as none, and read back as
// nil. A zero CreatedAt means now. It returns ErrExists (not wrapped) if a
// payload is already stored for p.RecordID; the stored one is kept.
func (db *DB) PutPayload(ctx context.Context, p Payload) error {
	if err := checkPayload(&p); err != nil {
		return fmt.Errorf("store: put payload %s: %w", p.RecordID, err)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = db.now()
	}
	expires, err := nanos(p.ExpiresAt)
	if err != nil {
		return fmt.Errorf("store: put payload %s: expires_at: %w", p.RecordID, err)
	}
	created, err := nanos(p.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: put payload %s: created_at: %w", p.RecordID, err)
	}
	var response []byte // NULL
	if len(p.Response) > 0 {
		response = p.Response
	}
	res, err := db.w.ExecContext(ctx, db.pq().insert, p.RecordID, p.Classification, p.Key,
		expires, created, p.Prompt, response)
	if err != nil {
		return fmt.Errorf("store: put payload %s: %w", p.RecordID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: put payload %s: %w", p.RecordID, err)
	}
	if n == 0 {
		return ErrExists
	}
	return nil
}

// PutPayloads stores several payloads in one transaction (what a group
// commit hands over). It returns one error per payload: nil, ErrExists, or
// why it was refused; err is set when the transaction itself failed, and
// then nothing was stored.
func (db *DB) PutPayloads(ctx context.Context, ps []Payload) (errs []error, err error) {
	errs = make([]error, len(ps))
	type row struct {
		i                int
		expires, created sql.NullInt64
		response         []byte
	}
	rows := make([]row, 0, len(ps))
	now := db.now()
	for i := range ps {
		p := &ps[i]
		if e := checkPayload(p); e != nil {
			errs[i] = fmt.Errorf("store: put payload %s: %w", p.RecordID, e)
			continue
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now
		}
		expires, e1 := nanos(p.ExpiresAt)
		created, e2 := nanos(p.CreatedAt)
		if e := errors.Join(e1, e2); e != nil {
			errs[i] = fmt.Errorf("store: put payload %s: %w", p.RecordID, e)
			continue
		}
		r := row{i: i, expires: expires, created: created}
		if len(p.Response) > 0 {
			r.response = p.Response
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return errs, nil
	}
	// One statement for the batch; RETURNING says which rows were new.
	var q strings.Builder
	q.WriteString(`INSERT INTO payloads (` + payloadCols + `) VALUES `)
	args := make([]any, 0, len(rows)*7)
	for j, r := range rows {
		if j > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		p := &ps[r.i]
		args = append(args, p.RecordID, p.Classification, p.Key, r.expires, r.created, p.Prompt, r.response)
	}
	q.WriteString(` ON CONFLICT (record_id) DO NOTHING RETURNING record_id`)
	inserted := make(map[string]bool, len(rows))
	err = db.inTx(ctx, "put payloads", func(tx *sql.Tx) error {
		res, err := tx.QueryContext(ctx, db.d.rebind(q.String()), args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				return err
			}
			inserted[id] = true
		}
		return res.Err()
	})
	if err == nil {
		for _, r := range rows {
			if !inserted[ps[r.i].RecordID] {
				errs[r.i] = ErrExists
			}
		}
	}
	return errs, err
}

// checkPayload checks what PutPayload requires of p.
func checkPayload(p *Payload) error {
	if p.RecordID == "" || p.Classification == "" || p.Key == "" || p.ExpiresAt.IsZero() || len(p.Prompt) == 0 {
		return errors.New("record id, classification, key, expires_at and prompt are required")
	}
	for _, part := range [...]struct {
		name string
		b    []byte
	}{{"prompt", p.Prompt}, {"response", p.Response}} {
		if part.name == "response" && len(part.b) == 0 {
			continue
		}
		s, err := seal.Unmarshal(part.b)
		if err != nil {
			return fmt.Errorf("%s: %w", part.name, err)
		}
		if s.Key != p.Key {
			return fmt.Errorf("%s: sealed under %q, not %q", part.name, s.Key, p.Key)
		}
	}
	return nil
}

// GetPayload returns the payload of record recordID, or ErrNotFound (not
// wrapped) if none is stored. Response is nil when no response was kept.
func (db *DB) GetPayload(ctx context.Context, recordID string) (Payload, error) {
	var p Payload
	var expires, created int64
	err := db.r.QueryRowContext(ctx, db.pq().get, recordID).Scan(&p.RecordID, &p.Classification,
		&p.Key, &expires, &created, &p.Prompt, &p.Response)
	if errors.Is(err, sql.ErrNoRows) {
		return Payload{}, ErrNotFound
	}
	if err != nil {
		return Payload{}, fmt.Errorf("store: get payload %s: %w", recordID, err)
	}
	p.ExpiresAt = time.Unix(0, expires).UTC()
	p.CreatedAt = time.Unix(0, created).UTC()
	if len(p.Response) == 0 {
		p.Response = nil
	}
	return p, nil
}

// PayloadKeys returns the keys whose payloads have all expired: keys with
// payloads, every one of them with ExpiresAt strictly before expiredBefore.
// They are sorted by bytes. A key with a payload not yet expired is left out,
// even if others under it have expired, so that destroying the keys returned
// never destroys a payload before its retention ends. (A key's payloads
// normally all expire on its name's day; see seal.KeyName.)
func (db *DB) PayloadKeys(ctx context.Context, expiredBefore time.Time) ([]string, error) {
	var before int64
	switch {
	case expiredBefore.Before(minTime):
		before = math.MinInt64 // before every stored time
	case expiredBefore.After(maxTime):
		before = math.MaxInt64
	default:
		before = expiredBefore.UnixNano()
	}
	return db.payloadKeys(ctx, db.pq().keys, before, before)
}

// PayloadKeysIn returns the keys of stored payloads whose names lie in
// [from, to), sorted (a range of one classification's KEKs, whose names
// end in the day their period ends).
func (db *DB) PayloadKeysIn(ctx context.Context, from, to string) ([]string, error) {
	return db.payloadKeys(ctx, db.pq().keysIn, from, to)
}

func (db *DB) payloadKeys(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: payload keys: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: payload keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: payload keys: %w", err)
	}
	return keys, nil
}

// DeletePayloads deletes every payload sealed under key, whatever its
// expiry, and returns how many it deleted: 0 for a key with none. Deleting
// only reclaims space: a payload's protection is its key, which the caller
// destroys first, so that a failure in between leaves nothing readable.
func (db *DB) DeletePayloads(ctx context.Context, key string) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.pq().delete, key)
	if err != nil {
		return 0, fmt.Errorf("store: delete payloads %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete payloads %s: %w", key, err)
	}
	return n, nil
}
