package upstream

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUnreadableAnswersWithheld: while responses are filtered, an answer
// the filter cannot read is withheld, not released unfiltered: another
// content type, loose JSON that a lenient client might still parse, other
// 2xx statuses. A stream opening with a byte order mark (which SSE clients
// skip) is filtered like any other.
func TestUnreadableAnswersWithheld(t *testing.T) {
	const card = "4111 1111 1111 1111"
	body := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"card ` + card + `"},"finish_reason":"stop"}]}`
	for _, tt := range []struct {
		name, ctype, body string
		status            int
		blocked           bool
	}{
		{"json", "application/json", body, 200, false},
		{"json with charset", "application/json; charset=utf-8", body, 200, false},
		{"text/plain", "text/plain; charset=utf-8", body, 200, true},
		{"no content type", "", body, 200, true},
		{"text/json", "text/json", body, 200, true},
		{"201 created", "text/plain", body, 201, true},
		{"a bare word before a string", "application/json", strings.Replace(body, `"content":"card`, `"content":x"card`, 1), 200, true},
		{"a string after a number", "application/json", strings.Replace(body, `}]}`, `}],"x":1"card `+card+`"}`, 1), 200, true},
	} {
		res := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
		if tt.ctype != "" {
			res.Header.Set("Content-Type", tt.ctype)
		}
		o := cardOutcome()
		err := release(res, o)
		var be *BlockedError
		if tt.blocked {
			if !errors.As(err, &be) || o.Blocked != ruleUnfilterable {
				t.Errorf("%s: err %v, blocked %q; want it withheld", tt.name, err, o.Blocked)
			}
			continue
		}
		got, _ := io.ReadAll(res.Body)
		if err != nil || strings.Contains(string(got), card) || !strings.Contains(string(got), "[CREDIT_CARD_1]") {
			t.Errorf("%s: %v %s", tt.name, err, got)
		}
	}

	in := "\xef\xbb\xbf" + ev(`{"index":0,"delta":{"content":"card `+card+`"},"finish_reason":"stop"}`) + "\n\ndata: [DONE]\n\n"
	for _, chunk := range []int{1, 2, 1 << 20} {
		if out := readAllFiltered(t, in, cardOutcome(), chunk); strings.Contains(out, card) || !strings.Contains(out, "[CREDIT_CARD_1]") {
			t.Errorf("a stream opening with a BOM, read %d bytes at a time: %q", chunk, out)
		}
	}
}
