package upstream

import "bytes"

// bom is the UTF-8 byte order mark, which an SSE stream may begin with.
var bom = []byte("\xef\xbb\xbf")

// lineSplitter cuts a server-sent event stream into lines as SSE clients
// read it: a line ends with CRLF, LF or CR (a CR at the end of one read
// waits for the next, to see whether an LF belongs to it), and its end is
// kept, so what is passed on keeps its bytes. A byte order mark at the
// very start is dropped. The filter and the usage reader read streams
// through it; the release stream, which passes a line's start before its
// end, scans for the same ends itself.
type lineSplitter struct {
	line    []byte // the line so far, while it is incomplete
	cr      bool   // the last read ended in CR
	head    []byte // the stream's first bytes, until they are not a BOM's start
	started bool
	max     int  // the longest line held (0: no bound)
	over    bool // a line exceeded max (what was held is dropped)
}

// feed cuts b into whole lines, passed to emit; final says the stream
// ended, so a last line without an end is emitted too.
func (s *lineSplitter) feed(b []byte, final bool, emit func(line []byte)) {
	if !s.started {
		s.head = append(s.head, b...)
		if len(s.head) < len(bom) && bytes.HasPrefix(bom, s.head) && !final {
			return
		}
		s.started = true
		b = bytes.TrimPrefix(s.head, bom)
		s.head = nil
	}
	for len(b) > 0 {
		if s.cr {
			s.cr = false
			if b[0] == '\n' {
				s.line = append(s.line, '\n')
				b = b[1:]
			}
			emit(s.line)
			s.line = s.line[:0]
			continue
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			s.hold(b)
			break
		}
		end := i + 1
		if b[i] == '\r' {
			if end == len(b) {
				s.hold(b)
				s.cr = true
				break
			}
			if b[end] == '\n' {
				end++
			}
		}
		line := b[:end]
		if len(s.line) > 0 {
			s.line = append(s.line, line...)
			line = s.line
		}
		emit(line)
		s.line = s.line[:0]
		b = b[end:]
	}
	if final {
		s.cr = false
		if len(s.line) > 0 {
			emit(s.line)
			s.line = s.line[:0]
		}
	}
}

// hold keeps b as the start of the line, within max.
func (s *lineSplitter) hold(b []byte) {
	if s.max > 0 && len(s.line)+len(b) > s.max {
		s.over = true
		s.line = s.line[:0]
		return
	}
	s.line = append(s.line, b...)
}
