package kms_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/kms"
)

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := kms.GenerateLocal(path); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if err := kms.GenerateLocal(path); err == nil {
		t.Fatal("overwrote an existing key")
	}
	k, err := kms.LoadLocal(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.DeriveKey("purpose a"), k.DeriveKey("purpose b")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, k.DeriveKey("purpose a")) {
		t.Fatal("derived keys must be 32 bytes, distinct per purpose, and stable")
	}
	k2, _ := kms.LoadLocal(path)
	if !bytes.Equal(a, k2.DeriveKey("purpose a")) {
		t.Fatal("derivation differs between loads")
	}
	other := filepath.Join(dir, "other.key")
	kms.GenerateLocal(other)
	k3, _ := kms.LoadLocal(other)
	if bytes.Equal(a, k3.DeriveKey("purpose a")) {
		t.Fatal("different master keys derive the same key")
	}
}

func TestLoadLocalRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), mode)
		os.Chmod(p, mode)
		return p
	}
	good := filepath.Join(dir, "good.key")
	kms.GenerateLocal(good)
	content, _ := os.ReadFile(good)
	for name, tt := range map[string]struct {
		path string
		want string
	}{
		"missing":        {filepath.Join(dir, "nope"), "no such file"},
		"group readable": {write("g.key", string(content), 0o640), "chmod 600"},
		"world readable": {write("w.key", string(content), 0o644), "chmod 600"},
		"not base64":     {write("b.key", "not a key!\n", 0o600), "not a base64"},
		"short key":      {write("s.key", "AAAA\n", 0o600), "256-bit"},
	} {
		_, err := kms.LoadLocal(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(string(content))) {
			t.Errorf("%s: error reveals key material", name)
		}
	}
}

// TestKeyRingShared: two processes' key rings over one directory agree on
// a key whichever creates it, and a ring refuses a directory others can
// read.
func TestKeyRingShared(t *testing.T) {
	dir := t.TempDir()
	master := filepath.Join(dir, "master.key")
	kms.GenerateLocal(master)
	l, _ := kms.LoadLocal(master)
	a, err := l.KeyRing(kms.KeyRingDir(master))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.KeyRing(kms.KeyRingDir(master))
	ctx := context.Background()
	if err := a.Ensure(ctx, "kek.x.20261231"); err != nil {
		t.Fatal(err)
	}
	if err := b.Ensure(ctx, "kek.x.20261231"); err != nil {
		t.Fatal(err)
	}
	w, err := a.Wrap(ctx, "kek.x.20261231", []byte("data key"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Unwrap(ctx, "kek.x.20261231", w, []byte("aad")); err != nil || string(got) != "data key" {
		t.Fatalf("unwrap in the other ring: %q %v", got, err)
	}
	if _, err := b.Unwrap(ctx, "kek.x.20261231", w, []byte("other aad")); !errors.Is(err, kms.ErrUnwrap) {
		t.Fatalf("unwrap with other associated data: %v", err)
	}
	if _, err := b.Unwrap(ctx, "kek.none", w, nil); !errors.Is(err, kms.ErrNoKey) {
		t.Fatalf("unknown key: %v", err)
	}
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o755)
	if _, err := l.KeyRing(open); err == nil {
		t.Fatal("a key ring others can read was accepted")
	}
}
