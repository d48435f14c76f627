package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The PostgreSQL tests need a server; CI starts one. Each test gets a schema
// of its own, dropped when it ends.
const defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var drivers = []string{"sqlite", "postgres"}

// forEachDriver runs fn as a subtest per driver, each with a fresh database.
func forEachDriver(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			fn(t, openTest(t, driver, testDSN(t, driver)))
		})
	}
}

// forEachDSN runs fn as a subtest per driver, with the DSN of a fresh, empty
// database, for tests that open it themselves.
func forEachDSN(t *testing.T, fn func(t *testing.T, driver, dsn string)) {
	t.Helper()
	for _, driver := range drivers {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			fn(t, driver, testDSN(t, driver))
		})
	}
}

// openTest opens dsn and closes it when the test ends.
func openTest(tb testing.TB, driver, dsn string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), driver, dsn)
	if err != nil {
		tb.Fatalf("Open(%s): %v", driver, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// testDSN returns the DSN of a fresh database for driver: a file in a
// temporary directory, or a new PostgreSQL schema.
func testDSN(tb testing.TB, driver string) string {
	tb.Helper()
	if driver == "sqlite" {
		return filepath.Join(tb.TempDir(), "warden.db")
	}
	base := os.Getenv("WARDEN_TEST_POSTGRES_DSN")
	if base == "" {
		base = defaultPostgresDSN
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("WARDEN_TEST_SKIP_POSTGRES") == "1" {
			tb.Skipf("postgres unreachable, skipped (WARDEN_TEST_SKIP_POSTGRES=1): %v", err)
		}
		tb.Fatalf("postgres unreachable (start it, set WARDEN_TEST_POSTGRES_DSN, or set WARDEN_TEST_SKIP_POSTGRES=1): %v", err)
	}
	schema := "t_" + randomHex(tb, 8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, base, schema)
}

// withSearchPath adds a search_path run-time parameter to a PostgreSQL DSN,
// in URL or key=value form.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("WARDEN_TEST_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(tb testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}
