package kms_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/wardentest"
)

// TestVaultKeyRing: payloads sealed with keys in Vault Transit open, are
// bound to what they are, and are unreadable once their key is destroyed;
// a bad token is refused.
func TestVaultKeyRing(t *testing.T) {
	ctx := context.Background()
	fake := wardentest.NewTransit(t)
	ring := &kms.VaultKeyRing{Address: fake.URL, Token: fake.Token}
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	sealed, err := s.Seal(ctx, key, "aud_1", "confidential", []byte("the prompt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sealed.WrappedDEK), "vault:v1:") {
		t.Fatalf("wrapped data key %q is not Vault's", sealed.WrappedDEK)
	}
	if p, err := s.Open(ctx, sealed, "aud_1", "confidential"); err != nil || string(p) != "the prompt" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := s.Open(ctx, sealed, "aud_2", "confidential"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another record's id: %v", err)
	}
	if _, err := (&kms.VaultKeyRing{Address: fake.URL, Token: "wrong"}).Unwrap(ctx, key, sealed.WrappedDEK, nil); err == nil || strings.Contains(err.Error(), fake.Token) {
		t.Fatalf("bad token: %v", err)
	}
	if err := s.Shred(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sealed, "aud_1", "confidential"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("after destroying: %v, want ErrShredded", err)
	}
	if _, err := s.Seal(ctx, key, "aud_3", "confidential", []byte("late")); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("seal into a destroyed period: %v", err)
	}
	if err := ring.Destroy(ctx, "kek.never.20260101"); err != nil {
		t.Fatalf("destroying a key never made: %v", err)
	}
	if err := ring.Ensure(ctx, "../x"); !errors.Is(err, kms.ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
}
