package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/wardenhq/warden/content"
)

func filterOutcome() *Outcome {
	p := content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{content.Email: content.Redact, content.Secret: content.Redact}})
	return &Outcome{Filter: p.NewSession()}
}

func readAllFiltered(t *testing.T, in string, o *Outcome, chunk int) string {
	t.Helper()
	f := newFilterStream(io.NopCloser(&slowReader{s: in, n: chunk}), o)
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type slowReader struct {
	s string
	n int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}

// TestFilterStreamShapes: chat content, completions text and tool-call
// arguments of two choices, CRLF line ends, comments and unknown events,
// read in reads of every size, come out filtered and whole; the held text
// of a choice goes out before its finishing event.
func TestFilterStreamShapes(t *testing.T) {
	in := ": keep-alive\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null},{"index":1,"delta":{"content":"to jane@exa"},"finish_reason":null}]}` + "\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"mail bob@ex"},"finish_reason":null},{"index":1,"delta":{"content":"mple.com"},"finish_reason":"stop"}]}` + "\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"ample.org now"},"finish_reason":null}]}` + "\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"send","arguments":"{\"to\":\"jane@"}}]},"finish_reason":null}]}` + "\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"example.com\"}"}}]},"finish_reason":null}]}` + "\r\n\r\n" +
		`data: {"weird":true}` + "\r\n\r\n" +
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\r\n\r\n" +
		"data: [DONE]\r\n\r\n"
	for _, chunk := range []int{1, 7, 100, 1 << 20} {
		out := readAllFiltered(t, in, filterOutcome(), chunk)
		if strings.Contains(out, "jane@") || strings.Contains(out, "bob@") || strings.Contains(out, "example") {
			t.Fatalf("reads of %d: a value got through:\n%s", chunk, out)
		}
		texts := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Choices []struct {
					Index int
					Delta struct {
						Content   string
						ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
					}
				}
			}
			json.Unmarshal([]byte(data), &ev)
			for _, c := range ev.Choices {
				texts[fmt.Sprint("content", c.Index)] += c.Delta.Content
				for _, tc := range c.Delta.ToolCalls {
					texts["arguments"] += tc.Function.Arguments
				}
			}
		}
		if got := texts["content1"]; got != "to [EMAIL_1]" {
			t.Errorf("reads of %d: choice 1 %q", chunk, got)
		}
		if got := texts["content0"]; got != "mail [EMAIL_2] now" {
			t.Errorf("reads of %d: choice 0 %q", chunk, got)
		}
		if got := texts["arguments"]; got != `{"to":"[EMAIL_1]"}` {
			t.Errorf("reads of %d: arguments %q", chunk, got)
		}
		if !strings.HasPrefix(out, ": keep-alive\r\n") || !strings.Contains(out, `data: {"weird":true}`) || !strings.HasSuffix(out, "data: [DONE]\r\n\r\n") {
			t.Errorf("reads of %d: lines lost:\n%s", chunk, out)
		}
		if strings.Index(out, `"finish_reason":"tool_calls"`) < strings.LastIndex(out, "EMAIL_2") {
			t.Errorf("reads of %d: held text after the finishing event:\n%s", chunk, out)
		}
	}
}

// TestFilterStreamBlock: a blocked value ends the stream with an error
// event; nothing of the value, nor the [DONE], goes out.
func TestFilterStreamBlock(t *testing.T) {
	p := content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{content.CreditCard: content.Block}})
	o := &Outcome{Filter: p.NewSession()}
	var in strings.Builder
	for _, piece := range []string{"pay with 4111 ", "1111 1111 ", "1111 thanks", " and goodbye"} {
		in.WriteString(`data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"` + piece + `"},"finish_reason":null}]}` + "\n\n")
	}
	in.WriteString("data: [DONE]\n\n")
	out := readAllFiltered(t, in.String(), o, 5)
	if o.Blocked != "pii.credit_card" || strings.Contains(out, "4111") || strings.Contains(out, "[DONE]") || !strings.Contains(out, `"code":"content_blocked"`) {
		t.Fatalf("blocked %q:\n%s", o.Blocked, out)
	}
}

// FuzzFilterStream: whatever the upstream sends, the filter neither
// panics nor loses bytes of lines it does not filter.
func FuzzFilterStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a@b.co\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte(": c\r\ndata: {\"choices\":[{\"index\":7,\"text\":\"x\",\"finish_reason\":\"stop\"}]}\r\n"))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,\"function\":{\"arguments\":\"{}\"}}]}}]}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(newFilterStream(io.NopCloser(bytes.NewReader(in)), filterOutcome()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(in, []byte("data:")) && !bytes.Equal(in, out) {
			t.Fatalf("a stream without events changed: %q -> %q", in, out)
		}
	})
}

// BenchmarkFilterStreamEvent: one chat chunk event with a few characters
// of content through the response filter (its cost per event; the first
// event of a stream passes at once, so this is also what it adds to the
// time to first byte).
func BenchmarkFilterStreamEvent(b *testing.B) {
	ev := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	f := newFilterStream(io.NopCloser(bytes.NewReader(nil)), filterOutcome())
	b.ReportAllocs()
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		f.scan(ev)
		f.out = f.out[:0]
	}
}

func cardOutcome() *Outcome {
	p := content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{content.CreditCard: content.Redact, content.Email: content.Redact}})
	return &Outcome{Filter: p.NewSession()}
}

func ev(inner string) string {
	return `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[` + inner + `]}`
}

// TestFilterStreamReadsAsClientsDo: line ends, multi-line data, loose
// types, every streamed field of a choice and log probabilities: no way
// around the filter.
func TestFilterStreamReadsAsClientsDo(t *testing.T) {
	cases := map[string]string{
		"cr-only": ev(`{"index":0,"delta":{"content":"card 4111 1111 1111 1111"},"finish_reason":null}`) + "\r\r" + "data: [DONE]\r\r",
		"multi-line data": `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,` + "\n" +
			`data: "delta":{"content":"card 4111 1111 1111 1111"},"finish_reason":null}]}` + "\n\ndata: [DONE]\n\n",
		"index as string":  ev(`{"index":"0","delta":{"content":"card 4111 1111 1111 1111"},"finish_reason":null}`) + "\n\ndata: [DONE]\n\n",
		"created as float": `data: {"id":"c","object":"chat.completion.chunk","created":1.5,"choices":[{"index":0,"delta":{"content":"card 4111 1111 1111 1111"}}]}` + "\n\ndata: [DONE]\n\n",
		"refusal split": ev(`{"index":0,"delta":{"refusal":"card 4111 1111 "},"finish_reason":null}`) + "\n\n" +
			ev(`{"index":0,"delta":{"refusal":"1111 1111 ok"},"finish_reason":null}`) + "\n\ndata: [DONE]\n\n",
		"reasoning split": ev(`{"index":0,"delta":{"reasoning_content":"mail jane@exa"},"finish_reason":null}`) + "\n\n" +
			ev(`{"index":0,"delta":{"reasoning_content":"mple.com ok"},"finish_reason":null}`) + "\n\ndata: [DONE]\n\n",
		"logprobs": ev(`{"index":0,"delta":{"content":"4111 1111 1111 1111"},"logprobs":{"content":[{"token":"4111 1111 1111 1111","logprob":0,"bytes":[52],"top_logprobs":[]}]},"finish_reason":"stop"}`) + "\n\ndata: [DONE]\n\n",
	}
	for name, in := range cases {
		for _, chunk := range []int{1, 3, 1 << 20} {
			out := readAllFiltered(t, in, cardOutcome(), chunk)
			joined := strings.NewReplacer(`"}`, "", "data: ", "", "\n", "", "\r", "", `","`, "").Replace(out)
			if strings.Contains(out, "4111 1111 1111 1111") || strings.Contains(joined, "4111 1111 1111 1111") || strings.Contains(out, "jane@exa") {
				t.Errorf("%s, reads of %d: value released:\n%q", name, chunk, out)
			}
		}
	}
	// What is not JSON cannot be filtered: the stream ends.
	o := cardOutcome()
	out := readAllFiltered(t, "data: {not json\n\ndata: [DONE]\n\n", o, 1<<20)
	if o.Blocked != ruleUnfilterable || strings.Contains(out, "not json") || strings.Contains(out, "[DONE]") {
		t.Errorf("unfilterable event: %q (blocked %q)", out, o.Blocked)
	}
}

// TestFilterBodyLogprobsAndGarbage: log probabilities in a whole answer
// are filtered too, and an answer that is not JSON is withheld.
func TestFilterBodyLogprobsAndGarbage(t *testing.T) {
	b := []byte(`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"4111 1111 1111 1111"},"logprobs":{"content":[{"token":"4111 1111 1111 1111","logprob":0,"bytes":[52]}]},"finish_reason":"stop"}]}`)
	out, err := filterBody(b, cardOutcome())
	if err != nil || strings.Contains(string(out), "4111 1111 1111 1111") {
		t.Errorf("err %v:\n%s", err, out)
	}
	o := cardOutcome()
	if _, err := filterBody([]byte("card 4111 1111 1111 1111"), o); err == nil || o.Blocked != ruleUnfilterable {
		t.Errorf("a non-JSON answer: %v", err)
	}
}

// BenchmarkStreamFirstText: the response filter's work, under the
// hipaa_safe_harbor preset (the name model included), from a stream's
// first event to the first text it releases: the role event, then
// token-sized text events until the 64-byte hold-back lets text out. What
// a redacted stream adds to the time to first byte is this work plus the
// wait for those tokens (docs/performance.md).
func BenchmarkStreamFirstText(b *testing.B) {
	tokens := strings.Fields("Mrs. Alvarez was admitted on March 3 with chest pain; her daughter can be reached at the number on file and the")
	events := [][]byte{[]byte(ev(`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}`) + "\n\n")}
	for _, tok := range tokens {
		events = append(events, []byte(ev(`{"index":0,"delta":{"content":" `+tok+`"},"finish_reason":null}`)+"\n\n"))
	}
	p := content.NewPolicy(content.PolicyOptions{Actions: content.ExpandPII(map[string]content.Action{"hipaa_safe_harbor": content.Redact})})
	var n int
	b.ReportAllocs()
	for b.Loop() {
		f := newFilterStream(io.NopCloser(bytes.NewReader(nil)), &Outcome{Filter: p.NewSession()})
		n = 0
		for _, e := range events {
			n++
			f.scan(e)
			if bytes.Contains(f.out, []byte(`"content":"`)) && !bytes.Contains(f.out, []byte(`"content":""`)) {
				break
			}
			f.out = f.out[:0]
		}
	}
	b.ReportMetric(float64(n), "events")
}
