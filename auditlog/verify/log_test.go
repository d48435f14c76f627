package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
)

var ctx = context.Background()

func TestLogSizes(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			dir := fixture(t, n)
			cp := readCheckpoint(t, dir)
			if cp.Size != uint64(n) {
				t.Fatalf("checkpoint size %d", cp.Size)
			}
			if want := newRefTree(t, entries(0, n)).root(t, int64(n)); cp.Root != want {
				t.Fatalf("Tessera's root %v, reference %v", cp.Root, want)
			}
			var calls, lastDone atomic.Uint64
			var mu sync.Mutex
			seen := map[uint64]bool{}
			rep, err := verify.Log(ctx, verify.Dir(dir), cp, verify.Options{
				Progress: func(done, total uint64) {
					if total != uint64(n) || done < lastDone.Load() {
						t.Errorf("progress %d/%d after %d", done, total, lastDone.Load())
					}
					lastDone.Store(done)
				},
				CheckEntry: func(i uint64, e []byte) error {
					calls.Add(1)
					mu.Lock()
					seen[i] = true
					mu.Unlock()
					if string(e) != string(entry(int(i))) {
						t.Errorf("entry %d = %q", i, e)
					}
					if !json.Valid(e) {
						return errors.New("not JSON")
					}
					return nil
				},
				Workers: 3,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Entries != uint64(n) || rep.Bundles != uint64((n+255)/256) || calls.Load() != uint64(n) || len(seen) != n {
				t.Fatalf("report %+v, %d calls, %d indexes", rep, calls.Load(), len(seen))
			}
			if n > 0 && lastDone.Load() != uint64(n) {
				t.Fatalf("last progress %d", lastDone.Load())
			}
			var bytes uint64
			for _, e := range entries(0, n) {
				bytes += uint64(len(e))
			}
			if rep.Bytes != bytes {
				t.Fatalf("Bytes = %d, want %d", rep.Bytes, bytes)
			}
			// Tessera's own reader is a Source too.
			if _, err := verify.Log(ctx, client.FileFetcher{Root: dir}, cp, verify.Options{}); err != nil {
				t.Fatalf("via Tessera's FileFetcher: %v", err)
			}
		})
	}
}

// tamper makes a private copy of the 1000-entry log, lets f change it and
// returns the result of verifying it against the original checkpoint.
func tamper(t *testing.T, f func(dir string)) error {
	t.Helper()
	dir := copyFixture(t, 1000)
	cp := readCheckpoint(t, dir)
	f(dir)
	_, err := verify.Log(ctx, verify.Dir(dir), cp, verify.Options{})
	return err
}

func bundlePath(dir string, n uint64, w uint8) string {
	return filepath.Join(dir, filepath.FromSlash(verify.EntryBundlePath(n, w)))
}

func TestLogTampered(t *testing.T) {
	t.Parallel()
	// 1000 entries: bundles 0, 1, 2 full, 3.p/232 (entries 768..999).
	t.Run("flipped byte", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 2, 0)
			es := readBundleFile(t, p)
			es[517-512][10] ^= 0x01 // inside the JSON text of entry 517
			writeBundleFile(t, p, es)
		})
		wantError(t, err, verify.Changed, 517, "entry 517")
	})
	t.Run("flipped byte in partial bundle", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 3, 232)
			es := readBundleFile(t, p)
			es[999-768][3] = 'X'
			writeBundleFile(t, p, es)
		})
		wantError(t, err, verify.Changed, 999, "entry 999")
	})
	t.Run("flipped byte in length", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 0, 0)
			b, _ := os.ReadFile(p)
			b[1]++ // entry 0 now swallows a byte of entry 1's length
			os.WriteFile(p, b, 0o644)
		})
		if err == nil {
			t.Fatal("not detected")
		}
		t.Log(err)
	})
	t.Run("reordered", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 1, 0)
			es := readBundleFile(t, p)
			es[300-256], es[301-256] = es[301-256], es[300-256]
			writeBundleFile(t, p, es)
		})
		wantError(t, err, verify.Changed, 300, "entry 300")
	})
	t.Run("replaced", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 0, 0)
			es := readBundleFile(t, p)
			es[7] = []byte(`{"id":"forged"}`)
			writeBundleFile(t, p, es)
		})
		wantError(t, err, verify.Changed, 7, "entry 7")
	})
	t.Run("deleted bundle", func(t *testing.T) {
		err := tamper(t, func(dir string) { os.Remove(bundlePath(dir, 1, 0)) })
		wantError(t, err, verify.Missing, 256, "entry bundle 1", "tile/entries/001", "256..511", "missing")
	})
	t.Run("deleted last bundle", func(t *testing.T) {
		err := tamper(t, func(dir string) { os.RemoveAll(bundlePath(dir, 3, 0) + ".p") })
		wantError(t, err, verify.Missing, 768, "entry bundle 3", "tile/entries/003.p/232", "missing")
	})
	t.Run("truncated", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 3, 232)
			writeBundleFile(t, p, readBundleFile(t, p)[:200])
		})
		wantError(t, err, verify.Truncated, 968, "holds 200 entries, want 232", "768..999", "truncated")
	})
	t.Run("entry removed", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 0, 0)
			es := readBundleFile(t, p)
			writeBundleFile(t, p, append(es[:10:10], es[11:]...))
		})
		wantError(t, err, verify.Truncated, 255, "holds 255 entries, want 256")
	})
	t.Run("entry added", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 3, 232)
			writeBundleFile(t, p, append(readBundleFile(t, p), []byte(`{}`)))
		})
		wantError(t, err, verify.BadBundle, 1000, "holds 233 entries, want 232")
	})
	t.Run("cut mid-entry", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 3, 232)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-5], 0o644)
		})
		wantError(t, err, verify.Truncated, 999, "cut short", "entry 999")
	})
	t.Run("trailing byte", func(t *testing.T) {
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 2, 0)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, 0), 0o644)
		})
		wantError(t, err, verify.BadBundle, 768, "entry bundle 2 has 1 stray byte")
	})
	t.Run("entry and tiles changed", func(t *testing.T) {
		// Changing the entry and its level-0 hash leaves tiles that no
		// longer match the signed root: still caught, but not located.
		err := tamper(t, func(dir string) {
			p := bundlePath(dir, 0, 0)
			es := readBundleFile(t, p)
			es[3][5] ^= 1
			writeBundleFile(t, p, es)
			tp := filepath.Join(dir, filepath.FromSlash(verify.TilePath(0, 0, 0)))
			tile, _ := os.ReadFile(tp)
			h := tlog.RecordHash(es[3])
			copy(tile[3*32:], h[:])
			os.WriteFile(tp, tile, 0o644)
		})
		wantError(t, err, verify.Changed, -1, "cannot be located")
	})
	t.Run("tile changed", func(t *testing.T) {
		// Entries are right, so Log (which rebuilds the root from them)
		// passes; proofs, which use the tiles, fail.
		dir := copyFixture(t, 1000)
		cp := readCheckpoint(t, dir)
		tp := filepath.Join(dir, filepath.FromSlash(verify.TilePath(0, 1, 0)))
		tile, _ := os.ReadFile(tp)
		tile[40] ^= 1
		os.WriteFile(tp, tile, 0o644)
		if _, err := verify.Log(ctx, verify.Dir(dir), cp, verify.Options{}); err != nil {
			t.Fatal(err)
		}
		_, _, err := verify.ProveInclusion(ctx, verify.Dir(dir), cp, 257)
		wantError(t, err, verify.BadTiles, -1, "hash tiles do not match the checkpoint")
		tp = filepath.Join(dir, filepath.FromSlash(verify.TilePath(1, 0, 3)))
		os.WriteFile(tp, make([]byte, 32), 0o644)
		_, _, err = verify.ProveInclusion(ctx, verify.Dir(dir), cp, 5)
		wantError(t, err, verify.BadTiles, -1, "tile/1/000.p/3 has 32 bytes, want 96")
	})
	t.Run("edited checkpoint", func(t *testing.T) {
		dir := copyFixture(t, 1000)
		p := filepath.Join(dir, "checkpoint")
		b, _ := os.ReadFile(p)
		b[len(testOrigin)+1] = '9' // size 1000 → 9000
		os.WriteFile(p, b, 0o644)
		_, err := verify.ReadCheckpoint(ctx, verify.Dir(dir), testKey)
		wantError(t, err, verify.BadSignature, -1)
		os.Remove(p)
		_, err = verify.ReadCheckpoint(ctx, verify.Dir(dir), testKey)
		wantError(t, err, verify.Missing, -1, "no checkpoint")
	})
}

func TestLogCheckEntry(t *testing.T) {
	t.Parallel()
	dir := fixture(t, 1000)
	cp := readCheckpoint(t, dir)
	refuse := errors.New("not a record")
	_, err := verify.Log(ctx, verify.Dir(dir), cp, verify.Options{CheckEntry: func(i uint64, e []byte) error {
		if i == 600 || i == 10 || i == 999 {
			return refuse
		}
		return nil
	}})
	e := wantError(t, err, verify.EntryRefused, 10, "entry 10", "3 entries refused", "not a record")
	if !errors.Is(e, refuse) {
		t.Fatal("the hook's error is not wrapped")
	}

	// An integrity failure is reported before entry-check failures.
	dir = copyFixture(t, 1000)
	p := bundlePath(dir, 2, 0)
	es := readBundleFile(t, p)
	es[100][0] = '['
	writeBundleFile(t, p, es)
	_, err = verify.Log(ctx, verify.Dir(dir), cp, verify.Options{CheckEntry: func(i uint64, e []byte) error {
		if !json.Valid(e) {
			return errors.New("invalid JSON")
		}
		return nil
	}})
	wantError(t, err, verify.Changed, 612)
}

func TestLogCancelled(t *testing.T) {
	t.Parallel()
	dir := fixture(t, 1000)
	cp := readCheckpoint(t, dir)
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := verify.Log(c, verify.Dir(dir), cp, verify.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

// grown is a log of 300 entries grown to 1000, with both checkpoints.
type grown struct {
	dir      string
	old, new verify.Checkpoint
}

var (
	grownOnce sync.Once
	grownLog  grown
)

func grownFixture(t *testing.T) grown {
	grownOnce.Do(func() {
		d := filepath.Join(fixturesDir, "grown")
		oldNote := appendTessera(t, d, entries(0, 300), true)
		newNote := appendTessera(t, d, entries(300, 1000), true)
		old, err := verify.OpenCheckpoint(oldNote, testKey)
		if err != nil {
			t.Fatal(err)
		}
		nw, err := verify.OpenCheckpoint(newNote, testKey)
		if err != nil {
			t.Fatal(err)
		}
		grownLog = grown{dir: d, old: old, new: nw}
	})
	if grownLog.dir == "" {
		t.Fatal("grown fixture failed")
	}
	return grownLog
}

func TestLogOlderCheckpoint(t *testing.T) {
	t.Parallel()
	g := grownFixture(t)
	if g.old.Size != 300 || g.new.Size != 1000 {
		t.Fatalf("sizes %d %d", g.old.Size, g.new.Size)
	}
	src := verify.Dir(g.dir)
	rep, err := verify.Log(ctx, src, g.new, verify.Options{Older: &g.old})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Older == nil || rep.Older.Size != 300 {
		t.Fatalf("report %+v", rep)
	}
	// The old checkpoint still verifies against the grown log.
	if _, err := verify.Log(ctx, src, g.old, verify.Options{}); err != nil {
		t.Fatal(err)
	}
	// Same checkpoint as Older: fine.
	if _, err := verify.Log(ctx, src, g.new, verify.Options{Older: &g.new}); err != nil {
		t.Fatal(err)
	}

	t.Run("rollback", func(t *testing.T) {
		// The log was put back to its 300-entry state (an older, validly
		// signed checkpoint), but the verifier holds the newer one.
		_, err := verify.Log(ctx, src, g.old, verify.Options{Older: &g.new})
		wantError(t, err, verify.Rollback, 300, "rolled back", "size 300", "size 1000", "300..999")
	})
	t.Run("fork", func(t *testing.T) {
		// A validly signed checkpoint of size 200 from a different history.
		forged := newRefTree(t, entries(1, 201)).root(t, 200)
		older, err := verify.OpenCheckpoint(signCheckpoint(t, testSigner, testOrigin, 200, forged), testKey)
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify.Log(ctx, src, g.new, verify.Options{Older: &older})
		wantError(t, err, verify.Inconsistent, -1, "does not extend the older checkpoint at size 200")
		// Same size, other root.
		same, _ := verify.OpenCheckpoint(signCheckpoint(t, testSigner, testOrigin, 1000, forged), testKey)
		_, err = verify.Log(ctx, src, g.new, verify.Options{Older: &same})
		wantError(t, err, verify.Inconsistent, -1, "two checkpoints of size 1000")
	})
	t.Run("other log", func(t *testing.T) {
		o := g.old
		o.Origin = "other.example/audit"
		_, err := verify.Log(ctx, src, g.new, verify.Options{Older: &o})
		wantError(t, err, verify.WrongOrigin, -1)
	})
}

// TestPartialFallback verifies a checkpoint whose partial bundle and tiles
// were garbage-collected after the log grew: readers fall back to the full
// resources and cut them.
func TestPartialFallback(t *testing.T) {
	t.Parallel()
	g := grownFixture(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(g.dir)); err != nil {
		t.Fatal(err)
	}
	// At size 300: bundle 1 and tile 0/001 were partial (44), tile 1/000 too (1).
	for _, p := range []string{verify.EntryBundlePath(1, 44), verify.TilePath(0, 1, 44)} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("Tessera left no %s: %v", p, err)
		}
	}
	// What Tessera's garbage collector does once bundle 1 is full.
	for _, p := range []string{verify.EntryBundlePath(1, 0), verify.TilePath(0, 1, 0)} {
		if err := os.RemoveAll(filepath.Join(dir, p) + ".p"); err != nil {
			t.Fatal(err)
		}
	}
	b, err := verify.Dir(dir).ReadEntryBundle(ctx, 1, 44)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(bundlePath(dir, 1, 0))
	if len(b) >= len(full) {
		t.Fatalf("fallback bundle not cut: %d bytes of %d", len(b), len(full))
	}
	tile, err := verify.Dir(dir).ReadTile(ctx, 0, 1, 44)
	if err != nil || len(tile) != 44*32 {
		t.Fatalf("fallback tile: %d bytes, %v", len(tile), err)
	}

	for name, src := range map[string]verify.Source{
		"Dir":          verify.Dir(dir),
		"FileFetcher":  client.FileFetcher{Root: dir}, // falls back without cutting
		"HTTP":         httpSource(t, dir, "/"),
		"HTTP /audit/": httpSource(t, dir, "/audit/"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := verify.Log(ctx, src, g.old, verify.Options{}); err != nil {
				t.Fatal(err)
			}
			for _, i := range []uint64{0, 255, 256, 299} {
				p, e, err := verify.ProveInclusion(ctx, src, g.old, i)
				if err != nil {
					t.Fatal(err)
				}
				if string(e) != string(entry(int(i))) || verify.CheckInclusion(g.old, i, e, p) != nil {
					t.Fatalf("entry %d: %q", i, e)
				}
			}
			if _, err := verify.ProveConsistency(ctx, src, g.new, g.old); err != nil {
				t.Fatal(err)
			}
		})
	}

	// Without the full bundle either, it is missing.
	os.Remove(bundlePath(dir, 1, 0))
	_, err = verify.Log(ctx, verify.Dir(dir), g.old, verify.Options{})
	wantError(t, err, verify.Missing, 256, "tile/entries/001.p/44")
}
