package upstream

import (
	"bytes"
	"slices"
	"testing"
)

func splitAll(b []byte, cut int) []string {
	var s lineSplitter
	var lines []string
	emit := func(l []byte) { lines = append(lines, string(l)) }
	for len(b) > cut && cut > 0 {
		s.feed(b[:cut], false, emit)
		b = b[cut:]
	}
	s.feed(b, true, emit)
	return lines
}

// TestLineSplitter: lines end in CRLF, LF or CR, whole, however the stream
// is cut; a leading BOM is dropped.
func TestLineSplitter(t *testing.T) {
	in := []byte("\xef\xbb\xbfdata: a\r\ndata: b\rdata: c\n\r\n: x\rlast")
	want := []string{"data: a\r\n", "data: b\r", "data: c\n", "\r\n", ": x\r", "last"}
	for cut := range 8 {
		if got := splitAll(in, cut); !slices.Equal(got, want) {
			t.Errorf("cut %d: %q", cut, got)
		}
	}
}

// FuzzLineSplitter: the lines put together are the stream (less a BOM),
// whatever the cut.
func FuzzLineSplitter(f *testing.F) {
	f.Add([]byte("a\r\nb\rc\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		cut = 1 + abs(cut)%16
		whole := splitAll(in, 0)
		if got := splitAll(in, cut); !slices.Equal(got, whole) {
			t.Fatalf("cut %d: %q, whole %q", cut, got, whole)
		}
		if joined := []byte(stringsJoin(whole)); !bytes.Equal(joined, bytes.TrimPrefix(in, bom)) {
			t.Fatalf("%q from %q", joined, in)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func stringsJoin(s []string) string {
	var b bytes.Buffer
	for _, x := range s {
		b.WriteString(x)
	}
	return b.String()
}
