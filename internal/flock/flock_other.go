//go:build !unix

package flock

import (
	"errors"
	"os"
)

// ErrLocked: another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Try opens path; other systems get no lock (one writer is assumed).
func Try(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
