package auditlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func appendN(t *testing.T, l *Log, n int) {
	t.Helper()
	ps := make([]*Pending, n)
	for i := range n {
		ps[i] = l.Append(fmt.Appendf(nil, `{"n":%d}`, i))
	}
	for _, p := range ps {
		if _, err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckOnDisk: serve refuses a log that lost records or no longer
// matches a checkpoint signed for it.
func TestCheckOnDisk(t *testing.T) {
	ctx := context.Background()
	s, vkey := testSigner(t)
	other, otherKey := testSigner(t)
	_ = other

	build := func(t *testing.T) (dir string, older []byte) {
		dir = t.TempDir()
		l := openTestLog(t, dir, s)
		appendN(t, l, 300)
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		older, _ = os.ReadFile(filepath.Join(dir, "checkpoint"))
		l = openTestLog(t, dir, s)
		appendN(t, l, 50)
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		return dir, older
	}

	t.Run("empty directory", func(t *testing.T) {
		if err := CheckOnDisk(ctx, t.TempDir(), vkey, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("empty directory, store remembers a checkpoint", func(t *testing.T) {
		_, older := build(t)
		if err := CheckOnDisk(ctx, t.TempDir(), vkey, older); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("intact, with an older stored checkpoint", func(t *testing.T) {
		dir, older := build(t)
		if err := CheckOnDisk(ctx, dir, vkey, older); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		dir, _ := build(t)
		err := CheckOnDisk(ctx, dir, otherKey, nil)
		if err == nil || !strings.Contains(err.Error(), "checkpoint on disk") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("rolled back below the stored checkpoint", func(t *testing.T) {
		dir, _ := build(t)
		stored, _ := os.ReadFile(filepath.Join(dir, "checkpoint"))
		// Roll the whole directory back to a copy of an older, smaller log.
		small := t.TempDir()
		l := openTestLog(t, small, s)
		appendN(t, l, 10)
		l.Close(ctx)
		err := CheckOnDisk(ctx, small, vkey, stored)
		if err == nil || !strings.Contains(err.Error(), "removed") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a hash tile changed", func(t *testing.T) {
		dir, older := build(t)
		tile := filepath.Join(dir, "tile", "0", "001.p", "94") // the tree's right edge
		b, err := os.ReadFile(tile)
		if err != nil {
			t.Fatal(err)
		}
		b[5] ^= 1
		os.WriteFile(tile, b, 0o644)
		err = CheckOnDisk(ctx, dir, vkey, older)
		if err == nil || !strings.Contains(err.Error(), "not consistent") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a different history of the same size", func(t *testing.T) {
		dir, _ := build(t)
		forged := t.TempDir()
		l := openTestLog(t, forged, s)
		for i := range 350 {
			l.Append(fmt.Appendf(nil, `{"forged":%d}`, i))
		}
		l.Close(ctx)
		stored, _ := os.ReadFile(filepath.Join(dir, "checkpoint"))
		if err := CheckOnDisk(ctx, forged, vkey, stored); err == nil {
			t.Fatal("a forged log of the same size passed")
		}
	})
}
