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

// TestRotateLocal: a rotation replaces the master key and re-wraps every
// key of the key ring under it; a gateway that was running meanwhile keeps
// sealing and opening (new files included), a fresh start derives the
// same keys, the old master key opens none of the new files, and a
// destroyed key stays destroyed.
func TestRotateLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if err := kms.GenerateLocal(keyFile); err != nil {
		t.Fatal(err)
	}
	oldMaster, _ := os.ReadFile(keyFile)
	cfg := config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: keyFile}}
	running, err := kms.Open(ctx, cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	derived := running.DeriveKey(kms.PurposeAPIKeyHash)
	s := &seal.Sealer{Ring: running.KeyRing()}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var sealed []seal.Sealed
	for i := range 3 {
		k := seal.KeyName("confidential", day.AddDate(0, 0, i))
		p, err := s.Seal(ctx, k, "aud_1", "confidential", []byte("the prompt"))
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, p)
	}
	if err := s.Shred(ctx, sealed[2].Key); err != nil {
		t.Fatal(err)
	}

	r, err := kms.Rotate(ctx, cfg, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rewrapped != 3 || !r.Destroyed || r.Previous == r.Current { // root secret + two live keys
		t.Fatalf("rotation: %+v", r)
	}
	if newMaster, _ := os.ReadFile(keyFile); bytes.Equal(newMaster, oldMaster) {
		t.Fatal("the master key file was not replaced")
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("new master key mode %v", st.Mode().Perm())
	}
	if _, err := os.Stat(keyFile + ".next"); !os.IsNotExist(err) {
		t.Fatalf("the next key file is left: %v", err)
	}

	// The running gateway: its cached keys, a key it has not read yet, and
	// a new key all work.
	if p, err := s.Open(ctx, sealed[0], "aud_1", "confidential"); err != nil || string(p) != "the prompt" {
		t.Fatalf("running gateway, cached key: %q %v", p, err)
	}
	fresh, err := kms.Open(ctx, cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh.DeriveKey(kms.PurposeAPIKeyHash), derived) {
		t.Fatal("derived keys changed with the master key")
	}
	fs := &seal.Sealer{Ring: fresh.KeyRing()}
	for _, p := range sealed[:2] {
		if got, err := fs.Open(ctx, p, "aud_1", "confidential"); err != nil || string(got) != "the prompt" {
			t.Fatalf("after a restart: %q %v", got, err)
		}
	}
	if _, err := fs.Open(ctx, sealed[2], "aud_1", "confidential"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("a destroyed key after rotation: %v", err)
	}
	late, err := s.Seal(ctx, seal.KeyName("confidential", day.AddDate(0, 0, 5)), "aud_2", "confidential", []byte("late"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.Open(ctx, late, "aud_2", "confidential"); err != nil || string(got) != "late" {
		t.Fatalf("a key the running gateway made after the rotation: %q %v", got, err)
	}

	// The old master key opens nothing of the rotated key ring.
	stale := filepath.Join(t.TempDir(), "old.key")
	os.WriteFile(stale, oldMaster, 0o600)
	os.CopyFS(filepath.Join(filepath.Dir(stale), "keyring"), os.DirFS(kms.KeyRingDir(keyFile)))
	if _, err := kms.Open(ctx, config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: stale}}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "root secret") {
		t.Fatalf("the old master key opened the rotated key ring: %v", err)
	}

	// Twice more: each rotation leaves a working ring.
	for range 2 {
		if _, err := kms.Rotate(ctx, cfg, "", false); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Open(ctx, late, "aud_2", "confidential"); err != nil || string(got) != "late" {
		t.Fatalf("after three rotations: %q %v", got, err)
	}
}

// TestRotateLocalResumes: a rotation cut short after writing the next key
// is finished by the next run, with that key.
func TestRotateLocalResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	kms.GenerateLocal(keyFile)
	cfg := config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: keyFile}}
	p, _ := kms.Open(ctx, cfg, t.TempDir())
	s := &seal.Sealer{Ring: p.KeyRing()}
	sealed, err := s.Seal(ctx, seal.KeyName("c", time.Now()), "aud_1", "c", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	kms.GenerateLocal(keyFile + ".next") // as a crashed rotation leaves it
	next, _ := os.ReadFile(keyFile + ".next")
	if _, err := kms.Rotate(ctx, cfg, "", false); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(keyFile); !bytes.Equal(now, next) {
		t.Fatal("the resumed rotation did not use the next key")
	}
	p2, err := kms.Open(ctx, cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := (&seal.Sealer{Ring: p2.KeyRing()}).Open(ctx, sealed, "aud_1", "c"); err != nil || string(got) != "x" {
		t.Fatalf("%q %v", got, err)
	}
}

// TestRotateWrappedRoot: with Vault and with a PKCS#11 token, a rotation
// re-wraps the root secret under a new KMS key, derived keys stay, and
// the old key is destroyed only when asked.
func TestRotateWrappedRoot(t *testing.T) {
	t.Run("vault", func(t *testing.T) {
		transit := wardentest.NewTransit(t)
		tokenFile := filepath.Join(t.TempDir(), "token")
		os.WriteFile(tokenFile, []byte(transit.Token), 0o600)
		testRotateRoot(t, config.KMS{Provider: "vault", Vault: config.VaultKMS{Address: transit.URL, Token: config.Secret("file:" + tokenFile)}})
	})
	t.Run("pkcs11", func(t *testing.T) {
		testRotateRoot(t, config.KMS{Provider: "pkcs11", PKCS11: wardentest.SoftHSM(t)})
	})
}

func testRotateRoot(t *testing.T, cfg config.KMS) {
	ctx := context.Background()
	data := t.TempDir()
	p, err := kms.Open(ctx, cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	derived := p.DeriveKey(kms.PurposeAuditContent)
	ring := p.KeyRing()
	defer p.Close()

	r, err := kms.Rotate(ctx, cfg, data, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Previous != "warden-root" || r.Current != "warden-root.2" || r.Destroyed {
		t.Fatalf("rotation: %+v", r)
	}
	if err := ring.Ensure(ctx, "warden-root"); err != nil {
		t.Fatalf("the previous root key was destroyed unasked: %v", err)
	}
	r, err = kms.Rotate(ctx, cfg, data, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Previous != "warden-root.2" || r.Current != "warden-root.3" || !r.Destroyed {
		t.Fatalf("rotation: %+v", r)
	}
	if err := ring.Ensure(ctx, "warden-root.2"); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("the previous root key survived --destroy-previous: %v", err)
	}
	again, err := kms.Open(ctx, cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !bytes.Equal(again.DeriveKey(kms.PurposeAuditContent), derived) {
		t.Fatal("derived keys changed with the root key")
	}
}
