package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
)

// What Warden tells the client about its audit record — the
// X-Warden-Audit-Id and X-Warden-Audit-Index headers, and a stream's
// ": warden-audit-index N" comment — must be Warden's alone: an upstream
// that sent its own could point the client at another record. So nothing
// Warden-like passes from an upstream: X-Warden-* headers and trailers are
// removed (scrubWardenHeaders), informational (1xx) responses are not
// relayed at all (noInformational), and every line of a response body that
// an SSE client could read as a comment naming Warden is emptied
// (commentScrubber).

// wardenPrefix starts every header Warden owns.
const wardenPrefix = "x-warden-"

// scrubWardenHeaders removes every X-Warden-* field from h, whatever its
// case (a header map read from the wire holds canonical keys, but one
// built by hand need not), and with '_' for '-' (X_Warden_Audit_Id), which
// CGI-style gateways and frameworks read as the same name.
func scrubWardenHeaders(h http.Header) {
	for k := range h {
		if isWardenHeader(k) {
			delete(h, k)
		}
	}
}

func isWardenHeader(name string) bool {
	if len(name) < len(wardenPrefix) {
		return false
	}
	for i := range len(wardenPrefix) {
		c := name[i] | 0x20 // ASCII lower case ('-' and '_' stay apart from letters)
		if name[i] == '_' {
			c = '-'
		}
		if c != wardenPrefix[i] {
			return false
		}
	}
	return true
}

// trailerScrubber scrubs res's trailers as its headers are
// (scrubResponseHeaders: X-Warden-*, X-Request-Id, Set-Cookie, rate-limit
// headers, ...) once its body is closed: the proxy reads res.Trailer only
// then, and the transport fills it in only at the body's end, announced or
// not.
type trailerScrubber struct {
	io.ReadCloser
	res *http.Response
}

func (t *trailerScrubber) Close() error {
	err := t.ReadCloser.Close()
	scrubResponseHeaders(t.res.Trailer)
	return err
}

// noInformational is a RoundTripper that does not let the proxy see, and
// so relay, an upstream's informational (1xx) responses: their headers
// reach the client before anything Warden writes, and the proxy clears the
// response's headers (X-Request-Id, X-Warden-Audit-Id) after relaying one.
// The transport skips 1xx responses nobody traces.
type noInformational struct{ rt http.RoundTripper }

func (t noInformational) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.rt.RoundTrip(r.WithContext(untraced{r.Context()}))
}

// untraced is a context without the httptrace.ClientTrace of its parent.
type untraced struct{ context.Context }

func (c untraced) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(*httptrace.ClientTrace); ok {
		return nil
	}
	return v
}

// maxCommentLine bounds a comment line held to be read whole; a longer one
// is emptied (a comment carries nothing a client needs).
const maxCommentLine = 4 << 10

// commentScrubber relays a response body, replacing each line an SSE
// client could read as a comment about Warden — a line whose first byte,
// after any byte order marks, spaces and tabs, is ':' and that contains
// "warden" in any case — by an empty comment (":"), its line end kept, so
// the stream's lines and events stay as they were. Lines end with CRLF, LF
// or CR, as SSE clients read them. Other lines pass at once as they come;
// only a comment line, or a line's lead (spaces, tabs, byte order marks)
// until what follows it is known, is held (at most maxCommentLine bytes,
// else the line is emptied whatever it says).
type commentScrubber struct {
	rc    io.ReadCloser
	buf   []byte
	out   []byte // ready for the client
	spare []byte // out's whole buffer, reused once out is drained

	line  []byte // the start of the current line, while it is held
	state int
	err   error // returned once out is drained
}

// Line states.
const (
	lineStart   = iota // nothing of the line decided yet (line holds its lead)
	linePass           // not a comment: passes as it comes
	lineComment        // a comment: held whole
	lineLong           // a comment too long to hold: emptied
)

// newCommentScrubber reads rc through a 32 KiB buffer from copyBuffers,
// which Close gives back.
func newCommentScrubber(rc io.ReadCloser) *commentScrubber {
	return &commentScrubber{rc: rc, buf: copyBuffers.Get()}
}

func (s *commentScrubber) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.buf == nil {
			return 0, errReadAfterClose
		}
		s.out = s.spare[:0]
		n, err := s.rc.Read(s.buf)
		s.scan(s.buf[:n])
		if err != nil {
			s.endLine(nil)
			s.err = err
		}
		s.spare = s.out
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

func (s *commentScrubber) Close() error {
	if s.buf != nil {
		copyBuffers.Put(s.buf)
		s.buf = nil
	}
	return s.rc.Close()
}

var errReadAfterClose = errors.New("read after close")

func (s *commentScrubber) scan(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			s.add(b)
			return
		}
		s.add(b[:i])
		s.endLine(b[i : i+1])
		b = b[i+1:]
	}
}

// add takes more of the current line (no line end in it).
func (s *commentScrubber) add(b []byte) {
	switch s.state {
	case linePass:
		s.out = append(s.out, b...)
		return
	case lineLong:
		return
	case lineStart:
		s.line = append(s.line, b...)
		rest := skipLead(s.line)
		switch {
		case (len(rest) == 0 || isBOMPrefix(rest)) && len(s.line) <= maxCommentLine:
			return // undecided
		case len(rest) == 0 || isBOMPrefix(rest):
			// Only lead, and too much of it to hold: emptied like a
			// comment too long to hold (such a line carries no field).
			s.state, s.line = lineLong, s.line[:0]
			return
		case rest[0] == ':':
			s.state = lineComment
		default:
			s.state = linePass
			s.out = append(s.out, s.line...)
			s.line = s.line[:0]
			return
		}
		b = nil // already held
	}
	s.line = append(s.line, b...)
	if len(s.line) > maxCommentLine {
		s.state, s.line = lineLong, s.line[:0]
	}
}

// endLine ends the current line with end (nil at the end of the body).
func (s *commentScrubber) endLine(end []byte) {
	if s.state == lineLong || s.state == lineComment && containsWarden(s.line) {
		s.out = append(s.out, ':')
	} else {
		s.out = append(s.out, s.line...)
	}
	s.out = append(s.out, end...)
	s.line, s.state = s.line[:0], lineStart
}

// skipLead skips what an SSE client (or a lenient one) skips before a
// line's field or comment: byte order marks, spaces and tabs.
func skipLead(b []byte) []byte {
	for len(b) > 0 {
		switch {
		case b[0] == ' ' || b[0] == '\t':
			b = b[1:]
		case bytes.HasPrefix(b, bom):
			b = b[len(bom):]
		default:
			return b
		}
	}
	return b
}

// isBOMPrefix reports whether b is the start of a byte order mark cut short.
func isBOMPrefix(b []byte) bool { return len(b) < len(bom) && bytes.HasPrefix(bom, b) }

// containsWarden reports whether b contains "warden" in any case (no other
// Unicode letter folds to one of its letters).
func containsWarden(b []byte) bool {
	const w = "warden"
	for i := 0; i+len(w) <= len(b); i++ {
		if b[i]|0x20 == 'w' && bytes.EqualFold(b[i:i+len(w)], []byte(w)) {
			return true
		}
	}
	return false
}
