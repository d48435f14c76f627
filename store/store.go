// Package store is Warden's SQL storage: API keys, the audit search index,
// sealed payloads, legal holds, approvals and the audit sinks' cursors. One implementation
// serves both SQLite (the default, embedded) and PostgreSQL (for several
// replicas); the differences are confined to the dialect and the migrations.
package store

import (
	"errors"
	"time"
)

// ErrNotFound is returned when the named row does not exist. Callers answering
// a client map it to 404 (or to 401 for a credential lookup).
var ErrNotFound = errors.New("store: not found")

// ErrRevoked is returned by RotateKey for a key that has been revoked: a
// revoked key stays revoked, so the caller should refuse (409 Conflict) and
// have the operator create a new key instead.
var ErrRevoked = errors.New("store: key revoked")

// APIKey is the stored description of an API key. The secret itself is never
// stored; only its keyed hash is, in Secret.
type APIKey struct {
	ID     string   // stable identifier, "key_" + random; survives rotation
	Name   string   // operator-chosen label
	Role   string   // role name from the config
	Models []string // optional globs narrowing the role; empty = the role's models
	RPM    int      // optional per-key requests per minute (0 = role's)
	TPM    int      // optional per-key tokens per minute (0 = role's)
	// Optional per-key narrowings of the role's other limits (0 = role's).
	TokensPerDay, TokensPerMonth, MaxPromptTokens, MaxTokens int64
	IPAllow                                                  []string  // optional CIDRs the key may be used from; empty = any (within the role's)
	Prefix                                                   string    // visible prefix of the current secret, e.g. "wdn_3fA9xk2p"
	CreatedAt                                                time.Time // UTC
	ExpiresAt                                                time.Time // zero = never
	RevokedAt                                                time.Time // zero = not revoked
	LastUsedAt                                               time.Time // zero = never used; updated in batches, not per request
	// CreatedBy is the principal id that created the key through the admin
	// API ("apikey:key_...", an OIDC "issuer#subject", ...), "cli:<user>"
	// for the operator's CLI, "" for keys from before it was recorded.
	CreatedBy string
}

// Revoked reports whether the key has been revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Secret is one hashed secret of a key. A key has one current secret and, after
// a rotation, older secrets that stay valid until their NotAfter.
type Secret struct {
	Hash      []byte    // keyed hash (HMAC-SHA256) of the full "wdn_..." string
	Prefix    string    // visible prefix, for identification in lists and logs
	NotAfter  time.Time // zero = valid as long as the key is
	CreatedAt time.Time // when issued; zero = the key's CreatedAt (CreateKey) or now (RotateKey)
	IssuedBy  string    // principal id that created or rotated the key to issue it ("" if unrecorded)
	IssuedIn  string    // id of the audit record of that act ("" if unrecorded)
}

// Match is the result of looking a secret up by its hash.
type Match struct {
	Key    APIKey
	Secret Secret
}
