package kms

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/flock"
)

// hookCodec is the plain codec with a hook run while a key file is decoded
// (for a cloud codec, a KMS round trip: a wide window).
type hookCodec struct {
	plainMaster
	hook func()
}

func (h *hookCodec) decode(b []byte) ([]byte, error) {
	k, err := h.plainMaster.decode(b)
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return k, err
}

// TestLookupDuringRename: a gateway that meets a file wrapped under the
// new master key while the rotation renames .next over the key file still
// finds the key (it reads .next, then the key file, then .prev).
func TestLookupDuringRename(t *testing.T) {
	ctx := context.Background()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	GenerateLocal(keyFile)
	codec := &hookCodec{}
	g, err := loadLocal(keyFile, codec)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := g.KeyRing(KeyRingDir(keyFile))
	if err := ring.Ensure(ctx, "kek.c.1"); err != nil {
		t.Fatal(err)
	}
	r, _ := loadLocal(keyFile, plainMaster{})
	GenerateLocal(keyFile + ".next")
	id, _ := r.src.load(keyFile + ".next")
	if _, err := rewrapRing(r.src, KeyRingDir(keyFile), id); err != nil {
		t.Fatal(err)
	}
	ring.mu.Lock()
	ring.cache = map[string]cachedKey{}
	ring.mu.Unlock()
	codec.hook = func() { os.Rename(keyFile+".next", keyFile) }
	if _, err := ring.Wrap(ctx, "kek.c.1", []byte("dek"), nil); err != nil {
		t.Fatalf("wrap while the rotation renames: %v", err)
	}
}

// TestLegacyFileAfterRotation: bytes of a key file from before key ids
// existed, read before a rotation and opened after the gateway moved to
// the new master key, still open.
func TestLegacyFileAfterRotation(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "master.key")
	GenerateLocal(keyFile)
	g, _ := loadLocal(keyFile, plainMaster{})
	a := g.src.byID[g.src.cur]
	nonce := make([]byte, 12)
	rand.Read(nonce)
	legacy := a.Seal(append([]byte{}, nonce...), nonce, make([]byte, 32), []byte("kek.c.1"))
	if len(legacy) != legacyWrapped {
		t.Fatal(len(legacy))
	}
	os.MkdirAll(KeyRingDir(keyFile), 0o700)
	os.WriteFile(filepath.Join(KeyRingDir(keyFile), "kek.c.1.key"), legacy, 0o600)
	if _, err := rotateMaster(keyFile, plainMaster{}); err != nil {
		t.Fatal(err)
	}
	g.src.current()
	if _, _, err := g.src.open(legacy, []byte("kek.c.1")); err != nil {
		t.Fatalf("legacy bytes no longer open: %v", err)
	}
	// And the rotation re-wrapped the file itself under the new key.
	b, _ := os.ReadFile(filepath.Join(KeyRingDir(keyFile), "kek.c.1.key"))
	if len(b) == legacyWrapped {
		t.Fatal("the legacy file was not re-wrapped")
	}
	fresh, _ := LoadLocal(keyFile)
	if _, _, err := fresh.src.open(b, []byte("kek.c.1")); err != nil {
		t.Fatal(err)
	}
}

// TestRotationsDoNotOverlap: a second rotation of the same key file while
// one runs is refused.
func TestRotationsDoNotOverlap(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "master.key")
	GenerateLocal(keyFile)
	lock, err := flock.Try(keyFile + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rotateMaster(keyFile, plainMaster{})
	lock.Close()
	if err == nil || errors.Is(err, flock.ErrLocked) {
		t.Fatalf("a rotation while another runs: %v", err)
	}
	if _, err := rotateMaster(keyFile, plainMaster{}); err != nil {
		t.Fatal(err)
	}
}

// TestFirstRotationForgetsTheOldMaster: before any rotation the root
// secret is the master key itself. The first rotation must not keep it
// (wrapped under the new master) while it reports the old master
// destroyed: the root file keeps the derived keys instead, so they stay as
// they were, and nothing in the key ring gives back the old master key.
func TestFirstRotationForgetsTheOldMaster(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if err := GenerateLocal(keyFile); err != nil {
		t.Fatal(err)
	}
	before, err := LoadLocal(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	oldMaster := before.src.key[before.src.cur]
	purposes := append([]string{"some/later/purpose"}, derivedPurposes...)
	want := map[string][]byte{}
	for _, p := range purposes {
		want[p] = before.DeriveKey(p)
	}
	if _, err := rotateMaster(keyFile, plainMaster{}); err != nil {
		t.Fatal(err)
	}
	after, err := LoadLocal(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if after.root != nil || after.purposes == nil {
		t.Fatal("the rotated key ring still keeps a root secret")
	}
	for _, p := range purposes {
		if !bytes.Equal(after.DeriveKey(p), want[p]) {
			t.Fatalf("%s derives another key after the rotation", p)
		}
	}
	// What the root file holds, opened with the new master key.
	b, _ := os.ReadFile(filepath.Join(KeyRingDir(keyFile), rootFileName))
	plain, _, err := after.src.open(b, rootAAD)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, oldMaster) {
		t.Fatal("the root file holds the previous master key")
	}
}
