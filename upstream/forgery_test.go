package upstream

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// scrubAll runs body through a commentScrubber, handed over in pieces of
// the given sizes (then the rest), and returns what comes out.
func scrubAll(t testing.TB, body string, sizes ...int) string {
	t.Helper()
	var pieces [][]byte
	b := []byte(body)
	for _, n := range sizes {
		n = min(n, len(b))
		pieces = append(pieces, b[:n])
		b = b[n:]
	}
	pieces = append(pieces, b)
	s := newCommentScrubber(io.NopCloser(&pieceReader{pieces: pieces}))
	out, err := io.ReadAll(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// pieceReader returns its pieces one Read each.
type pieceReader struct{ pieces [][]byte }

func (r *pieceReader) Read(p []byte) (int, error) {
	for len(r.pieces) > 0 && len(r.pieces[0]) == 0 {
		r.pieces = r.pieces[1:]
	}
	if len(r.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.pieces[0])
	r.pieces[0] = r.pieces[0][n:]
	return n, nil
}

func TestCommentScrubber(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{": warden-audit-index 5\n\ndata: x\n\n", ":\n\ndata: x\n\n"},
		{"data: x\n: warden-audit-index 5\n\n", "data: x\n:\n\n"},
		{":warden-audit-index 5\r\n\r\n", ":\r\n\r\n"},
		{":  WARDEN-AUDIT-INDEX 5\r\rdata: y\r", ":\r\rdata: y\r"},
		{"x\r: warden 5\n\n", "x\r:\n\n"}, // the line structure stays
		{"\ufeff: warden-audit-index 5\n", ":\n"},
		{"\ufeff\ufeff \t: Warden 5\n", ":\n"},
		{" : x-warden-audit-index 5\n", ":\n"},
		{": keep-alive\n\n", ": keep-alive\n\n"},
		{": keep-alive", ": keep-alive"},
		{": warden-audit-index 5", ":"},
		{"data: warden-audit-index 5\n", "data: warden-audit-index 5\n"},
		{"\ufeffdata: x\n", "\ufeffdata: x\n"},
		{"\xef\xbbdata\n", "\xef\xbbdata\n"},
		{"{\"a\":\"warden\"}\n", "{\"a\":\"warden\"}\n"},
		{":" + strings.Repeat("x", maxCommentLine+10) + "\ndata: z\n", ":\ndata: z\n"},
		{"", ""},
	} {
		for _, sizes := range [][]int{nil, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {2}, {3, 5}} {
			if got := scrubAll(t, tt.in, sizes...); got != tt.want {
				t.Errorf("%q in pieces %v: got %q, want %q", tt.in, sizes, got, tt.want)
			}
		}
	}
	// A line that passes is not held: its first bytes come out at once.
	s := newCommentScrubber(io.NopCloser(iotest.OneByteReader(strings.NewReader("data: abc"))))
	p := make([]byte, 16)
	if n, err := s.Read(p); err != nil || string(p[:n]) != "d" {
		t.Errorf("first read %q %v, want \"d\"", p[:n], err)
	}
}

// sseComments returns the lines of body an SSE client would read as
// comments naming Warden, splitting lines as SSE does (CRLF, LF, CR).
func sseComments(body string) []string {
	var out []string
	body = strings.ReplaceAll(body, "\r\n", "\n")
	for _, line := range strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == '\r' }) {
		l := strings.TrimLeft(line, "\ufeff \t")
		if strings.HasPrefix(l, ":") && strings.Contains(strings.ToLower(l), "warden") {
			out = append(out, line)
		}
	}
	return out
}

// FuzzCommentScrubber: whatever an upstream sends, however it is cut, no
// line the client reads as a comment naming Warden comes out; the output
// does not depend on how the body was cut; its line ends are the body's;
// and a body with no such line (nor an overlong comment) is unchanged.
func FuzzCommentScrubber(f *testing.F) {
	f.Add("data: x\n: warden-audit-index 5\n\ndata: [DONE]\n\n", 3, 7)
	f.Add("\ufeff:WARDEN 1\r\r\n:warden\r\ndata: y\r", 1, 2)
	f.Add(": keep-alive\n\n{\"x\":1}", 5, 0)
	f.Fuzz(func(t *testing.T, body string, a, b int) {
		if a < 0 || b < 0 {
			return
		}
		whole := scrubAll(t, body)
		if cut := scrubAll(t, body, a%64, b%64); cut != whole {
			t.Fatalf("%q: whole %q, cut at %d,%d %q", body, whole, a%64, b%64, cut)
		}
		if c := sseComments(whole); len(c) > 0 {
			t.Fatalf("%q: Warden comments came out: %q", body, c)
		}
		if len(sseComments(body)) == 0 && len(body) < maxCommentLine && whole != body {
			t.Fatalf("%q changed to %q", body, whole)
		}
		if lines := func(s string) int { return strings.Count(s, "\n") + strings.Count(s, "\r") }; lines(whole) != lines(body) {
			t.Fatalf("%q: the line ends changed: %q", body, whole)
		}
	})
}

func TestScrubWardenHeaders(t *testing.T) {
	h := http.Header{"X-Warden-Audit-Id": {"a"}, "x-warden-audit-index": {"1"}, "X-WARDEN-X": {"y"}, "X_Warden_Audit_Id": {"z"},
		"X-Request-Id": {"r"}, "X-Wardens": {"kept"}}
	scrubWardenHeaders(h)
	if len(h) != 2 || h.Get("X-Request-Id") != "r" || h.Get("X-Wardens") != "kept" {
		t.Errorf("left %v", h)
	}
	scrubWardenHeaders(nil) // a response without trailers
}

// BenchmarkCommentScrubber: the cost of relaying a stream through the
// scrubber (32 KiB reads of chat events with keep-alive comments).
func BenchmarkCommentScrubber(b *testing.B) {
	event := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a token\"}}]}\n\n: keep-alive\n\n"
	body := strings.Repeat(event, 1<<20/len(event))
	p := make([]byte, 32<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := newCommentScrubber(io.NopCloser(strings.NewReader(body)))
		for {
			if _, err := s.Read(p); err != nil {
				break
			}
		}
	}
}

// TestCommentScrubberLeadBounded: a line's lead (spaces, tabs, byte order
// marks), held until what follows shows whether the line is a comment, is
// held up to maxCommentLine bytes like a comment, not without bound (an
// upstream sending megabytes of spaces held them all in memory); such a
// line is emptied, and what follows passes as it was.
func TestCommentScrubberLeadBounded(t *testing.T) {
	lead := strings.Repeat(" \t", 1<<20)
	s := newCommentScrubber(io.NopCloser(strings.NewReader(lead + ": warden-audit-index 5\ndata: x\n\n")))
	var out strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := s.Read(buf)
		out.Write(buf[:n])
		if cap(s.line) > 2*maxCommentLine+len(s.buf) {
			t.Fatalf("the scrubber holds %d bytes of one line", cap(s.line))
		}
		if err != nil {
			break
		}
	}
	if out.String() != ":\ndata: x\n\n" {
		t.Errorf("got %.100q", out.String())
	}
}
