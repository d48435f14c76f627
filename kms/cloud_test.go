package kms

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeKeeper stands in for a cloud KMS key: AES-GCM under a key the test
// holds, as gocloud.dev/secrets keepers encrypt and decrypt.
type fakeKeeper struct{ key []byte }

func (f fakeKeeper) Encrypt(_ context.Context, p []byte) ([]byte, error) {
	a, _ := newAEAD(f.key)
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, p, nil), nil
}

func (f fakeKeeper) Decrypt(_ context.Context, c []byte) ([]byte, error) {
	a, _ := newAEAD(f.key)
	if len(c) < a.NonceSize() {
		return nil, errors.New("short")
	}
	return a.Open(nil, c[:a.NonceSize()], c[a.NonceSize():], nil)
}

func (fakeKeeper) Close() error { return nil }

// TestCloudMaster: a master key wrapped by a cloud key holds a key ring as
// a plain one does, is not readable without the cloud key, and rotates.
func TestCloudMaster(t *testing.T) {
	ctx := context.Background()
	cloud := fakeKeeper{make([]byte, 32)}
	rand.Read(cloud.key)
	m := &keeperMaster{k: cloud}
	keyFile := filepath.Join(t.TempDir(), "master.wrapped")
	key := make([]byte, 32)
	rand.Read(key)
	b, _ := m.encode(key)
	os.WriteFile(keyFile, b, 0o644) // wrapped: need not be private
	if strings.Contains(string(b), string(plainMaster{}.mustEncode(key))) {
		t.Fatal("the wrapped file holds the key")
	}
	l, err := loadLocal(keyFile, m)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := l.KeyRing(KeyRingDir(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Ensure(ctx, "kek.c.20261122"); err != nil {
		t.Fatal(err)
	}
	w, _ := ring.Wrap(ctx, "kek.c.20261122", []byte("dek"), nil)
	other := &keeperMaster{k: fakeKeeper{make([]byte, 32)}}
	if _, err := loadLocal(keyFile, other); err == nil {
		t.Fatal("opened with another cloud key")
	}
	if _, err := rotateMaster(keyFile, m); err != nil {
		t.Fatal(err)
	}
	l2, err := loadLocal(keyFile, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(l2.DeriveKey("p")) != string(l.DeriveKey("p")) {
		t.Fatal("derived keys changed")
	}
	r2, _ := l2.KeyRing(KeyRingDir(keyFile))
	if got, err := r2.Unwrap(ctx, "kek.c.20261122", w, nil); err != nil || string(got) != "dek" {
		t.Fatalf("after rotation: %q %v", got, err)
	}
}

func (p plainMaster) mustEncode(key []byte) []byte {
	b, _ := p.encode(key)
	return []byte(strings.TrimSpace(string(b)))
}
