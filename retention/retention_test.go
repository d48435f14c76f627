package retention_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/pgtest"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

var ctx = context.Background()

type env struct {
	keeper *retention.Keeper
	dbPath string
	ring   *kms.LocalKeyRing
	now    time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	master := filepath.Join(dir, "keys", "master.key")
	os.MkdirAll(filepath.Dir(master), 0o700)
	if err := kms.GenerateLocal(master); err != nil {
		t.Fatal(err)
	}
	l, _ := kms.LoadLocal(master)
	ring, err := l.KeyRing(kms.KeyRingDir(master))
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "data", "warden.db")
	os.MkdirAll(filepath.Dir(dbPath), 0o700)
	db, err := store.Open(ctx, "sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{dbPath: dbPath, ring: ring, now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	e.keeper = &retention.Keeper{
		Sealer: &seal.Sealer{Ring: ring}, Store: db, Now: func() time.Time { return e.now },
		Classes: []config.Classification{
			{Name: "public", Store: config.StoreHashOnly},
			{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)},
		},
	}
	return e
}

func TestPeriodEnd(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if got := retention.PeriodEnd(at, 30*24*time.Hour); !got.Equal(time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v", got)
	}
	midnight := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	if got := retention.PeriodEnd(midnight, 24*time.Hour); !got.Equal(midnight.Add(24 * time.Hour)) {
		t.Fatalf("got %v", got)
	}
}

// TestKeepOpenPurge: a full classification's payloads are sealed, stored
// and opened; other classifications keep nothing; a run before the period
// ends keeps them, one after destroys their key and deletes them.
func TestKeepOpenPurge(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	prompt, response := []byte(`{"messages":[{"role":"user","content":"canary-7f3a"}]}`), []byte(`{"choices":[]}`)
	if err := k.Keep(ctx, "aud_1", "confidential", e.now, prompt, response); err != nil {
		t.Fatal(err)
	}
	if err := k.Keep(ctx, "aud_2", "public", e.now, prompt, response); err != nil {
		t.Fatal(err)
	}
	p, r, err := k.Open(ctx, "aud_1")
	if err != nil || !bytes.Equal(p, prompt) || !bytes.Equal(r, response) {
		t.Fatalf("open: %q %q %v", p, r, err)
	}
	if _, _, err := k.Open(ctx, "aud_2"); !errors.Is(err, retention.ErrNotKept) {
		t.Fatalf("hash_only payload: %v", err)
	}
	if db, _ := os.ReadFile(e.dbPath); bytes.Contains(db, []byte("canary-7f3a")) {
		t.Fatal("the database holds the prompt in clear")
	}

	rep, err := k.Run(ctx)
	if err != nil || len(rep.Keys) != 0 {
		t.Fatalf("run before expiry: %+v %v", rep, err)
	}
	e.now = e.now.Add(31 * 24 * time.Hour)
	rep, err = k.Run(ctx)
	if err != nil || len(rep.Keys) != 1 || rep.Payloads != 1 {
		t.Fatalf("run after expiry: %+v %v", rep, err)
	}
	if _, _, err := k.Open(ctx, "aud_1"); !errors.Is(err, retention.ErrNotKept) {
		t.Fatalf("after the purge: %v", err)
	}
	// Sealing into the destroyed period is refused.
	e.now = e.now.Add(-31 * 24 * time.Hour)
	if err := k.Keep(ctx, "aud_3", "confidential", e.now, prompt, nil); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("keep into a shredded period: %v", err)
	}
}

// TestBackupUnreadableAfterPurge: a copy of the database taken before a
// purge holds the sealed payloads, and after the purge they cannot be
// opened from it.
func TestBackupUnreadableAfterPurge(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	if err := k.Keep(ctx, "aud_1", "confidential", e.now, []byte("the prompt"), nil); err != nil {
		t.Fatal(err)
	}
	// A file-level backup: the database with its WAL, as copied by cp.
	backup := filepath.Join(t.TempDir(), "backup.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(e.dbPath + suffix); err == nil {
			os.WriteFile(backup+suffix, b, 0o600)
		}
	}
	e.now = e.now.Add(31 * 24 * time.Hour)
	if _, err := k.Run(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := store.Open(ctx, "sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	restored := &retention.Keeper{Sealer: k.Sealer, Store: old, Classes: k.Classes}
	if _, _, err := restored.Open(ctx, "aud_1"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("opening the backup's payload after the purge: %v, want ErrShredded", err)
	}
}

// benchKeeper is a keeper on a new key ring and the given store.
func benchKeeper(b *testing.B, driver, dsn string) *retention.Keeper {
	dir := b.TempDir()
	master := filepath.Join(dir, "master.key")
	kms.GenerateLocal(master)
	l, _ := kms.LoadLocal(master)
	ring, _ := l.KeyRing(kms.KeyRingDir(master))
	if dsn == "" {
		dsn = filepath.Join(dir, "warden.db")
	}
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &retention.Keeper{Sealer: &seal.Sealer{Ring: ring}, Store: db,
		Classes: []config.Classification{{Name: "c", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)}}}
}

// BenchmarkKeep: sealing and storing a 4 KiB prompt and a 1 KiB response
// (the goal: seal + store ≤ 20 µs for a 4 KiB prompt on one core): one at
// a time in SQLite, and 64 at once through the group-commit writer, in
// SQLite and in PostgreSQL.
func BenchmarkKeep(b *testing.B) {
	prompt, response := bytes.Repeat([]byte("p"), 4096), bytes.Repeat([]byte("r"), 1024)
	now := time.Now()
	var n atomic.Int64 // record ids unique across every run
	keep := func(b *testing.B, k *retention.Keeper) error {
		return k.Keep(ctx, "aud_"+strconv.FormatInt(n.Add(1), 10), "c", now, prompt, response)
	}
	b.Run("alone", func(b *testing.B) {
		k := benchKeeper(b, "sqlite", "")
		b.ReportAllocs()
		for b.Loop() {
			if err := keep(b, k); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, db := range []struct{ name, driver string }{{"group-commit", "sqlite"}, {"group-commit-postgres", "postgres"}} {
		b.Run(db.name, func(b *testing.B) {
			dsn := ""
			if db.driver == "postgres" {
				dsn = pgtest.DSN(b)
			}
			k := benchKeeper(b, db.driver, dsn)
			k.Writer = retention.NewWriter(k.Store)
			defer k.Writer.Close()
			b.ReportAllocs()
			b.SetParallelism(64)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := keep(b, k); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestWriter: payloads stored through the group-commit writer can be
// opened, a duplicate is refused, and a closed writer refuses.
func TestWriter(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	k.Writer = retention.NewWriter(k.Store)
	if err := k.Keep(ctx, "aud_1", "confidential", e.now, []byte("p"), []byte("r")); err != nil {
		t.Fatal(err)
	}
	if err := k.Keep(ctx, "aud_1", "confidential", e.now, []byte("p"), nil); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if p, r, err := k.Open(ctx, "aud_1"); err != nil || string(p) != "p" || string(r) != "r" {
		t.Fatalf("open: %q %q %v", p, r, err)
	}
	k.Writer.Close()
	if err := k.Keep(ctx, "aud_2", "confidential", e.now, []byte("p"), nil); !errors.Is(err, retention.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestHoldSurvivesPurge: a payload a legal hold covers survives a purge
// after its retention ended, and is purged once the hold is released.
func TestHoldSurvivesPurge(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	if err := k.Keep(ctx, "aud_held", "confidential", e.now, []byte("the prompt"), nil); err != nil {
		t.Fatal(err)
	}
	// The search index knows whose record it is.
	entry := []byte(`{"id":"aud_held","time":"2026-11-22T12:00:00.000Z","kind":"request","principal":{"id":"apikey:key_1","type":"api_key","key_id":"key_1","groups":[]},"namespace":"legal","decision":"allow","status":200}`)
	if err := k.Store.IndexAudit(ctx, "test/audit", []store.AuditRow{{Origin: "test/audit", Index: 0, ID: "aud_held",
		Time: e.now, Kind: "request", PrincipalID: "apikey:key_1", Namespace: "legal", Decision: "allow", Status: 200, Entry: entry}}, 1); err != nil {
		t.Fatal(err)
	}
	h, err := k.Store.CreateHold(ctx, store.Hold{Case: "case-1", Principal: "apikey:key_1", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := k.Store.CreateHold(ctx, store.Hold{Case: "case-2", Principal: "apikey:someone-else", CreatedBy: "test"})
	e.now = e.now.Add(31 * 24 * time.Hour)
	rep, err := k.Run(ctx)
	if err != nil || len(rep.Keys) != 0 || len(rep.Held) != 1 {
		t.Fatalf("run under a hold: %+v %v", rep, err)
	}
	if p, _, err := k.Open(ctx, "aud_held"); err != nil || string(p) != "the prompt" {
		t.Fatalf("held payload: %q %v", p, err)
	}
	if err := k.Store.ReleaseHold(ctx, h.ID, "test", e.now); err != nil {
		t.Fatal(err)
	}
	rep, err = k.Run(ctx)
	if err != nil || len(rep.Keys) != 1 || rep.Payloads != 1 {
		t.Fatalf("run after the release (another hold, on someone else, still active): %+v %v", rep, err)
	}
	_ = other
}

// TestPurgeTrustsKeyNamesOnly: whoever can write to the database cannot
// steer a purge. A payload row naming a key that is not a KEK (a root
// key's name) or a KEK whose period is still running, with a past expiry,
// destroys nothing; a row whose expiry was raised does not keep an ended
// period's key alive. What was refused is in the report, for the record.
func TestPurgeTrustsKeyNamesOnly(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	if err := k.Keep(ctx, "aud_1", "confidential", e.now, []byte("live"), nil); err != nil {
		t.Fatal(err)
	}
	live := seal.KeyName("confidential", retention.PeriodEnd(e.now, 30*24*time.Hour))
	forge := func(id, key string, expires time.Time) {
		t.Helper()
		blob := seal.Sealed{Key: key, WrappedDEK: []byte("x"), Ciphertext: []byte("0123456789abcdef")}.Marshal()
		if err := k.Store.PutPayload(ctx, store.Payload{RecordID: id, Classification: "confidential", Key: key, ExpiresAt: expires, Prompt: blob}); err != nil {
			t.Fatal(err)
		}
	}
	forge("aud_root", "warden-root", e.now.Add(-time.Hour))
	forge("aud_early", live, e.now.Add(-time.Hour))                                                    // beside aud_1: its key is not a candidate
	forge("aud_alone", seal.KeyName("confidential", e.now.Add(5*24*time.Hour)), e.now.Add(-time.Hour)) // all its rows "expired", its day not come
	rep, err := k.Run(ctx)
	if err != nil || len(rep.Keys) != 0 || len(rep.Refused) != 2 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	if _, _, err := k.Open(ctx, "aud_1"); err != nil {
		t.Fatalf("the live period was shredded: %v", err)
	}
	if d := rep.Detail(); !strings.Contains(d, "keys_refused=2") || !strings.Contains(d, "warden-root") {
		t.Fatalf("detail %q", d)
	}

	// Past the period's end, a row raised to expire in ten years keeps
	// nothing alive.
	forge("aud_raised", live, e.now.AddDate(10, 0, 0))
	e.now = e.now.Add(31 * 24 * time.Hour)
	rep, err = k.Run(ctx)
	if err != nil || !slices.Contains(rep.Keys, live) {
		t.Fatalf("run after the period: %+v %v", rep, err)
	}
	if _, _, err := k.Open(ctx, "aud_1"); !errors.Is(err, retention.ErrNotKept) {
		t.Fatalf("after the purge: %v", err)
	}
	if err := k.Sealer.Shred(ctx, "warden-root"); !errors.Is(err, seal.ErrNotKEK) {
		t.Fatalf("shredding a root key's name: %v", err)
	}
}

// TestOrphanPayloadNotHeldForEver: a payload whose record never reached
// the search index (its record could not be written) is held by any
// active hold only while the index might still be catching up.
func TestOrphanPayloadNotHeldForEver(t *testing.T) {
	e := newEnv(t)
	k := e.keeper
	k.Classes = append(k.Classes, config.Classification{Name: "short", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)})
	if err := k.Keep(ctx, "aud_orphan", "short", e.now, []byte("the prompt"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Store.CreateHold(ctx, store.Hold{Case: "case-9", Principal: "apikey:nobody", CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(3 * 24 * time.Hour) // the period has ended; the payload is 3 days old
	if rep, err := k.Run(ctx); err != nil || len(rep.Held) != 1 {
		t.Fatalf("run while the index may catch up: %+v %v", rep, err)
	}
	e.now = e.now.Add(7 * 24 * time.Hour)
	if rep, err := k.Run(ctx); err != nil || len(rep.Keys) != 1 || len(rep.Held) != 0 {
		t.Fatalf("run a week later: %+v %v", rep, err)
	}
}
