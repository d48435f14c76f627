//go:build unix

package store

import "syscall"

func (m *marker) size() (int64, bool) {
	var st syscall.Stat_t
	if err := syscall.Fstat(m.fd, &st); err != nil {
		return 0, false
	}
	return st.Size, true
}
