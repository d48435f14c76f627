package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migrations are SQL files named NNNN_description.sql, one directory per
// dialect, numbered from 1 without gaps. A migration, once released, is never
// edited; a change is a new file. Migrations only add, so a binary older than
// the schema keeps working against it.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations of one dialect, in version order.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("migration %s: want version %04d", e.Name(), len(ms)+1)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, nil
}

// migrateLock is the PostgreSQL advisory lock that serializes migrations
// across processes: the first 8 bytes of "warden.store.migrate".
const migrateLock = 0x77617264656e2e73

// migrate applies the pending migrations in one transaction, holding the
// write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two
// processes opening the database together apply each migration once.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFS, "migrations/"+db.d.name)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if db.current(ctx) >= len(ms) {
		return nil // the common case: no lock taken
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if db.d.dollar {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range ms[min(cur, len(ms)):] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`INSERT INTO schema_migrations (version) VALUES (?)`), m.version); err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	return nil
}

// current returns the schema version, or 0 if it cannot be read (no
// schema_migrations table yet): the caller then takes the lock and looks again.
func (db *DB) current(ctx context.Context) int {
	var v sql.NullInt64
	if err := db.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0
	}
	return int(v.Int64)
}
