package kms_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/wardentest"
)

// testKeyRing holds a key ring to its contract: payloads sealed with its
// keys open, are bound to what they are, and are unreadable once their key
// is destroyed; a destroyed key is not made again; names are checked.
// Key names carry the test's name so rings on a shared token do not meet.
func testKeyRing(t *testing.T, ring kms.KeyRing) seal.Sealed {
	t.Helper()
	ctx := context.Background()
	s := &seal.Sealer{Ring: ring}
	class := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	key := seal.KeyName(class, time.Now())
	sealed, err := s.Seal(ctx, key, "aud_1", class, []byte("the prompt"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Open(ctx, sealed, "aud_1", class); err != nil || string(p) != "the prompt" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := s.Open(ctx, sealed, "aud_2", class); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another record's id: %v", err)
	}
	if _, err := s.Open(ctx, sealed, "aud_1", class+"x"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another classification: %v", err)
	}
	if err := s.Shred(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sealed, "aud_1", class); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("after destroying: %v, want ErrShredded", err)
	}
	if _, err := s.Seal(ctx, key, "aud_3", class, []byte("late")); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("seal into a destroyed period: %v", err)
	}
	if err := ring.Ensure(ctx, key); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("ensure a destroyed key: %v", err)
	}
	if err := ring.Destroy(ctx, "kek.never."+class); err != nil {
		t.Fatalf("destroying a key never made: %v", err)
	}
	for _, bad := range []string{"../x", "", "A", strings.Repeat("a", 129)} {
		if err := ring.Ensure(ctx, bad); !errors.Is(err, kms.ErrBadName) {
			t.Fatalf("bad name %q: %v", bad, err)
		}
	}
	return sealed
}

// TestVaultKeyRing runs the contract against the Transit fake; the data
// keys are wrapped by Vault, and a bad token is refused without echo.
func TestVaultKeyRing(t *testing.T) {
	fake := wardentest.NewTransit(t)
	ring := &kms.VaultKeyRing{Address: fake.URL, Token: fake.Token}
	sealed := testKeyRing(t, ring)
	if !strings.HasPrefix(string(sealed.WrappedDEK), "vault:v1:") {
		t.Fatalf("wrapped data key %q is not Vault's", sealed.WrappedDEK)
	}
	if _, err := (&kms.VaultKeyRing{Address: fake.URL, Token: "wrong"}).Unwrap(context.Background(), sealed.Key, sealed.WrappedDEK, nil); err == nil || strings.Contains(err.Error(), fake.Token) {
		t.Fatalf("bad token: %v", err)
	}
}

// TestLocalKeyRingContract runs the contract against the local key ring.
func TestLocalKeyRingContract(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := kms.GenerateLocal(path); err != nil {
		t.Fatal(err)
	}
	l, err := kms.LoadLocal(path)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := l.KeyRing(kms.KeyRingDir(path))
	if err != nil {
		t.Fatal(err)
	}
	testKeyRing(t, ring)
}

// TestPKCS11KeyRing runs the contract against a SoftHSM2 token, then opens
// the pkcs11 provider twice over one data directory: the root secret (and
// so every derived key) is the same, and it lives wrapped by the token.
func TestPKCS11KeyRing(t *testing.T) {
	cfg := wardentest.SoftHSM(t)
	pin, err := cfg.PIN.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	// (PKCS#11 logs in per process: a wrong PIN is noticed only while no
	// session is logged in.)
	if _, err := kms.OpenPKCS11(cfg.Module, cfg.TokenLabel, "wrong-pin"); err == nil || strings.Contains(err.Error(), "wrong-pin") {
		t.Fatalf("a wrong PIN: %v", err)
	}
	ring, err := kms.OpenPKCS11(cfg.Module, cfg.TokenLabel, pin)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	t.Run("ring", func(t *testing.T) {
		sealed := testKeyRing(t, ring)
		if len(sealed.WrappedDEK) != 16+32+16 {
			t.Fatalf("wrapped data key is %d bytes, want a 16-byte nonce, the key and the tag", len(sealed.WrappedDEK))
		}
	})
	if _, err := kms.OpenPKCS11(cfg.Module, "no-such-token", pin); err == nil {
		t.Fatal("opened a token that does not exist")
	}

	ctx := context.Background()
	data := t.TempDir()
	kc := config.KMS{Provider: "pkcs11", PKCS11: cfg}
	p1, err := kms.Open(ctx, kc, data)
	if err != nil {
		t.Fatal(err)
	}
	a := p1.DeriveKey(kms.PurposeAPIKeyHash)
	p1.Close()
	b, err := os.ReadFile(filepath.Join(data, "kms-root.pkcs11"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, a) {
		t.Fatal("the root file holds key material in the clear")
	}
	p2, err := kms.Open(ctx, kc, data)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if !bytes.Equal(a, p2.DeriveKey(kms.PurposeAPIKeyHash)) {
		t.Fatal("derived keys differ between opens")
	}
	t.Run("provider", func(t *testing.T) { testKeyRing(t, p2.KeyRing()) })
}
