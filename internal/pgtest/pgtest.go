// Package pgtest gives tests a fresh PostgreSQL database: a new schema in
// the server at $WARDEN_TEST_POSTGRES_DSN (default: the local server), dropped
// when the test ends. With WARDEN_TEST_SKIP_POSTGRES=1 an unreachable server
// skips the test instead of failing it.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// DefaultDSN is the server tests use when WARDEN_TEST_POSTGRES_DSN is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DSN returns the DSN of a new, empty schema.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("WARDEN_TEST_POSTGRES_DSN")
	if base == "" {
		base = DefaultDSN
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
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(tb, base, schema)
}

// WithSearchPath adds a search_path run-time parameter to a PostgreSQL
// DSN, in URL or key=value form.
func WithSearchPath(tb testing.TB, dsn, schema string) string {
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
