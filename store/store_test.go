package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/pgtest"
)

// The PostgreSQL tests need a server; CI starts one. Each test gets a schema
// of its own, dropped when it ends.

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
	return pgtest.DSN(tb)
}
