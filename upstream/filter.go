package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
)

// BlockedError: a content rule blocked the response (or the rest of a
// stream). The message names the rule, never the content.
type BlockedError struct{ Rule string }

func (e *BlockedError) Error() string { return content.BlockedMessage(e.Rule) }

func blockedError(rule string) *httperr.Error {
	return httperr.New(http.StatusForbidden, "content_blocked", content.BlockedMessage(rule))
}

// responseNotContent are the response fields that are not generated text:
// ids, names, finish reasons, log probabilities, usage, embeddings.
var responseNotContent = []content.Path{
	{"id"}, {"object"}, {"model"}, {"system_fingerprint"}, {"service_tier"}, {"usage"}, {"data"},
	{"choices", "[]", "finish_reason"},
	{"choices", "[]", "logprobs"},
	{"choices", "[]", "message", "role"},
	{"choices", "[]", "message", "tool_calls", "[]", "id"},
	{"choices", "[]", "message", "tool_calls", "[]", "type"},
	{"choices", "[]", "message", "tool_calls", "[]", "function", "name"},
	{"choices", "[]", "message", "function_call", "name"},
	{"choices", "[]", "delta", "role"},
	{"choices", "[]", "delta", "tool_calls", "[]", "id"},
	{"choices", "[]", "delta", "tool_calls", "[]", "type"},
	{"choices", "[]", "delta", "tool_calls", "[]", "function", "name"},
	{"choices", "[]", "delta", "function_call", "name"},
}

func notResponseContent(p content.Path) bool {
	for _, pat := range responseNotContent {
		if p.Match(pat) {
			return true
		}
	}
	return false
}

// filterBody applies the response policy to a whole JSON answer.
func filterBody(b []byte, o *Outcome) ([]byte, error) {
	skip := func(p content.Path) bool { return notResponseContent(p) || o.Filter.Skip(p) }
	out, err := content.RewriteStrings(b, skip, func(_ content.Path, text []byte) []byte {
		return o.Filter.Filter(text)
	})
	if err != nil {
		return b, nil // not JSON after all: nothing Warden can filter
	}
	if rule := o.Filter.Blocked(); rule != "" {
		o.Blocked = rule
		return nil, &BlockedError{rule}
	}
	return out, nil
}

// filterStream filters a stream's events as they pass: each choice's
// content (and text, for completions) and each tool call's arguments go
// through a content.StreamText, which holds back the last few dozen bytes
// so a value split across events is seen whole. A choice's held text is
// released with its finishing event (or in an event of its own just
// before it, or before the stream's end). When a rule blocks, the stream
// ends with an error event and no [DONE].
type filterStream struct {
	rc    io.ReadCloser
	o     *Outcome
	texts map[streamKey]*content.StreamText
	buf   []byte
	line  []byte // an unfinished line
	out   []byte
	env   envelope // of the last event, for events Warden writes
	err   error
	ended bool
}

type streamKey struct{ choice, tool int } // tool -1: the choice's content

type envelope struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
}

func newFilterStream(rc io.ReadCloser, o *Outcome) *filterStream {
	return &filterStream{rc: rc, o: o, texts: map[streamKey]*content.StreamText{}, buf: make([]byte, 32<<10)}
}

func (f *filterStream) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		n, err := f.rc.Read(f.buf)
		f.scan(f.buf[:n])
		if err == io.EOF && !f.ended {
			if len(f.line) > 0 {
				f.event(f.line)
				f.line = nil
			}
			f.flushAll()
		}
		if err != nil {
			f.err = err
		}
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

func (f *filterStream) Close() error { return f.rc.Close() }

func (f *filterStream) scan(b []byte) {
	for len(b) > 0 && !f.ended {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			f.line = append(f.line, b...)
			return
		}
		line := b[:i+1]
		if len(f.line) > 0 {
			f.line = append(f.line, line...)
			line = f.line
		}
		f.event(line)
		f.line = f.line[:0]
		b = b[i+1:]
	}
}

// event handles one line of the stream (with its line ending).
func (f *filterStream) event(line []byte) {
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		f.out = append(f.out, line...)
		return
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[DONE]")) {
		f.flushAll()
		if !f.ended {
			f.out = append(f.out, line...)
		}
		return
	}
	var ev struct {
		envelope
		Choices []struct {
			Index        int             `json:"index"`
			FinishReason json.RawMessage `json:"finish_reason"`
			Delta        struct {
				ToolCalls []struct {
					Index int `json:"index"`
				} `json:"tool_calls"`
			} `json:"delta"`
		} `json:"choices"`
	}
	if json.Unmarshal(trimmed, &ev) != nil {
		f.out = append(f.out, line...) // not an event Warden knows: as it is
		return
	}
	if ev.ID != "" || ev.Model != "" {
		f.env = ev.envelope
	}
	finishing := map[int]bool{}
	for _, c := range ev.Choices {
		if len(c.FinishReason) > 0 && string(c.FinishReason) != "null" {
			finishing[c.Index] = true
		}
	}
	carried := map[streamKey]bool{}
	skip := func(p content.Path) bool { return notResponseContent(p) || f.o.Filter.Skip(p) }
	out, err := content.RewriteStrings(trimmed, skip, func(p content.Path, text []byte) []byte {
		ci := p.Index(1)
		if len(p) < 3 || p[0] != "choices" || ci < 0 || ci >= len(ev.Choices) {
			return f.o.Filter.Filter(text)
		}
		c := ev.Choices[ci]
		k, ok := streamKey{c.Index, -1}, false
		switch {
		case len(p) == 4 && p[2] == "delta" && p[3] == "content", len(p) == 3 && p[2] == "text":
			ok = true
		case len(p) == 7 && p[2] == "delta" && p[3] == "tool_calls" && p[5] == "function" && p[6] == "arguments":
			if ti := p.Index(4); ti >= 0 && ti < len(c.Delta.ToolCalls) {
				k.tool, ok = c.Delta.ToolCalls[ti].Index, true
			}
		}
		if !ok {
			return f.o.Filter.Filter(text)
		}
		st := f.texts[k]
		if st == nil {
			st = f.o.Filter.Stream()
			f.texts[k] = st
		}
		carried[k] = true
		rel := st.Push(text)
		if finishing[k.choice] {
			rel = append(rel, st.Flush()...)
		}
		if rel == nil {
			rel = []byte{}
		}
		return rel
	})
	if err != nil {
		f.out = append(f.out, line...)
		return
	}
	// Text still held for a finishing choice goes out just before its
	// finishing event.
	for k, st := range f.texts {
		if finishing[k.choice] && !carried[k] && st.Held() > 0 {
			f.emit(k, st.Flush())
		}
	}
	if f.block() {
		return
	}
	f.out = append(f.out, "data: "...)
	f.out = append(f.out, out...)
	f.out = append(f.out, lineEnd(line)...)
}

// flushAll releases every held text before the stream ends.
func (f *filterStream) flushAll() {
	for k, st := range f.texts {
		if st.Held() > 0 {
			f.emit(k, st.Flush())
		}
	}
	f.block()
}

// emit writes an event of Warden's own carrying text for k, in the shape
// of the stream's own events.
func (f *filterStream) emit(k streamKey, text []byte) {
	if len(text) == 0 || f.o.Filter.Blocked() != "" {
		return
	}
	type fn struct {
		Arguments string `json:"arguments"`
	}
	type call struct {
		Index    int `json:"index"`
		Function fn  `json:"function"`
	}
	type delta struct {
		Content   *string `json:"content,omitempty"`
		ToolCalls []call  `json:"tool_calls,omitempty"`
	}
	type choice struct {
		Index        int     `json:"index"`
		Delta        *delta  `json:"delta,omitempty"`
		Text         *string `json:"text,omitempty"`
		FinishReason *string `json:"finish_reason"`
	}
	c := choice{Index: k.choice}
	s := string(text)
	switch {
	case k.tool >= 0:
		c.Delta = &delta{ToolCalls: []call{{Index: k.tool, Function: fn{Arguments: s}}}}
	case f.env.Object == "text_completion":
		c.Text = &s
	default:
		c.Delta = &delta{Content: &s}
	}
	b, _ := json.Marshal(struct {
		envelope
		Choices []choice `json:"choices"`
	}{f.env, []choice{c}})
	f.out = append(f.out, "data: "...)
	f.out = append(f.out, b...)
	f.out = append(f.out, "\n\n"...)
}

// block ends the stream if a rule blocked: an error event, then the end
// (no [DONE]).
func (f *filterStream) block() bool {
	rule := f.o.Filter.Blocked()
	if rule == "" {
		return false
	}
	if !f.ended {
		f.ended, f.o.Blocked = true, rule
		f.out = append(f.out, "data: "...)
		f.out = append(f.out, httperr.Body(blockedError(rule))...)
		f.out = append(f.out, "\n\n"...)
		f.err = io.EOF
	}
	return true
}

func lineEnd(line []byte) []byte {
	if bytes.HasSuffix(line, []byte("\r\n")) {
		return []byte("\r\n")
	}
	return []byte("\n")
}
