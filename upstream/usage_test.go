package upstream

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestUsageReader(t *testing.T) {
	sse := "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\r\n\r\n" +
		"data: [DONE]\n\n"
	for _, tt := range []struct {
		name, ctype, body string
		want              *Usage
	}{
		{"json", "application/json", `{"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`, &Usage{3, 4, 7}},
		{"json with charset", "application/json; charset=utf-8", `{"usage":{"prompt_tokens":1,"total_tokens":1}}`, &Usage{1, 0, 1}},
		{"json without usage", "application/json", `{"id":"x"}`, nil},
		{"json malformed", "application/json", `{"usage":`, nil},
		{"json large, usage last", "application/json", `{"data":[` + strings.Repeat(`{"embedding":[0.1,0.2,0.3]},`, 10000) + `{}],"usage":{"prompt_tokens":8,"total_tokens":8}}`, &Usage{8, 0, 8}},
		{"json usage key in a string at the end", "application/json", `{"x":"\"usage\""}`, nil},
		{"stream", "text/event-stream", sse, &Usage{7, 2, 9}},
		{"stream, lines ending in CR", "text/event-stream", strings.ReplaceAll(strings.ReplaceAll(sse, "\r\n", "\n"), "\n", "\r"), &Usage{7, 2, 9}},
		{"stream after a byte order mark", "text/event-stream", "\xef\xbb\xbfdata: {\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}\n\n", &Usage{1, 0, 1}},
		{"stream without usage", "text/event-stream", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n", nil},
		{"usage mentioned in content only", "text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\"\"}}]}\n\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got *Usage
			called := 0
			r := newUsageReader(io.NopCloser(iotest.OneByteReader(strings.NewReader(tt.body))), tt.ctype, nil, func(u *Usage) { got = u; called++ })
			b, err := io.ReadAll(r)
			if err != nil || string(b) != tt.body {
				t.Fatalf("body changed or failed: %v", err)
			}
			r.Close()
			if called != 1 {
				t.Fatalf("done called %d times", called)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
	// Other content types pass through untouched, with no callback.
	rc := io.NopCloser(strings.NewReader("x"))
	if newUsageReader(rc, "text/plain", nil, func(*Usage) { t.Fatal("called") }) != rc {
		t.Fatal("wrapped a text/plain body")
	}
}

// FuzzUsageReader: the body passes through byte for byte whatever it holds,
// and the callback runs exactly once.
func FuzzUsageReader(f *testing.F) {
	f.Add([]byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`), false)
	f.Add([]byte("data: {\"usage\":{\"total_tokens\":9}}\n\ndata: [DONE]\n\n"), true)
	f.Add([]byte("data: {\"usage\""), true)
	f.Fuzz(func(t *testing.T, body []byte, sse bool) {
		ctype := "application/json"
		if sse {
			ctype = "text/event-stream"
		}
		calls := 0
		r := newUsageReader(io.NopCloser(bytes.NewReader(body)), ctype, &Outcome{CollectText: true}, func(*Usage) { calls++ })
		out, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(out, body) || calls != 1 {
			t.Fatalf("changed the body or called back %d times (%v)", calls, err)
		}
	})
}

func TestUsageReaderCollectsText(t *testing.T) {
	body := "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\", wörld\"}}]}\n\n" +
		"data: {\"choices\":[{\"text\":\"!\"}]}\n\ndata: [DONE]\n\n"
	o := &Outcome{CollectText: true}
	r := newUsageReader(io.NopCloser(strings.NewReader(body)), "text/event-stream", o, func(*Usage) {})
	io.ReadAll(r)
	r.Close()
	if string(o.StreamedSample) != "Hello, wörld!" || o.StreamedBytes != int64(len("Hello, wörld!")) {
		t.Fatalf("sample %q, %d bytes", o.StreamedSample, o.StreamedBytes)
	}
}
