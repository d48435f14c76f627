package pipeline

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden/content"
)

// wordAnalyzer finds each occurrence of word as a person.
type wordAnalyzer struct{ word string }

func (wordAnalyzer) Name() string   { return "words" }
func (wordAnalyzer) FailOpen() bool { return false }
func (a wordAnalyzer) Analyze(_ context.Context, texts [][]byte, _ []content.Entity) ([][]content.Span, error) {
	out := make([][]content.Span, len(texts))
	for i, t := range texts {
		for off := 0; ; {
			k := bytes.Index(t[off:], []byte(a.word))
			if k < 0 {
				break
			}
			out[i] = append(out[i], content.Span{Start: off + k, End: off + k + len(a.word), Entity: content.Person})
			off += k + len(a.word)
		}
	}
	return out, nil
}

// TestAnalyzerSpansFollowTheirText: the texts collected for an analyzer
// are the ones the request filter filters, in its order (messages, parts,
// tool-call arguments with their escapes read, tool descriptions), so
// each text's spans land in that text, after multi-byte characters and
// full-width forms too.
func TestAnalyzerSpansFollowTheirText(t *testing.T) {
	p := content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{content.Person: content.Redact}, Analyzers: []content.Analyzer{wordAnalyzer{"zorblat"}}})
	body := []byte(`{"model":"m","messages":[{"role":"system","content":"ünïcödé zorblat"},` +
		`{"role":"user","content":[{"type":"text","text":"ｆｕｌｌ zorblat"},{"type":"text","text":"none here"}]},` +
		`{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"zorblat_fn","arguments":"{\"who\":\"\\u007aorblat\"}"}}]}],` +
		`"tools":[{"type":"function","function":{"name":"f","description":"calls zorblat"}}]}`)
	x := &Exchange{Body: body}
	spans, err := analyze(context.Background(), p, x)
	if err != nil {
		t.Fatal(err)
	}
	out, s, err := filterRequest(p, body, spans)
	if err != nil || s.Blocked() != "" {
		t.Fatalf("%v %s", err, s.Blocked())
	}
	got := string(out)
	if n := strings.Count(got, "[PERSON_1]"); n != 4 || strings.Count(got, "zorblat") != 1 || !strings.Contains(got, `"name":"zorblat_fn"`) {
		t.Fatalf("filtered into %s", got)
	}
}
