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
	if r.Rewrapped != 3 || len(r.Destroyed) != 1 || r.Previous == r.Current { // root secret + two live keys
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

func rootFileName(cfg config.KMS) string { return "kms-root." + cfg.Provider }

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
	if r.Previous != "warden-root" || r.Current != "warden-root.2" || len(r.Destroyed) != 0 {
		t.Fatalf("rotation: %+v", r)
	}
	if err := ring.Ensure(ctx, "warden-root"); err != nil {
		t.Fatalf("the previous root key was destroyed unasked: %v", err)
	}
	// A replica's copy of the file from before the rotation still opens,
	// until the previous keys are destroyed.
	replica := t.TempDir()
	old, _ := os.ReadFile(filepath.Join(data, rootFileName(cfg)))
	r, err = kms.Rotate(ctx, cfg, data, false)
	if err != nil || r.Current != "warden-root.3" {
		t.Fatalf("second rotation: %+v %v", r, err)
	}
	os.WriteFile(filepath.Join(replica, rootFileName(cfg)), old, 0o600)
	if p, err := kms.Open(ctx, cfg, replica); err != nil {
		t.Fatalf("a replica's unrotated root file: %v", err)
	} else {
		p.Close()
	}
	gone, err := kms.DestroyPrevious(ctx, cfg, data)
	if err != nil || strings.Join(gone, ",") != "warden-root,warden-root.2" {
		t.Fatalf("destroy-previous: %q %v", gone, err)
	}
	fresh, err := kms.Open(ctx, cfg, data) // (a ring caches a key's presence for a second)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for _, k := range gone {
		if err := fresh.KeyRing().Ensure(ctx, k); !errors.Is(err, kms.ErrDestroyed) {
			t.Fatalf("%s survived destroy-previous: %v", k, err)
		}
	}
	if _, err := kms.Open(ctx, cfg, replica); err == nil {
		t.Fatal("a root file wrapped by a destroyed key opened")
	}
	r, err = kms.Rotate(ctx, cfg, data, true)
	if err != nil || r.Current != "warden-root.4" || strings.Join(r.Destroyed, ",") != "warden-root,warden-root.2,warden-root.3" {
		t.Fatalf("rotation with --destroy-previous: %+v %v", r, err)
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

// TestRotateLocalCrashAfterRename: a key a gateway made under the old
// master key after the rotation's first pass, left so by a crash right
// after the rename, still opens (the old key waits in .prev), and the next
// rotation finishes the job.
func TestRotateLocalCrashAfterRename(t *testing.T) {
	ctx := context.Background()
	dir, other := t.TempDir(), t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	kms.GenerateLocal(keyFile)
	b, _ := os.ReadFile(keyFile)
	otherKey := filepath.Join(other, "master.key")
	os.WriteFile(otherKey, b, 0o600)
	cfg := config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: keyFile}}
	// The same master key over another directory makes the file the
	// gateway would have made under the old key.
	l2, _ := kms.LoadLocal(otherKey)
	r2, _ := l2.KeyRing(kms.KeyRingDir(otherKey))
	r2.Ensure(ctx, "kek.c.late")
	wrapped, _ := r2.Wrap(ctx, "kek.c.late", []byte("dek"), []byte("aad"))

	if _, err := kms.Rotate(ctx, cfg, "", false); err != nil {
		t.Fatal(err)
	}
	// The crash: the old key still in .prev, the late file not re-wrapped.
	os.WriteFile(keyFile+".prev", b, 0o600)
	late, _ := os.ReadFile(filepath.Join(kms.KeyRingDir(otherKey), "kek.c.late.key"))
	os.WriteFile(filepath.Join(kms.KeyRingDir(keyFile), "kek.c.late.key"), late, 0o600)

	fresh, err := kms.Open(ctx, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.KeyRing().Unwrap(ctx, "kek.c.late", wrapped, []byte("aad")); err != nil {
		t.Fatalf("a restarted gateway: %v", err)
	}
	for range 2 {
		if _, err := kms.Rotate(ctx, cfg, "", false); err != nil {
			t.Fatalf("re-running the rotation: %v", err)
		}
	}
	if _, err := os.Stat(keyFile + ".prev"); !os.IsNotExist(err) {
		t.Fatalf("the previous master key is left: %v", err)
	}
	again, _ := kms.Open(ctx, cfg, "")
	if _, err := again.KeyRing().Unwrap(ctx, "kek.c.late", wrapped, []byte("aad")); err != nil {
		t.Fatalf("after the rotations: %v", err)
	}
}

// TestDestroyedStaysDestroyed: a key file back beside its tombstone (a
// re-wrap cut short) is not read; the tombstone rules.
func TestDestroyedStaysDestroyed(t *testing.T) {
	ctx := context.Background()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	kms.GenerateLocal(keyFile)
	l, _ := kms.LoadLocal(keyFile)
	ring, _ := l.KeyRing(kms.KeyRingDir(keyFile))
	ring.Ensure(ctx, "kek.c.1")
	w, _ := ring.Wrap(ctx, "kek.c.1", []byte("dek"), nil)
	path := filepath.Join(kms.KeyRingDir(keyFile), "kek.c.1.key")
	b, _ := os.ReadFile(path)
	ring.Destroy(ctx, "kek.c.1")
	os.WriteFile(path, b, 0o600)
	l2, _ := kms.LoadLocal(keyFile)
	ring2, _ := l2.KeyRing(kms.KeyRingDir(keyFile))
	if _, err := ring2.Unwrap(ctx, "kek.c.1", w, nil); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("a destroyed key: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the resurrected file was not removed")
	}
}

// TestMarkerNames: names ending in ".destroyed" are markers, never keys.
func TestMarkerNames(t *testing.T) {
	ctx := context.Background()
	transit := wardentest.NewTransit(t)
	rings := map[string]kms.KeyRing{"vault": &kms.VaultKeyRing{Address: transit.URL, Token: transit.Token}}
	if kms.PKCS11Available {
		cfg := wardentest.SoftHSM(t)
		pin, _ := cfg.PIN.Resolve()
		r, err := kms.OpenPKCS11(cfg.Module, cfg.TokenLabel, pin)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rings["pkcs11"] = r
	}
	for name, ring := range rings {
		if err := ring.Ensure(ctx, "kek.x.destroyed"); !errors.Is(err, kms.ErrBadName) {
			t.Errorf("%s: a key named like a marker: %v", name, err)
		}
		ring.Ensure(ctx, "kek.y")
		ring.Destroy(ctx, "kek.y")
		if _, err := ring.Wrap(ctx, "kek.y.destroyed", []byte("dek"), nil); !errors.Is(err, kms.ErrBadName) {
			t.Errorf("%s: the marker used as a key: %v", name, err)
		}
	}
}
