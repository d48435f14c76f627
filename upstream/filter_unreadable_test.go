package upstream

import (
	"encoding/json"
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

// TestArgumentsKeepTheirForms: redacting a value in a tool call's
// arguments does not normalise the rest, where full-width quotes would
// become real ones and forge JSON members ("admin": true) for the client.
func TestArgumentsKeepTheirForms(t *testing.T) {
	args := `{"note":"Hi jane@example.com x＂,＂admin＂:true,＂y＂:＂","amount":5}`
	aj, _ := json.Marshal(args)
	check := func(how, got string) {
		t.Helper()
		var parsed map[string]any
		if err := json.Unmarshal([]byte(got), &parsed); err != nil || len(parsed) != 2 || parsed["admin"] != nil ||
			!strings.Contains(got, "[EMAIL_1]") || !strings.Contains(got, "＂admin＂") {
			t.Errorf("%s: arguments released as %s (parsed %v, %v)", how, got, parsed, err)
		}
	}
	b := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"send","arguments":` + string(aj) + `}}]},"finish_reason":"tool_calls"}]}`
	out, err := filterBody([]byte(b), cardOutcome())
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
			}
		}
	}
	json.Unmarshal(out, &v)
	check("whole answer", v.Choices[0].Message.ToolCalls[0].Function.Arguments)

	in := ev(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"send","arguments":`+string(aj)+`}}]},"finish_reason":null}`) + "\n\n" +
		ev(`{"index":0,"delta":{},"finish_reason":"tool_calls"}`) + "\n\ndata: [DONE]\n\n"
	var all strings.Builder
	for _, line := range strings.Split(readAllFiltered(t, in, cardOutcome(), 7), "\n") {
		d, ok := strings.CutPrefix(line, "data: ")
		if !ok || d == "[DONE]" {
			continue
		}
		var e struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
				}
			}
		}
		json.Unmarshal([]byte(d), &e)
		for _, c := range e.Choices {
			for _, tc := range c.Delta.ToolCalls {
				all.WriteString(tc.Function.Arguments)
			}
		}
	}
	check("stream", all.String())
}

// TestEscapedArguments: JSON escapes in a tool call's arguments (which are
// themselves JSON) do not hide a value from the filter, whole or streamed.
func TestEscapedArguments(t *testing.T) {
	args := `{"to":"jane\u0040example.com","card":"4111\u00201111\u00201111\u00201111"}`
	aj, _ := json.Marshal(args)
	b := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"send","arguments":` + string(aj) + `}}]},"finish_reason":"tool_calls"}]}`
	out, err := filterBody([]byte(b), cardOutcome())
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Contains(s, `0040example`) || strings.Contains(s, `1111\\u00201111`) || !strings.Contains(s, "[EMAIL_1]") || !strings.Contains(s, "[CREDIT_CARD_1]") {
		t.Errorf("whole answer: %s", out)
	}
	in := ev(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"send","arguments":`+string(aj)+`}}]},"finish_reason":null}`) + "\n\n" +
		ev(`{"index":0,"delta":{},"finish_reason":"tool_calls"}`) + "\n\ndata: [DONE]\n\n"
	for _, chunk := range []int{3, 1 << 20} {
		s := readAllFiltered(t, in, cardOutcome(), chunk)
		if strings.Contains(s, `0040example`) || !strings.Contains(s, "[EMAIL_1]") || !strings.Contains(s, "[CREDIT_CARD_1]") {
			t.Errorf("stream read %d bytes at a time: %s", chunk, s)
		}
	}
	// The arguments in pieces of n bytes, one event each: escapes are cut.
	for n := 1; n <= 7; n++ {
		var sb strings.Builder
		for rest := args; rest != ""; {
			k := min(n, len(rest))
			pj, _ := json.Marshal(rest[:k])
			sb.WriteString(ev(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":`+string(pj)+`}}]},"finish_reason":null}`) + "\n\n")
			rest = rest[k:]
		}
		sb.WriteString(ev(`{"index":0,"delta":{},"finish_reason":"tool_calls"}`) + "\n\ndata: [DONE]\n\n")
		s := readAllFiltered(t, sb.String(), cardOutcome(), 1<<20)
		if strings.Contains(s, "example") || !strings.Contains(s, "EMAIL_1") || !strings.Contains(s, "CREDIT_CARD_1") {
			t.Errorf("arguments in %d-byte events: %s", n, s)
		}
	}
}
