//go:build !unix

package store

func (m *marker) size() (int64, bool) {
	st, err := m.f.Stat()
	if err != nil {
		return 0, false
	}
	return st.Size(), true
}
