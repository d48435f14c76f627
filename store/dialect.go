package store

import (
	"strconv"
	"strings"
	"sync"
)

// dialect holds what differs between the SQL engines. Queries are written
// once, with "?" placeholders, and rebound for the engine when a DB opens.
type dialect struct {
	name   string // "sqlite" or "postgres", as given to Open
	dollar bool   // placeholders are $1, $2, ... instead of ?
}

var (
	sqliteDialect   = dialect{name: "sqlite"}
	postgresDialect = dialect{name: "postgres", dollar: true}
)

// rebind rewrites the "?" placeholders of q for d. A "?" inside a
// single-quoted string literal is left alone.
func (d dialect) rebind(q string) string {
	if !d.dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// queries are the statements of the store, rebound for one dialect.
type queries struct {
	lookup, getKey, listKeys                  string
	insertKey, insertSecret                   string
	rotatePrefix, keyRevokedAt, expireSecrets string
	revoke, touch                             string
	secretIssuers                             string
}

// keyCols are the api_keys columns, in the order scanKey expects them.
const keyCols = `k.id, k.name, k.role, k.models, k.rpm, k.tpm, k.prefix,
	k.created_at, k.expires_at, k.revoked_at, k.last_used_at, k.ip_allow,
	k.tokens_per_day, k.tokens_per_month, k.max_prompt_tokens, k.max_tokens, k.created_by`

func (d dialect) queries() queries {
	return queries{
		lookup: d.rebind(`SELECT ` + keyCols + `, s.prefix, s.not_after, s.created_at, s.issued_by, s.issued_in
			FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
			WHERE s.hash = ?`),
		getKey:   d.rebind(`SELECT ` + keyCols + ` FROM api_keys k WHERE k.id = ?`),
		listKeys: `SELECT ` + keyCols + ` FROM api_keys k ORDER BY k.created_at, k.id`,
		insertKey: d.rebind(`INSERT INTO api_keys (id, name, role, models, rpm, tpm, prefix,
			created_at, expires_at, revoked_at, last_used_at, ip_allow,
			tokens_per_day, tokens_per_month, max_prompt_tokens, max_tokens, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		insertSecret: d.rebind(`INSERT INTO api_key_secrets (hash, key_id, prefix, created_at, not_after,
			issued_by, issued_in) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		rotatePrefix: d.rebind(`UPDATE api_keys SET prefix = ? WHERE id = ? AND revoked_at IS NULL`),
		keyRevokedAt: d.rebind(`SELECT revoked_at FROM api_keys WHERE id = ?`),
		expireSecrets: d.rebind(`UPDATE api_key_secrets SET not_after = ?
			WHERE key_id = ? AND (not_after IS NULL OR not_after > ?)`),
		secretIssuers: d.rebind(`SELECT DISTINCT issued_by FROM api_key_secrets
			WHERE key_id = ? AND issued_by <> '' AND (not_after IS NULL OR not_after > ?)`),
		revoke: d.rebind(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`),
		touch: d.rebind(`UPDATE api_keys SET last_used_at = ?
			WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
	}
}

// perDialect builds a set of queries once for each dialect, on first use.
type perDialect[T any] struct{ sqlite, postgres func() *T }

func newPerDialect[T any](build func(dialect) *T) perDialect[T] {
	return perDialect[T]{
		sqlite:   sync.OnceValue(func() *T { return build(sqliteDialect) }),
		postgres: sync.OnceValue(func() *T { return build(postgresDialect) }),
	}
}

// of returns the set for db's dialect.
func (p perDialect[T]) of(db *DB) *T {
	if db.d.dollar {
		return p.postgres()
	}
	return p.sqlite()
}
