package protocol

import "bytes"

// Event is one server-sent event: its event name (if any), its data (the
// data lines joined by "\n"), or, for a comment line, the comment.
type Event struct {
	Name    string
	Data    []byte
	Comment []byte // a ":" line, without the colon; Data is nil then
}

// SSEReader splits a stream of server-sent events into events as the
// WHATWG rules read them: lines end in CRLF, LF or CR; a leading BOM is
// ignored; an empty line ends an event; "data:" lines accumulate; one
// space after a field's colon is dropped; unknown fields are ignored.
// Feed it with Write and take the events with Next.
type SSEReader struct {
	buf     []byte
	started bool
	name    []byte
	data    []byte
	hasData bool
	events  []Event
	cr      bool // the last byte fed was a CR (a following LF belongs to it)
}

// maxLine bounds a line held while it is incomplete.
const maxLine = 8 << 20

// Write feeds p.
func (r *SSEReader) Write(p []byte) (int, error) {
	n := len(p)
	if !r.started {
		r.buf = append(r.buf, p...)
		if len(r.buf) < 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), r.buf) {
			return n, nil
		}
		r.started = true
		p = bytes.TrimPrefix(r.buf, []byte("\xef\xbb\xbf"))
		r.buf = nil
	}
	if r.cr && len(p) > 0 && p[0] == '\n' {
		p = p[1:]
	}
	r.cr = false
	r.buf = append(r.buf, p...)
	for {
		i := bytes.IndexAny(r.buf, "\r\n")
		if i < 0 {
			if len(r.buf) > maxLine {
				r.buf = r.buf[:0] // a line too long for anyone: dropped
			}
			return n, nil
		}
		line := r.buf[:i]
		next := i + 1
		if r.buf[i] == '\r' {
			if next == len(r.buf) {
				r.cr = true
			} else if r.buf[next] == '\n' {
				next++
			}
		}
		r.line(line)
		r.buf = r.buf[next:]
	}
}

func (r *SSEReader) line(line []byte) {
	if len(line) == 0 {
		if r.hasData || len(r.name) > 0 {
			r.events = append(r.events, Event{Name: string(r.name), Data: bytes.Clone(r.data)})
		}
		r.name, r.data, r.hasData = r.name[:0], r.data[:0], false
		return
	}
	if line[0] == ':' {
		r.events = append(r.events, Event{Comment: bytes.Clone(line[1:])})
		return
	}
	field, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(field) {
	case "data":
		if r.hasData {
			r.data = append(r.data, '\n')
		}
		r.data, r.hasData = append(r.data, value...), true
	case "event":
		r.name = append(r.name[:0], value...)
	}
}

// Next returns the events completed so far and forgets them.
func (r *SSEReader) Next() []Event {
	ev := r.events
	r.events = nil
	return ev
}

// appendEvent writes an event with a name (Anthropic's and OpenAI
// Responses' streams name every event) and one data line.
func appendEvent(b []byte, name string, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// translateStream feeds a Chat Completions stream's bytes to r and
// returns what its events become: each chunk's data through chunk, the
// final [DONE] through end, comments as they are.
func translateStream(r *SSEReader, p []byte, chunk func(out, data []byte) []byte, end func(out []byte) []byte) []byte {
	r.Write(p)
	var out []byte
	for _, ev := range r.Next() {
		switch {
		case ev.Data == nil:
			out = append(append(append(out, ':'), ev.Comment...), '\n', '\n')
		case string(ev.Data) == "[DONE]":
			out = end(out)
		default:
			out = chunk(out, ev.Data)
		}
	}
	return out
}
