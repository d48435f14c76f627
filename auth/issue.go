package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/wardenhq/warden/store"
)

// KeyStore is what issuing and rotating keys needs from the store.
type KeyStore interface {
	CreateKey(ctx context.Context, k store.APIKey, s store.Secret) error
	RotateKey(ctx context.Context, id string, s store.Secret, oldNotAfter time.Time) error
}

// KeySpec describes a key to issue.
type KeySpec struct {
	Name     string
	Role     string
	Models   []string // optional globs narrowing the role
	IPAllow  []string // optional CIDRs narrowing where the key works
	RPM, TPM int      // optional per-minute limits narrowing the role's
	// Optional narrowings of the role's other limits (0 = the role's).
	TokensPerDay, TokensPerMonth, MaxPromptTokens, MaxTokens int64
	ExpiresIn                                                time.Duration // 0 = no expiry
	ExpiresAt                                                time.Time     // if set, the expiry, and ExpiresIn is ignored
	Issuer                                                   Issuer        // who creates the key
}

// Issuer is who issues a key's secret, by creating or rotating the key: a
// principal id ("cli:<user>" for the operator's CLI) and the id of the
// audit record of the act. Requests made with the secret carry both in
// their own audit records.
type Issuer struct {
	By string // principal id
	In string // audit record id of the act ("" if none)
}

// NewKeyID returns a random key id ("key_" + 20 hex digits).
func NewKeyID() string {
	var b [10]byte
	rand.Read(b[:])
	return "key_" + hex.EncodeToString(b[:])
}

// IssueKey creates a key and returns its secret, the only copy there is.
// The caller checks that spec.Role exists.
func IssueKey(ctx context.Context, ks KeyStore, h *Hasher, spec KeySpec, now time.Time) (string, store.APIKey, error) {
	secret := NewKey()
	var sum [32]byte
	now = now.UTC()
	k := store.APIKey{
		ID: NewKeyID(), Name: spec.Name, Role: spec.Role, Models: spec.Models,
		IPAllow: spec.IPAllow, RPM: spec.RPM, TPM: spec.TPM,
		TokensPerDay: spec.TokensPerDay, TokensPerMonth: spec.TokensPerMonth,
		MaxPromptTokens: spec.MaxPromptTokens, MaxTokens: spec.MaxTokens,
		Prefix: VisiblePrefix(secret), CreatedAt: now, CreatedBy: spec.Issuer.By,
	}
	switch {
	case !spec.ExpiresAt.IsZero():
		k.ExpiresAt = spec.ExpiresAt.UTC()
	case spec.ExpiresIn > 0:
		k.ExpiresAt = now.Add(spec.ExpiresIn)
	}
	err := ks.CreateKey(ctx, k, store.Secret{Hash: h.Sum(secret, &sum), Prefix: k.Prefix, IssuedBy: spec.Issuer.By, IssuedIn: spec.Issuer.In})
	return secret, k, err
}

// RotateKey gives key id a new secret and returns it; the previous secrets
// stay valid until now+grace; iss is recorded as the new secret's issuer.
// Errors: store.ErrNotFound, store.ErrRevoked.
func RotateKey(ctx context.Context, ks KeyStore, h *Hasher, id string, grace time.Duration, now time.Time, iss Issuer) (string, error) {
	secret := NewKey()
	var sum [32]byte
	s := store.Secret{Hash: h.Sum(secret, &sum), Prefix: VisiblePrefix(secret), IssuedBy: iss.By, IssuedIn: iss.In}
	err := ks.RotateKey(ctx, id, s, now.UTC().Add(grace))
	return secret, err
}
