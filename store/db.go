package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// DB is the store, over SQLite or PostgreSQL. It is safe for concurrent use by
// many goroutines, and by several processes sharing one database (the gateway
// and the CLI working offline, or several gateway replicas on PostgreSQL).
type DB struct {
	d      dialect
	q      queries
	r      *sql.DB // reads
	w      *sql.DB // writes; the same pool as r except on a SQLite file
	lookup *sql.Stmt
	marker *marker          // SQLite files only; see KeysVersion
	now    func() time.Time // only when a caller leaves a time unset
}

// Open opens the database named by dsn with driver "sqlite" (dsn is a file
// path, or ":memory:") or "postgres" (dsn is a libpq URL or key=value string),
// checks that it answers, and applies any pending migrations. Several
// processes may Open the same database at once; migrations run once.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	var db *DB
	var err error
	switch driver {
	case "sqlite":
		db, err = openSQLite(dsn)
	case "postgres":
		db, err = openPostgres(dsn)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite or postgres)", driver)
	}
	if err != nil {
		return nil, err
	}
	if err := db.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqlitePragmas apply to every SQLite connection. busy_timeout makes a
// connection wait for another process's write instead of failing at once.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// openSQLite opens two pools on one file: a single writer connection, so the
// process's writes queue in Go rather than spin on SQLite's lock, whose
// transactions BEGIN IMMEDIATE (taking the write lock up front, so they never
// fail half-way on a lock upgrade); and read-only connections that WAL lets
// run alongside any writer, in this process or another.
func openSQLite(dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("store: open sqlite: empty dsn")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	writeDSN := dsn + sep + sqlitePragmas + "&_pragma=journal_mode(WAL)&_txlock=immediate"
	w, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	db := &DB{d: sqliteDialect, q: sqliteDialect.queries(), r: w, w: w, now: time.Now}
	if isMemory(dsn) {
		return db, nil // each connection would be a database of its own
	}
	r, err := sql.Open("sqlite", dsn+sep+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	if db.marker, err = openMarker(dsn); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	return db, nil
}

func isMemory(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") ||
		strings.Contains(dsn, "mode=memory")
}

// openPostgres opens one pool for reads and writes.
func openPostgres(dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	p.SetMaxOpenConns(16)
	p.SetMaxIdleConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	p.SetConnMaxLifetime(time.Hour)
	return &DB{d: postgresDialect, q: postgresDialect.queries(), r: p, w: p, now: time.Now}, nil
}

// init checks the connection (the writer first: it creates the SQLite file
// and switches it to WAL), migrates, and prepares the hot-path statement.
func (db *DB) init(ctx context.Context) error {
	// Switching a new SQLite file to WAL takes a lock that SQLite does not
	// wait for (busy_timeout does not apply): processes opening one file
	// at once retry for a while.
	for deadline := time.Now().Add(5 * time.Second); ; {
		err := db.w.PingContext(ctx)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("store: connect %s: %w", db.d.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: connect %s: %w", db.d.name, err)
	}
	st, err := db.r.PrepareContext(ctx, db.q.lookup)
	if err != nil {
		return fmt.Errorf("store: prepare lookup: %w", err)
	}
	db.lookup = st
	return nil
}

// Close releases the connections. Calls in flight may fail.
func (db *DB) Close() error {
	var errs []error
	if db.lookup != nil {
		errs = append(errs, db.lookup.Close())
	}
	if db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	if db.marker != nil {
		errs = append(errs, db.marker.f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping reports whether the database answers, for readiness checks. It uses
// the read pool, so a long write does not make the process look unready.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
