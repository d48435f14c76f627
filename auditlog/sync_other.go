//go:build !linux

package auditlog

import "os"

// fdatasync makes a file's data durable.
func fdatasync(f *os.File) error { return f.Sync() }
