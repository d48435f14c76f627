package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// CreateKey stores k and its first secret s in one transaction, setting the
// key's prefix to s.Prefix. k.ID, k.CreatedAt and s.Hash must be set; a zero
// s.CreatedAt means k.CreatedAt. It fails if the id or the hash exists.
func (db *DB) CreateKey(ctx context.Context, k APIKey, s Secret) error {
	if k.ID == "" || k.CreatedAt.IsZero() || len(s.Hash) == 0 {
		return errors.New("store: create key: id, created_at and secret hash are required")
	}
	k.Prefix = s.Prefix
	if s.CreatedAt.IsZero() {
		s.CreatedAt = k.CreatedAt
	}
	args, err := keyArgs(&k)
	if err != nil {
		return fmt.Errorf("store: create key: %w", err)
	}
	sargs, err := secretArgs(k.ID, &s)
	if err != nil {
		return fmt.Errorf("store: create key: %w", err)
	}
	return db.inTx(ctx, "create key", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q.insertKey, args...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q.insertSecret, sargs...)
		return err
	})
}

// LookupSecret finds the secret whose hash is hash, with its key: one indexed
// query, the hot path of API key authentication. It returns ErrNotFound (not
// wrapped) if there is none. It does not judge validity: the caller checks
// the key's RevokedAt and ExpiresAt and the secret's NotAfter. The returned
// Secret.Hash is hash itself, not a copy: the stored hash equals it byte for
// byte, and reading it back would cost allocations for nothing.
func (db *DB) LookupSecret(ctx context.Context, hash []byte) (Match, error) {
	r := new(lookupRow) // one allocation for every scan destination
	err := db.lookup.QueryRowContext(ctx, hash).Scan(r.dests()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Match{}, ErrNotFound
	}
	if err == nil {
		err = r.finish(&r.m.Key)
	}
	if err != nil {
		return Match{}, fmt.Errorf("store: lookup secret: %w", err)
	}
	r.m.Secret.Hash = hash
	r.m.Secret.NotAfter = fromNanos(r.secretNotAfter)
	r.m.Secret.CreatedAt = fromNanos(r.secretCreated)
	return r.m, nil
}

// GetKey returns the key with the given id, or ErrNotFound (not wrapped).
func (db *DB) GetKey(ctx context.Context, id string) (APIKey, error) {
	var r keyRow
	var k APIKey
	err := db.r.QueryRowContext(ctx, db.q.getKey, id).Scan(r.dest(&k)...)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err == nil {
		err = r.finish(&k)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: get key: %w", err)
	}
	return k, nil
}

// SecretIssuers returns the principals who issued (created the key or
// rotated it to) the secrets of key id still valid at the given time,
// those recorded: each was handed the secret, so it holds it too. An
// unknown key has none.
func (db *DB) SecretIssuers(ctx context.Context, id string, at time.Time) ([]string, error) {
	t, err := nanos(at)
	if err != nil {
		return nil, fmt.Errorf("store: secret issuers: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, db.q.secretIssuers, id, t)
	if err != nil {
		return nil, fmt.Errorf("store: secret issuers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var by string
		if err := rows.Scan(&by); err != nil {
			return nil, fmt.Errorf("store: secret issuers: %w", err)
		}
		out = append(out, by)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: secret issuers: %w", err)
	}
	return out, nil
}

// ListKeys returns every key, revoked and expired ones included, ordered by
// CreatedAt then ID.
func (db *DB) ListKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := db.r.QueryContext(ctx, db.q.listKeys)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var keys []APIKey
	for rows.Next() {
		var r keyRow
		var k APIKey
		if err := rows.Scan(r.dest(&k)...); err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		if err := r.finish(&k); err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return keys, nil
}

// RotateKey gives key id the new current secret s, in one transaction: every
// existing secret of the key valid beyond oldNotAfter (or without end) now
// ends at oldNotAfter, s is added, and the key's prefix becomes s.Prefix.
// Secrets already ending sooner keep their end. A zero s.CreatedAt means now.
// It returns ErrNotFound or ErrRevoked (not wrapped) for an unknown or a
// revoked key.
func (db *DB) RotateKey(ctx context.Context, id string, s Secret, oldNotAfter time.Time) error {
	if len(s.Hash) == 0 || oldNotAfter.IsZero() {
		return errors.New("store: rotate key: secret hash and old secrets' end are required")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.now()
	}
	sargs, err := secretArgs(id, &s)
	if err != nil {
		return fmt.Errorf("store: rotate key: %w", err)
	}
	end, err := nanos(oldNotAfter)
	if err != nil {
		return fmt.Errorf("store: rotate key: %w", err)
	}
	err = db.inTx(ctx, "rotate key", func(tx *sql.Tx) error {
		// Updating the key first locks its row against a concurrent revoke.
		res, err := tx.ExecContext(ctx, db.q.rotatePrefix, s.Prefix, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return db.whyNotRotated(ctx, tx, id)
		}
		if _, err := tx.ExecContext(ctx, db.q.expireSecrets, end, id, end); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q.insertSecret, sargs...)
		return err
	})
	if err != nil {
		return err
	}
	return db.keysChanged()
}

// whyNotRotated tells an unknown key from a revoked one.
func (db *DB) whyNotRotated(ctx context.Context, tx *sql.Tx, id string) error {
	var revoked sql.NullInt64
	err := tx.QueryRowContext(ctx, db.q.keyRevokedAt, id).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return err
	}
	return ErrRevoked
}

// RevokeKey marks key id revoked at the given time. Revoking a revoked key
// succeeds and keeps the first revocation time. It returns ErrNotFound (not
// wrapped) for an unknown key. Its secrets stay stored, so a revoked key's
// secret is still found, and recognised as revoked.
func (db *DB) RevokeKey(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return errors.New("store: revoke key: time is required")
	}
	t, err := nanos(at)
	if err != nil {
		return fmt.Errorf("store: revoke key: %w", err)
	}
	res, err := db.w.ExecContext(ctx, db.q.revoke, t, id)
	if err != nil {
		return fmt.Errorf("store: revoke key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: revoke key: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return db.keysChanged()
}

// TouchKeys records when keys were last used, in one transaction: each key's
// LastUsedAt becomes the later of its stored value and used[id]. Unknown ids
// and zero times are ignored. Keys are updated in id order, so concurrent
// batches from several replicas cannot deadlock.
func (db *DB) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return db.inTx(ctx, "touch keys", func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, db.q.touch)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range slices.Sorted(maps.Keys(used)) {
			t, err := nanos(used[id])
			if err != nil {
				return err
			}
			if !t.Valid {
				continue
			}
			if _, err := st.ExecContext(ctx, t, id, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// inTx runs fn in a write transaction, committing if it returns nil. Errors
// are wrapped with op, except the sentinels ErrNotFound and ErrRevoked.
func (db *DB) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if err == ErrNotFound || err == ErrRevoked {
			return err
		}
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit: %w", op, err)
	}
	return nil
}
