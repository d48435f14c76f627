//go:build unix

// Package flock takes exclusive, advisory locks on files, so that two
// processes do not both write what only one may (an audit log, a key
// rotation).
package flock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked: another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Try takes an exclusive lock on path (created if missing, 0600) without
// waiting; ErrLocked if another process holds it. Closing the file
// releases it, as does the process's exit.
func Try(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}
