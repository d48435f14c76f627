package store

import (
	"fmt"
	"os"
	"strings"
)

// The key-change marker lets processes sharing a SQLite file cache API keys
// and still see a rotation or revocation on their very next request: every
// such change appends one byte to DB-FILE-keys after it commits, and a
// reader compares the marker's size (one fstat, no allocation) with the size
// it cached under. Sizes only grow, so a change is never missed, whatever
// the file system's timestamp resolution. PostgreSQL has no marker: replicas
// cannot share a file, so their callers do not cache.
type marker struct {
	f  *os.File
	fd int
}

func openMarker(dsn string) (*marker, error) {
	path, _, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	f, err := os.OpenFile(path+"-keys", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: key-change marker: %w", err)
	}
	return &marker{f: f, fd: int(f.Fd())}, nil
}

// bump records a change; it is called after the change has committed.
func (m *marker) bump() error {
	if _, err := m.f.Write([]byte{'.'}); err != nil {
		return fmt.Errorf("store: key-change marker: %w (running gateways may keep the old key state for up to their cache lifetime)", err)
	}
	return nil
}

// KeysVersion returns a number that changes whenever an API key's validity
// may have changed (a rotation or revocation, by this process or another on
// the same SQLite file). ok is false when the store cannot tell (PostgreSQL,
// in-memory SQLite): callers must then not cache keys.
func (db *DB) KeysVersion() (v int64, ok bool) {
	if db.marker == nil {
		return 0, false
	}
	return db.marker.size()
}

func (db *DB) keysChanged() error {
	if db.marker == nil {
		return nil
	}
	return db.marker.bump()
}
