package seal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/seal"
)

var ctx = context.Background()

// newRing returns a local key ring under a new master key, and the key
// file's path.
func newRing(tb testing.TB) (*kms.LocalKeyRing, string) {
	tb.Helper()
	dir := tb.TempDir()
	master := filepath.Join(dir, "master.key")
	if err := kms.GenerateLocal(master); err != nil {
		tb.Fatal(err)
	}
	l, err := kms.LoadLocal(master)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := l.KeyRing(kms.KeyRingDir(master))
	if err != nil {
		tb.Fatal(err)
	}
	return r, master
}

func TestSealRoundTrip(t *testing.T) {
	ring, _ := newRing(t)
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Date(2026, 12, 31, 10, 0, 0, 0, time.UTC))
	if key != "kek.confidential.20261231" {
		t.Fatalf("key name %q", key)
	}
	for _, size := range []int{0, 1, 4096, 1 << 20} {
		payload := bytes.Repeat([]byte{'p'}, size)
		a, err := s.Seal(ctx, key, "aud_1", "confidential", payload)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := s.Seal(ctx, key, "aud_1", "confidential", payload)
		if bytes.Equal(a.Ciphertext, b.Ciphertext) || bytes.Equal(a.WrappedDEK, b.WrappedDEK) {
			t.Fatal("two seals of one payload are alike: the data key is not fresh")
		}
		if size > 16 && bytes.Contains(a.Marshal(), payload[:16]) {
			t.Fatal("the stored form contains the payload")
		}
		back, err := seal.Unmarshal(a.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(ctx, back, "aud_1", "confidential")
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("size %d: %v", size, err)
		}
	}
}

// TestSealBinding: a sealed payload opens only as what it was sealed as,
// and any change to what is stored is detected.
func TestSealBinding(t *testing.T) {
	ring, _ := newRing(t)
	s := &seal.Sealer{Ring: ring}
	k1, k2 := seal.KeyName("confidential", time.Now()), seal.KeyName("public", time.Now())
	sealed, err := s.Seal(ctx, k1, "aud_1", "confidential", []byte("the prompt"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.Seal(ctx, k2, "aud_2", "public", []byte("another prompt"))
	cases := map[string]func() (seal.Sealed, string, string){
		"another record's id":    func() (seal.Sealed, string, string) { return sealed, "aud_2", "confidential" },
		"another classification": func() (seal.Sealed, string, string) { return sealed, "aud_1", "public" },
		"rewrapped under another period": func() (seal.Sealed, string, string) {
			c := sealed
			c.Key = k2
			return c, "aud_1", "confidential"
		},
		"another record's data key": func() (seal.Sealed, string, string) {
			c := sealed
			c.WrappedDEK = other.WrappedDEK
			return c, "aud_1", "confidential"
		},
	}
	for i := range sealed.Ciphertext {
		cases["ciphertext byte "+string(rune('a'+i%26))] = func() (seal.Sealed, string, string) {
			c := sealed
			c.Ciphertext = bytes.Clone(sealed.Ciphertext)
			c.Ciphertext[i] ^= 0x80
			return c, "aud_1", "confidential"
		}
	}
	for i := range sealed.WrappedDEK {
		cases["wrapped key byte"+string(rune('a'+i%26))] = func() (seal.Sealed, string, string) {
			c := sealed
			c.WrappedDEK = bytes.Clone(sealed.WrappedDEK)
			c.WrappedDEK[i] ^= 1
			return c, "aud_1", "confidential"
		}
	}
	for name, f := range cases {
		c, id, class := f()
		if _, err := s.Open(ctx, c, id, class); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

// TestCryptoShredding: once its key is destroyed, a payload copied before
// (as a database backup holds it) cannot be opened, by this process or a
// new one, and nothing can be sealed for that period any more.
func TestCryptoShredding(t *testing.T) {
	ring, master := newRing(t)
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	sealed, err := s.Seal(ctx, key, "aud_1", "confidential", []byte("the prompt"))
	if err != nil {
		t.Fatal(err)
	}
	backup := sealed.Marshal() // what a backup taken before the purge holds
	if err := s.Shred(ctx, key); err != nil {
		t.Fatal(err)
	}
	restored, _ := seal.Unmarshal(backup)
	if _, err := s.Open(ctx, restored, "aud_1", "confidential"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("open after shredding: %v, want ErrShredded", err)
	}
	l, _ := kms.LoadLocal(master)
	fresh, _ := l.KeyRing(kms.KeyRingDir(master))
	if _, err := (&seal.Sealer{Ring: fresh}).Open(ctx, restored, "aud_1", "confidential"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("open in a new process: %v, want ErrShredded", err)
	}
	if _, err := s.Seal(ctx, key, "aud_2", "confidential", []byte("late")); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("seal into a shredded period: %v", err)
	}
	if entries, _ := os.ReadDir(kms.KeyRingDir(master)); len(entries) != 1 {
		t.Fatalf("key ring holds %d files, want the tombstone alone", len(entries))
	}
}

// TestShredSeenByOtherProcesses: a key destroyed by another process (the
// CLI's retention run) stops serving here within a second.
func TestShredSeenByOtherProcesses(t *testing.T) {
	ring, master := newRing(t)
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	sealed, _ := s.Seal(ctx, key, "aud_1", "confidential", []byte("x"))
	l, _ := kms.LoadLocal(master)
	other, _ := l.KeyRing(kms.KeyRingDir(master))
	if err := other.Destroy(ctx, key); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := s.Open(ctx, sealed, "aud_1", "confidential")
		if errors.Is(err, seal.ErrShredded) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still opens after another process destroyed the key: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOtherMasterKey: a key ring copied next to another master key is
// useless.
func TestOtherMasterKey(t *testing.T) {
	ring, master := newRing(t)
	key := seal.KeyName("confidential", time.Now())
	sealed, _ := (&seal.Sealer{Ring: ring}).Seal(ctx, key, "aud_1", "confidential", []byte("x"))
	dir := t.TempDir()
	other := filepath.Join(dir, "master.key")
	kms.GenerateLocal(other)
	os.CopyFS(kms.KeyRingDir(other), os.DirFS(kms.KeyRingDir(master)))
	os.Chmod(kms.KeyRingDir(other), 0o700)
	l, _ := kms.LoadLocal(other)
	r2, err := l.KeyRing(kms.KeyRingDir(other))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&seal.Sealer{Ring: r2}).Open(ctx, sealed, "aud_1", "confidential"); err == nil {
		t.Fatal("opened under another master key")
	}
}

func TestKeyNames(t *testing.T) {
	ring, _ := newRing(t)
	for _, bad := range []string{"", "../x", "a/b", "KEK", "x y", string(make([]byte, 200))} {
		if err := ring.Ensure(ctx, bad); !errors.Is(err, kms.ErrBadName) {
			t.Errorf("Ensure(%q): %v", bad, err)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte("ws1\x03abc\x00\x02xyrest"))
	f.Add([]byte("ws1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := seal.Unmarshal(b)
		if err == nil && !bytes.Equal(s.Marshal(), b) {
			t.Fatalf("round trip changed %q", b)
		}
	})
}

// BenchmarkSeal4K: sealing a 4 KiB prompt (the goal: ≤ 20 µs on one core).
func BenchmarkSeal4K(b *testing.B) {
	ring, _ := newRing(b)
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	payload := bytes.Repeat([]byte("x"), 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(ctx, key, "aud_0123456789abcdef", "confidential", payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen4K(b *testing.B) {
	ring, _ := newRing(b)
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	sealed, _ := s.Seal(ctx, key, "aud_1", "confidential", bytes.Repeat([]byte("x"), 4096))
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(ctx, sealed, "aud_1", "confidential"); err != nil {
			b.Fatal(err)
		}
	}
}
