//go:build unix

package auditlog

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path (created if missing) without
// waiting; ErrLocked if another process holds it. Closing the file
// releases it, as does the process's exit.
func lockFile(path string) (*os.File, error) {
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
