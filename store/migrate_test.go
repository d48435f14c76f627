package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsInStep(t *testing.T) {
	var names [2][]string
	for i, d := range []string{"sqlite", "postgres"} {
		ms, err := loadMigrations(migrationFS, "migrations/"+d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		for _, m := range ms {
			names[i] = append(names[i], m.name)
		}
	}
	if len(names[0]) == 0 {
		t.Fatal("no migrations")
	}
	if diff := cmp.Diff(names[0], names[1]); diff != "" {
		t.Errorf("sqlite and postgres migrations differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestLoadMigrationsRejectsGaps(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("SELECT 1;")},
		"m/0003_c.sql": {Data: []byte("SELECT 1;")},
	}
	if _, err := loadMigrations(fsys, "m"); err == nil || !strings.Contains(err.Error(), "0003_c.sql") {
		t.Errorf("loadMigrations with a gap: %v, want an error naming 0003_c.sql", err)
	}
}

// schemaVersions returns the rows of schema_migrations.
func schemaVersions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func allVersions(t *testing.T, driver string) []int {
	ms, err := loadMigrations(migrationFS, "migrations/"+driver)
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

func TestMigrateIdempotent(t *testing.T) {
	forEachDSN(t, func(t *testing.T, driver, dsn string) {
		first, err := Open(context.Background(), driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		k, s := newKey(1, 0)
		mustCreate(t, first, k, s)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}

		db := openTest(t, driver, dsn)
		if err := db.migrate(context.Background()); err != nil { // the locked path, too
			t.Fatalf("migrate again: %v", err)
		}
		mustLookup(t, db, s.Hash)
		if diff := cmp.Diff(allVersions(t, driver), schemaVersions(t, db)); diff != "" {
			t.Errorf("schema_migrations (-want +got):\n%s", diff)
		}
	})
}

func TestMigrateConcurrentOpen(t *testing.T) {
	forEachDSN(t, func(t *testing.T, driver, dsn string) {
		const n = 8
		dbs := make([]*DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), driver, dsn) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				continue
			}
			t.Cleanup(func() { dbs[i].Close() })
		}
		if t.Failed() {
			return
		}
		if diff := cmp.Diff(allVersions(t, driver), schemaVersions(t, dbs[0])); diff != "" {
			t.Errorf("schema_migrations (-want +got):\n%s", diff)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "mysql", "x"); err == nil {
		t.Error("Open(mysql): no error")
	}
	if _, err := Open(ctx, "sqlite", ""); err == nil {
		t.Error("Open(sqlite, empty dsn): no error")
	}
	if _, err := Open(ctx, "sqlite", t.TempDir()+"/missing/dir/db"); err == nil {
		t.Error("Open(sqlite, file in a missing directory): no error")
	}
}

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, sqlite, postgres string }{
		{"SELECT 1", "SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' OR y = ?", "x = '?' OR y = ?", "x = '?' OR y = $1"},
	} {
		if got := sqliteDialect.rebind(tc.in); got != tc.sqlite {
			t.Errorf("sqlite rebind(%q) = %q, want %q", tc.in, got, tc.sqlite)
		}
		if got := postgresDialect.rebind(tc.in); got != tc.postgres {
			t.Errorf("postgres rebind(%q) = %q, want %q", tc.in, got, tc.postgres)
		}
	}
}
