//go:build !unix

package auditlog

import "os"

// lockFile opens path; other systems get no lock (one writer is assumed).
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
