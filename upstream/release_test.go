package upstream

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/httperr"
)

// chunked returns a reader that hands out s in pieces of n bytes.
func chunked(s string, n int) io.ReadCloser {
	return io.NopCloser(&pieces{s: s, n: n})
}

type pieces struct {
	s string
	n int
}

func (p *pieces) Read(b []byte) (int, error) {
	if p.s == "" {
		return 0, io.EOF
	}
	k := min(p.n, len(p.s), len(b))
	copy(b, p.s[:k])
	p.s = p.s[k:]
	return k, nil
}

// relay runs body through an auditStream whose release answers index (or
// fails), returning what the client gets and how often release was called.
func relay(t testing.TB, body string, chunk int, index string, fail bool) (string, int) {
	calls := 0
	o := &Outcome{Release: func(status int, e *httperr.Error, h http.Header) (string, error) {
		calls++
		if fail {
			return "", errors.New("disk full")
		}
		return index, nil
	}}
	s := &auditStream{rc: chunked(body, chunk), o: o, buf: make([]byte, 7)}
	out, err := io.ReadAll(s)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(out), calls
}

func TestAuditStream(t *testing.T) {
	const ev = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"done", ev + "data: [DONE]\n\n", ev + ": warden-audit-index 7\n\ndata: [DONE]\n\n"},
		{"done without a space", ev + "data:[DONE]\n\n", ev + ": warden-audit-index 7\n\ndata:[DONE]\n\n"},
		{"CRLF", "data: {}\r\n\r\ndata: [DONE]\r\n\r\n", "data: {}\r\n\r\n: warden-audit-index 7\n\ndata: [DONE]\r\n\r\n"},
		{"done at EOF without a newline", ev + "data: [DONE]", ev + ": warden-audit-index 7\n\ndata: [DONE]"},
		{"no done: released at the end", ev, ev + ": warden-audit-index 7\n\n"},
		{"empty", "", ": warden-audit-index 7\n\n"},
		{"a data line that starts like done is held as done", "data: [DONE] and more\n\n", ": warden-audit-index 7\n\ndata: [DONE] and more\n\n"},
		{"long lines pass", "data: " + strings.Repeat("x", 5000) + "\n\ndata: [DONE]\n\n", "data: " + strings.Repeat("x", 5000) + "\n\n: warden-audit-index 7\n\ndata: [DONE]\n\n"},
		{"done quoted inside a line", "data: {\"c\":\"data: [DONE] is the end marker\"}\n\ndata: [DONE]\n\n", "data: {\"c\":\"data: [DONE] is the end marker\"}\n\n: warden-audit-index 7\n\ndata: [DONE]\n\n"},
		{"CR framing", "data: {}\r\rdata: [DONE]\r\r", "data: {}\r\r: warden-audit-index 7\n\ndata: [DONE]\r\r"},
		{"done with trailing space", "data: [DONE] \n\n", ": warden-audit-index 7\n\ndata: [DONE] \n\n"},
		{"after done, passed through", "data: [DONE]\n\ndata: late\n\n", ": warden-audit-index 7\n\ndata: [DONE]\n\ndata: late\n\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{1, 2, 3, 5, 13, 64, 1 << 20} {
				got, calls := relay(t, tt.in, chunk, "7", false)
				if got != tt.want || calls != 1 {
					t.Fatalf("chunks of %d: got %q (%d releases), want %q (1)", chunk, got, calls, tt.want)
				}
			}
		})
	}
	t.Run("async: no index, no comment", func(t *testing.T) {
		if got, _ := relay(t, ev+"data: [DONE]\n\n", 4, "", false); got != ev+"data: [DONE]\n\n" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("record failed: an error event and no done", func(t *testing.T) {
		got, calls := relay(t, ev+"data: [DONE]\n\ndata: late\n\n", 3, "", true)
		if calls != 1 || !strings.HasPrefix(got, ev+"data: {\"error\":") || strings.Contains(got, "[DONE]") ||
			!strings.Contains(got, `"code":"audit_unavailable"`) || strings.Contains(got, "late") {
			t.Fatalf("got %q", got)
		}
	})
}

// FuzzAuditStream: whatever a stream holds and however it is cut, the
// client gets it unchanged but for one index comment, placed before the
// first [DONE] line (or at the end), and the record is released once.
func FuzzAuditStream(f *testing.F) {
	f.Add("data: {}\n\ndata: [DONE]\n\n", 3)
	f.Add("data: [DONE]", 1)
	f.Add("data:[DONE]\r\n\r\n", 2)
	f.Add(": comment\ndata: x\n\n", 5)
	f.Fuzz(func(t *testing.T, in string, chunk int) {
		if chunk <= 0 || chunk > 1<<16 {
			chunk = 1
		}
		got, calls := relay(t, in, chunk, "42", false)
		if calls != 1 {
			t.Fatalf("%d releases", calls)
		}
		const comment = ": warden-audit-index 42\n\n"
		i := strings.Index(got, comment)
		if i < 0 {
			t.Fatalf("no comment in %q", got)
		}
		if got[:i]+got[i+len(comment):] != in {
			t.Fatalf("stream changed: in %q, out %q", in, got)
		}
		// Nothing before the comment is a whole [DONE] line.
		for _, l := range strings.FieldsFunc(got[:i], func(r rune) bool { return r == '\r' || r == '\n' }) {
			if isDone([]byte(l)) {
				t.Fatalf("[DONE] released before the record: %q", got)
			}
		}
	})
}

// TestResponseParts: a streamed answer hashes like the same answer sent
// whole, choice by choice.
func TestResponseParts(t *testing.T) {
	whole := []byte(`{"object":"chat.completion","choices":[{"index":1,"message":{"content":"B"}},{"index":0,"message":{"content":"Hello there"}}]}`)
	h := choiceHashes{}
	h.write(0, "Hello")
	h.write(1, "B")
	h.write(0, " there")
	if a, b := responseParts(whole), h.parts(); len(a) != 2 || a[0] != b[0] || a[1] != b[1] {
		t.Fatalf("whole %x, streamed %x", a, b)
	}
	emb := responseParts([]byte(`{"object":"list","data":[{"embedding":[0.1]}]}`))
	if len(emb) != 1 || emb[0].Role != "embedding" {
		t.Fatalf("embeddings: %+v", emb)
	}
	if responseParts([]byte(`not json`)) != nil {
		t.Fatal("a non-JSON answer has parts")
	}
}
