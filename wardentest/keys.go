package wardentest

import (
	"context"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/store"
)

// KeyOptions describe an API key to issue.
type KeyOptions struct {
	Name      string    // default "test"
	Role      string    // default "admin"
	Models    []string  // globs narrowing the role; empty = the role's models
	IPAllow   []string  // CIDRs narrowing where the key works
	RPM, TPM  int       // per-minute limits narrowing the role's
	ExpiresAt time.Time // zero = never
}

// Key is an issued API key.
type Key struct {
	ID     string // "key_..."
	Secret string // "wdn_...", the bearer token
}

// NewKey issues an API key through the store with auth.IssueKey, as
// `warden keys create` and the admin API do. A past ExpiresAt gives a key
// that is already expired.
func (g *Gateway) NewKey(t testing.TB, o KeyOptions) Key {
	t.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	if o.Role == "" {
		o.Role = "admin"
	}
	spec := auth.KeySpec{Name: o.Name, Role: o.Role, Models: o.Models, IPAllow: o.IPAllow, RPM: o.RPM, TPM: o.TPM}
	now := time.Now()
	if !o.ExpiresAt.IsZero() {
		// IssueKey takes a lifetime from its "now": issue in the past if need be.
		if !o.ExpiresAt.After(now) {
			now = o.ExpiresAt.Add(-time.Minute)
		}
		spec.ExpiresIn = o.ExpiresAt.Sub(now)
	}
	secret, k, err := auth.IssueKey(context.Background(), g.Store, g.hasher(), spec, now)
	if err != nil {
		t.Fatalf("wardentest: create key: %v", err)
	}
	return Key{ID: k.ID, Secret: secret}
}

// CopyKey stores key, as issued by another gateway, in this gateway's store
// (hashed under this gateway's master key), as a store shared by replicas
// would hold it: both gateways then know the same principal.
func (g *Gateway) CopyKey(t testing.TB, from *Gateway, key Key) {
	t.Helper()
	k, err := from.Store.GetKey(context.Background(), key.ID)
	if err != nil {
		t.Fatalf("wardentest: copy key: %v", err)
	}
	var sum [32]byte
	if err := g.Store.CreateKey(context.Background(), k, store.Secret{Hash: g.hasher().Sum(key.Secret, &sum), Prefix: k.Prefix}); err != nil {
		t.Fatalf("wardentest: copy key: %v", err)
	}
}

// Revoke revokes key id now, as `warden keys revoke` does.
func (g *Gateway) Revoke(t testing.TB, id string) {
	t.Helper()
	if err := g.Store.RevokeKey(context.Background(), id, time.Now().UTC()); err != nil {
		t.Fatalf("wardentest: revoke key: %v", err)
	}
}

// Rotate gives key id a new secret with auth.RotateKey, as
// `warden keys rotate --grace` does: the previous secrets stay valid for
// grace (0: they stop now). It returns the new secret.
func (g *Gateway) Rotate(t testing.TB, id string, grace time.Duration) string {
	t.Helper()
	secret, err := auth.RotateKey(context.Background(), g.Store, g.hasher(), id, grace, time.Now(), auth.Issuer{By: "wardentest"})
	if err != nil {
		t.Fatalf("wardentest: rotate key: %v", err)
	}
	return secret
}

// hasher is the API-key hasher the gateway's authenticator uses.
func (g *Gateway) hasher() *auth.Hasher {
	return auth.NewHasher(g.KMS.DeriveKey(kms.PurposeAPIKeyHash))
}
