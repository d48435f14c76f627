package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSQLiteTwoHandles is the gateway and the CLI on one file: a revocation
// written through one handle is seen by the next lookup through the other.
func TestSQLiteTwoHandles(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "warden.db")
	server, cli := openTest(t, "sqlite", dsn), openTest(t, "sqlite", dsn)
	k, s := newKey(1, 0)
	mustCreate(t, cli, k, s)
	if m := mustLookup(t, server, s.Hash); m.Key.Revoked() {
		t.Fatal("revoked before RevokeKey")
	}
	if err := cli.RevokeKey(context.Background(), k.ID, t0); err != nil {
		t.Fatal(err)
	}
	if m := mustLookup(t, server, s.Hash); !m.Key.RevokedAt.Equal(t0) {
		t.Errorf("other handle sees RevokedAt %v, want %v", m.Key.RevokedAt, t0)
	}
}

// TestSQLiteCrossProcess revokes from a child process (this test binary,
// running TestHelperRevoke) while this process holds the file open.
func TestSQLiteCrossProcess(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "warden.db")
	db := openTest(t, "sqlite", dsn)
	k, s := newKey(1, 0)
	mustCreate(t, db, k, s)
	mustLookup(t, db, s.Hash) // keep read connections open across the write

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRevoke$")
	cmd.Env = append(os.Environ(), "WARDEN_STORE_HELPER_DSN="+dsn, "WARDEN_STORE_HELPER_KEY="+k.ID)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if m := mustLookup(t, db, s.Hash); !m.Key.RevokedAt.Equal(t0) {
		t.Errorf("after revocation in another process: RevokedAt %v, want %v", m.Key.RevokedAt, t0)
	}
}

// TestHelperRevoke is the child process of TestSQLiteCrossProcess.
func TestHelperRevoke(t *testing.T) {
	dsn := os.Getenv("WARDEN_STORE_HELPER_DSN")
	if dsn == "" {
		t.Skip("helper process only")
	}
	db := openTest(t, "sqlite", dsn)
	if err := db.RevokeKey(context.Background(), os.Getenv("WARDEN_STORE_HELPER_KEY"), t0); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteConcurrentWriters has two handles write at once, as two processes
// would: busy_timeout and BEGIN IMMEDIATE make them wait, not fail.
func TestSQLiteConcurrentWriters(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "warden.db")
	a, b := openTest(t, "sqlite", dsn), openTest(t, "sqlite", dsn)
	k, s := newKey(1, 0)
	mustCreate(t, a, k, s)
	var wg sync.WaitGroup
	for i, db := range []*DB{a, b, a, b} {
		wg.Go(func() {
			for j := range 50 {
				at := t0.Add(time.Duration(i*100+j) * time.Second)
				if err := db.TouchKeys(context.Background(), map[string]time.Time{k.ID: at}); err != nil {
					t.Errorf("TouchKeys: %v", err)
					return
				}
				if _, err := db.LookupSecret(context.Background(), s.Hash); err != nil {
					t.Errorf("LookupSecret: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, want := mustGet(t, b, k.ID).LastUsedAt, t0.Add(349*time.Second); !got.Equal(want) {
		t.Errorf("LastUsedAt = %v, want %v", got, want)
	}
}

func TestSQLiteMemory(t *testing.T) {
	db := openTest(t, "sqlite", ":memory:")
	k, s := newKey(1, 0)
	mustCreate(t, db, k, s)
	if m := mustLookup(t, db, s.Hash); m.Key.ID != k.ID {
		t.Errorf("LookupSecret: key %q, want %q", m.Key.ID, k.ID)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSQLitePragmas(t *testing.T) {
	db := openTest(t, "sqlite", filepath.Join(t.TempDir(), "warden.db"))
	for _, c := range []struct {
		pool, pragma, want string
	}{
		{"w", "journal_mode", "wal"},
		{"w", "foreign_keys", "1"},
		{"w", "busy_timeout", "5000"},
		{"w", "synchronous", "1"},
		{"r", "journal_mode", "wal"},
		{"r", "busy_timeout", "5000"},
		{"r", "query_only", "1"},
	} {
		p := db.w
		if c.pool == "r" {
			p = db.r
		}
		var got string
		if err := p.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", c.pragma, err)
		}
		if got != c.want {
			t.Errorf("%s pool: PRAGMA %s = %q, want %q", c.pool, c.pragma, got, c.want)
		}
	}
}

// TestKeysVersion: a rotation or revocation by any handle on the SQLite file
// changes KeysVersion as every handle sees it; creating or touching keys
// does not; PostgreSQL and in-memory stores cannot tell.
func TestKeysVersion(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "warden.db")
	server, cli := openTest(t, "sqlite", dsn), openTest(t, "sqlite", dsn)
	version := func() int64 {
		t.Helper()
		v, ok := server.KeysVersion()
		if !ok {
			t.Fatal("a SQLite file store cannot tell its version")
		}
		return v
	}
	v0 := version()
	k, s := newKey(1, 0)
	mustCreate(t, cli, k, s)
	if err := cli.TouchKeys(ctx, map[string]time.Time{k.ID: t0}); err != nil {
		t.Fatal(err)
	}
	if version() != v0 {
		t.Fatal("creating or touching a key changed the version")
	}
	s2 := Secret{Hash: hashOf(k.ID + "/1"), Prefix: "wdn_0011"}
	if err := cli.RotateKey(ctx, k.ID, s2, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v1 := version()
	if v1 == v0 {
		t.Fatal("a rotation did not change the version")
	}
	if err := cli.RevokeKey(ctx, k.ID, t0); err != nil {
		t.Fatal(err)
	}
	if version() == v1 {
		t.Fatal("a revocation did not change the version")
	}
	if _, ok := openTest(t, "sqlite", ":memory:").KeysVersion(); ok {
		t.Error("an in-memory store claims a version")
	}
	if os.Getenv("WARDEN_TEST_SKIP_POSTGRES") != "1" {
		if _, ok := openTest(t, "postgres", testDSN(t, "postgres")).KeysVersion(); ok {
			t.Error("a PostgreSQL store claims a version")
		}
	}
}
