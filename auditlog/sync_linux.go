package auditlog

import (
	"os"
	"syscall"
)

// fdatasync makes a file's data durable (not its timestamps).
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
