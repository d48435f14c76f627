package kms_test

import (
	"bytes"
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
