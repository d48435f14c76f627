package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

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

// filterBody applies the response policy to a whole JSON answer. An answer
// that is not JSON cannot be filtered, and is withheld.
// newRestoreStream is a stream's restoring stage: the same reading of its
// events as filterStream's, each choice's streamed strings put through a
// content.RestoreText, which holds back only what could still become a
// placeholder. It runs last, after the filter, the usage reader (which
// hashes and keeps the text for the record) and the audit release: the
// client's values exist only in what it reads.
func newRestoreStream(rc io.ReadCloser, ps *content.Pseudonyms) *filterStream {
	f := newFilterStream(rc, &Outcome{Filter: (*content.Policy)(nil).NewSession()})
	f.restore = ps
	return f
}

// restoreBody puts the client's values back into a whole JSON answer (b
// itself if there are none to restore, or it cannot be read): in every
// string a model generated, in every choice; into tool-call arguments
// JSON-escaped, as the JSON text they are.
func restoreBody(b []byte, ps *content.Pseudonyms) []byte {
	if ps.Len() == 0 {
		return b
	}
	out, err := content.RewriteStrings(b, notResponseContent, func(p content.Path, text []byte) []byte {
		return ps.Restore(text, len(p) > 0 && p[len(p)-1] == "arguments")
	})
	if err != nil {
		return b
	}
	return out
}

func filterBody(b []byte, o *Outcome) ([]byte, error) {
	if !json.Valid(b) { // the walker is lenient; clients may be too
		o.Blocked = ruleUnfilterable
		return nil, &BlockedError{ruleUnfilterable}
	}
	skip := func(p content.Path) bool { return notResponseContent(p) || o.Filter.Skip(p) }
	out, err := content.RewriteStrings(b, skip, func(p content.Path, text []byte) []byte {
		if len(p) > 0 && p[len(p)-1] == "arguments" {
			text = content.UnescapeJSON(text)
		}
		return o.Filter.Filter(text)
	})
	if err != nil {
		o.Blocked = ruleUnfilterable
		return nil, &BlockedError{ruleUnfilterable}
	}
	if rule := o.Filter.Blocked(); rule != "" {
		o.Blocked = rule
		return nil, &BlockedError{rule}
	}
	return out, nil
}

// ruleUnfilterable blocks what the response policy cannot read: an answer
// or a stream event that is not JSON (fail closed).
const ruleUnfilterable = "response.unfilterable"

// filterStream filters a stream's events as they pass. It reads the
// stream as SSE clients do: lines end in CRLF, LF or CR; an event is the
// lines up to a blank line; its data lines are joined with newlines. Each
// choice's streamed strings (content, text, reasoning, refusals, tool-call
// arguments, ...) go through a content.StreamText, which holds back the
// last few dozen bytes so a value split across events is seen whole. A
// choice's held text is released with its finishing event (or in an event
// of Warden's own just before it, or before the stream's end). An event
// whose data is not JSON, or a rule that blocks, ends the stream with an
// error event and no [DONE].
type filterStream struct {
	rc    io.ReadCloser
	o     *Outcome
	texts map[string]*streamed
	order []string // keys of texts, first seen first
	buf   []byte
	split lineSplitter
	lines [][]byte // the event's lines so far, with their line ends
	out   []byte
	env   map[string]json.RawMessage // id, object, created, model of the last event
	err   error
	ended bool

	// restore, in a stream's restoring stage (newRestoreStream), puts the
	// client's values back instead of filtering: an event it cannot read
	// passes as it came (it carries placeholders, not values).
	restore *content.Pseudonyms
}

// streamed is one streamed string of a choice and where it sits in an
// event (for the events Warden writes itself).
type streamed struct {
	st     *content.StreamText
	rs     *content.RestoreText // in the restoring stage, instead of st
	args   *content.JSONText    // for a tool call's arguments: JSON text, its escapes read
	choice json.RawMessage      // the choice's "index"
	path   []string             // below the choice; "[k]" for tool call k (its "index")
}

// push filters the next piece of the text.
func (sd *streamed) push(text []byte) []byte {
	if sd.rs != nil {
		return sd.rs.Push(text)
	}
	if sd.args != nil {
		text = sd.args.Unescape(text)
	}
	return sd.st.Push(text)
}

// held reports how much of the text is held back.
func (sd *streamed) held() int {
	if sd.rs != nil {
		return sd.rs.Held()
	}
	n := sd.st.Held()
	if sd.args != nil {
		n += sd.args.Held()
	}
	return n
}

// flush releases the rest of the text.
func (sd *streamed) flush() []byte {
	if sd.rs != nil {
		return sd.rs.Flush()
	}
	var out []byte
	if sd.args != nil {
		out = sd.st.Push(sd.args.Flush())
	}
	return append(out, sd.st.Flush()...)
}

func newFilterStream(rc io.ReadCloser, o *Outcome) *filterStream {
	return &filterStream{rc: rc, o: o, texts: map[string]*streamed{}, buf: make([]byte, 32<<10), split: lineSplitter{max: maxEvent}}
}

func (f *filterStream) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		n, err := f.rc.Read(f.buf)
		f.scan(f.buf[:n], err == io.EOF)
		if err == io.EOF && !f.ended {
			if len(f.lines) > 0 {
				f.event()
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

// maxEvent bounds one event: a stream that never ends a line or an event
// is not held without limit.
const maxEvent = 4 << 20

// scan reads b's lines (final: the stream ended) into events.
func (f *filterStream) scan(b []byte, final bool) {
	f.split.feed(b, final, func(line []byte) {
		if !f.ended {
			f.addLine(line)
		}
	})
	if f.split.over && !f.ended {
		f.fail()
	}
}

// addLine adds a line to the event; a blank line ends it.
func (f *filterStream) addLine(line []byte) {
	if len(bytes.TrimRight(line, "\r\n")) == 0 {
		f.lines = append(f.lines, append([]byte(nil), line...))
		f.event()
		return
	}
	f.lines = append(f.lines, append([]byte(nil), line...))
	size := 0
	for _, l := range f.lines {
		size += len(l)
	}
	if size > maxEvent {
		f.fail()
	}
}

// event handles a whole event (its lines, the blank one last if any).
func (f *filterStream) event() {
	lines := f.lines
	f.lines = nil
	var data [][]byte
	var other []byte
	for _, l := range lines {
		body := bytes.TrimRight(l, "\r\n")
		if v, ok := bytes.CutPrefix(body, []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(v, []byte(" ")))
			continue
		}
		if len(body) > 0 {
			other = append(other, l...)
		}
	}
	end := []byte("\n")
	if n := len(lines); n > 0 {
		if e := lineEnd(lines[n-1]); len(e) > 0 {
			end = e
		}
	}
	if len(data) == 0 {
		for _, l := range lines {
			f.out = append(f.out, l...)
		}
		return
	}
	joined := bytes.Join(data, []byte("\n"))
	trimmed := bytes.TrimSpace(joined)
	switch {
	case bytes.Equal(trimmed, []byte("[DONE]")):
		f.flushAll()
		if !f.ended {
			f.out = append(f.out, other...)
			f.out = append(f.out, "data: [DONE]"...)
			f.out = append(f.out, end...)
			f.out = append(f.out, end...)
		}
		return
	case len(trimmed) == 0:
		for _, l := range lines {
			f.out = append(f.out, l...)
		}
		return
	}
	out, ok := f.filterEvent(trimmed)
	if !ok && f.restore != nil {
		for _, l := range lines {
			f.out = append(f.out, l...)
		}
		return
	}
	if !ok {
		f.fail()
		return
	}
	if f.block() {
		return
	}
	f.out = append(f.out, other...)
	f.out = append(f.out, "data: "...)
	f.out = append(f.out, out...)
	f.out = append(f.out, end...)
	f.out = append(f.out, end...)
}

// filterEvent filters one event's JSON data; false if it is not JSON.
func (f *filterStream) filterEvent(data []byte) ([]byte, bool) {
	var ev struct {
		ID      json.RawMessage `json:"id"`
		Object  json.RawMessage `json:"object"`
		Created json.RawMessage `json:"created"`
		Model   json.RawMessage `json:"model"`
		Choices []struct {
			Index        json.RawMessage `json:"index"`
			FinishReason json.RawMessage `json:"finish_reason"`
			Delta        struct {
				ToolCalls []struct {
					Index json.RawMessage `json:"index"`
				} `json:"tool_calls"`
			} `json:"delta"`
		} `json:"choices"`
	}
	if json.Unmarshal(data, &ev) != nil {
		// Valid JSON of another shape is filtered string by string;
		// anything else cannot be.
		if !json.Valid(data) {
			return nil, false
		}
		ev.Choices = nil
	}
	if len(ev.ID) > 0 || len(ev.Model) > 0 {
		f.env = map[string]json.RawMessage{"id": ev.ID, "object": ev.Object, "created": ev.Created, "model": ev.Model}
	}
	choiceIndex := func(i int) json.RawMessage {
		if idx := ev.Choices[i].Index; len(idx) > 0 {
			return idx
		}
		return json.RawMessage(strconv.Itoa(i))
	}
	finishing := map[string]bool{}
	for i, c := range ev.Choices {
		if len(c.FinishReason) > 0 && string(c.FinishReason) != "null" {
			finishing[string(choiceIndex(i))] = true
		}
	}
	carried := map[string]bool{}
	skip := func(p content.Path) bool { return notResponseContent(p) || f.o.Filter.Skip(p) }
	out, err := content.RewriteStrings(data, skip, func(p content.Path, text []byte) []byte {
		ci := p.Index(1)
		if len(p) < 3 || p[0] != "choices" || ci < 0 || ci >= len(ev.Choices) {
			return f.whole(p, text)
		}
		idx := choiceIndex(ci)
		// Below the choice; a tool call is known by its own "index".
		rel := append([]string(nil), p[2:]...)
		if len(rel) > 2 && rel[0] == "delta" && rel[1] == "tool_calls" {
			if ti := p.Index(4); ti >= 0 && ti < len(ev.Choices[ci].Delta.ToolCalls) && len(ev.Choices[ci].Delta.ToolCalls[ti].Index) > 0 {
				rel[2] = "[" + string(ev.Choices[ci].Delta.ToolCalls[ti].Index) + "]"
			}
		}
		key := string(idx) + "|" + strings.Join(rel, ".")
		sd := f.texts[key]
		if sd == nil {
			args := rel[len(rel)-1] == "arguments"
			sd = &streamed{choice: idx, path: rel}
			switch {
			case f.restore != nil:
				sd.rs = f.restore.Stream(args)
			default:
				sd.st = f.o.Filter.Stream()
				if args {
					sd.args = &content.JSONText{}
				}
			}
			f.texts[key] = sd
			f.order = append(f.order, key)
		}
		carried[key] = true
		released := sd.push(text)
		if finishing[string(idx)] {
			released = append(released, sd.flush()...)
		}
		if released == nil {
			released = []byte{}
		}
		return released
	})
	if err != nil {
		return nil, false
	}
	// Text still held for a finishing choice goes out just before its
	// finishing event.
	for _, k := range f.order {
		sd := f.texts[k]
		if finishing[string(sd.choice)] && !carried[k] && sd.held() > 0 {
			f.emit(sd, sd.flush())
		}
	}
	return out, true
}

// whole filters (or, in the restoring stage, restores) a whole string of
// an event outside its choices' streamed texts.
func (f *filterStream) whole(p content.Path, text []byte) []byte {
	if f.restore != nil {
		return f.restore.Restore(text, len(p) > 0 && p[len(p)-1] == "arguments")
	}
	return f.o.Filter.Filter(text)
}

// flushAll releases every held text before the stream ends.
func (f *filterStream) flushAll() {
	for _, k := range f.order {
		if sd := f.texts[k]; sd.held() > 0 {
			f.emit(sd, sd.flush())
		}
	}
	f.block()
}

// emit writes an event of Warden's own carrying text for sd, in the shape
// of the stream's own events: {..., "choices": [{"index": i, <path>: text,
// "finish_reason": null}]}, a tool call as {"index": k, ...} in an array.
func (f *filterStream) emit(sd *streamed, text []byte) {
	if len(text) == 0 || f.o.Filter.Blocked() != "" {
		return
	}
	t, _ := json.Marshal(string(text))
	var v []byte = t
	for i := len(sd.path) - 1; i >= 0; i-- {
		e := sd.path[i]
		if strings.HasPrefix(e, "[") { // a tool call (or another array element)
			continue
		}
		k, _ := json.Marshal(e)
		obj := []byte("{")
		if i+1 < len(sd.path) && strings.HasPrefix(sd.path[i+1], "[") {
			idx := strings.Trim(sd.path[i+1], "[]")
			v = append(append([]byte(`{"index":`+idx+`,`), v[1:]...), nil...)
			obj = append(obj, k...)
			obj = append(obj, ":["...)
			obj = append(obj, v...)
			obj = append(obj, "]}"...)
		} else {
			obj = append(obj, k...)
			obj = append(obj, ':')
			obj = append(obj, v...)
			obj = append(obj, '}')
		}
		v = obj
	}
	choice := append([]byte(`{"index":`), sd.choice...)
	choice = append(choice, ',')
	choice = append(choice, v[1:len(v)-1]...)
	choice = append(choice, `,"finish_reason":null}`...)
	ev := []byte("{")
	for _, name := range []string{"id", "object", "created", "model"} {
		if raw := f.env[name]; len(raw) > 0 {
			ev = append(ev, `"`+name+`":`...)
			ev = append(ev, raw...)
			ev = append(ev, ',')
		}
	}
	ev = append(ev, `"choices":[`...)
	ev = append(ev, choice...)
	ev = append(ev, "]}"...)
	f.out = append(f.out, "data: "...)
	f.out = append(f.out, ev...)
	f.out = append(f.out, "\n\n"...)
}

// fail ends the stream: what cannot be read cannot be filtered.
func (f *filterStream) fail() {
	if !f.ended {
		f.o.Filter.Block(ruleUnfilterable)
		f.block()
	}
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
		f.lines = nil
	}
	return true
}

func lineEnd(line []byte) []byte {
	switch {
	case bytes.HasSuffix(line, []byte("\r\n")):
		return []byte("\r\n")
	case bytes.HasSuffix(line, []byte("\r")):
		return []byte("\r")
	case bytes.HasSuffix(line, []byte("\n")):
		return []byte("\n")
	}
	return nil
}
