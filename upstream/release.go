package upstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/wardenhq/warden/internal/httperr"
)

// ErrAuditUnavailable: the exchange's audit record could not be written,
// so its response is withheld.
var ErrAuditUnavailable = errors.New("the audit record could not be written")

// errResponseTooLarge: a non-stream answer larger than Warden holds.
var errResponseTooLarge = errors.New("upstream response exceeds 64 MiB")

// MaxBufferedResponse bounds a non-stream answer, which is held whole until
// its audit record is written (its headers carry the record's index).
const MaxBufferedResponse = 64 << 20

// ResponsePart is one part of a released response with its text hashed
// (SHA-256): the content hash's key is applied by the audit log.
type ResponsePart struct {
	Role string
	Text [sha256.Size]byte
}

// release is the release point of an upstream answer that passed the
// status checks. A non-stream answer is read whole, its content hashed and
// its record committed before a byte is sent; a stream is released as it
// comes, its record committed before its final "data: [DONE]".
func release(res *http.Response, o *Outcome) error {
	if o.Release == nil && o.Filter == nil && o.Restore.Len() == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if res.StatusCode == http.StatusOK && mt == "text/event-stream" {
		if o.Release == nil {
			return nil // filtered as it passes (filterStream); nothing to record
		}
		u, _ := res.Body.(*usageReader)
		if u != nil {
			u.hashText, u.keepText = true, o.Keep
		}
		res.Body = &auditStream{rc: res.Body, o: o, usage: u, buf: make([]byte, 32<<10)}
		o.Streaming = true
		return nil
	}
	if o.Filter != nil && res.StatusCode/100 == 4 {
		return filterClientError(res, o, mt)
	}
	if res.StatusCode == http.StatusOK || o.Filter != nil && res.StatusCode/100 == 2 {
		b, err := io.ReadAll(io.LimitReader(res.Body, MaxBufferedResponse+1))
		res.Body.Close()
		if err != nil {
			return err
		}
		if len(b) > MaxBufferedResponse {
			return errResponseTooLarge
		}
		switch {
		case mt == "application/json":
			if o.Filter != nil {
				if b, err = filterBody(b, o); err != nil {
					return err
				}
			}
			o.Response = responseParts(b)
		case o.Filter != nil:
			// What the policy cannot read is not released (fail closed).
			o.Blocked = ruleUnfilterable
			return &BlockedError{ruleUnfilterable}
		}
		if o.Keep {
			o.Body = b
		}
		if mt == "application/json" {
			b = restoreBody(b, o.Restore)
		}
		setBody(res, b)
	}
	return releaseAnswer(res, o)
}

// setBody replaces res's body with b, whose length is known.
func setBody(res *http.Response, b []byte) {
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
}

// releaseAnswer releases the exchange with res's status and headers, if
// the caller asked for a release: an error means the answer is withheld.
func releaseAnswer(res *http.Response, o *Outcome) error {
	if o.Release == nil {
		return nil
	}
	if _, err := o.Release(res.StatusCode, nil, res.Header); err != nil {
		return errors.Join(ErrAuditUnavailable, err)
	}
	return nil
}

// filterClientError applies the response policy to an upstream's 4xx
// answer, which passes through to the client: its message may quote what
// the upstream was sent or holds (a model's error can echo a document). A
// JSON answer is filtered like a 2xx one (a rule that blocks withholds
// it); one the policy cannot read is withheld as a server error would be
// (502 upstream_error), never relayed unread.
func filterClientError(res *http.Response, o *Outcome, mt string) error {
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxBufferedResponse+1))
	res.Body.Close()
	switch {
	case err != nil:
		return err
	case len(b) > MaxBufferedResponse:
		return errResponseTooLarge
	case mt != "application/json" || !json.Valid(b):
		return errUpstreamStatus
	}
	if b, err = filterBody(b, o); err != nil {
		return err
	}
	setBody(res, restoreBody(b, o.Restore))
	return releaseAnswer(res, o)
}

// responseParts hashes what a JSON answer generated: each choice's text
// (chat message content, or completion text) as an "assistant" part in
// choice order, or an embeddings answer's data as one "embedding" part.
func responseParts(b []byte) []ResponsePart {
	var v struct {
		Object  string          `json:"object"`
		Data    json.RawMessage `json:"data"`
		Choices []struct {
			Index   int     `json:"index"`
			Text    *string `json:"text"`
			Message *struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	if len(v.Choices) == 0 && v.Object == "list" && len(v.Data) > 0 {
		return []ResponsePart{{Role: "embedding", Text: sha256.Sum256(v.Data)}}
	}
	slices.SortStableFunc(v.Choices, func(a, b struct {
		Index   int     `json:"index"`
		Text    *string `json:"text"`
		Message *struct {
			Content json.RawMessage `json:"content"`
		} `json:"message"`
	}) int {
		return a.Index - b.Index
	})
	parts := make([]ResponsePart, 0, len(v.Choices))
	for _, c := range v.Choices {
		var text string
		switch {
		case c.Text != nil:
			text = *c.Text
		case c.Message != nil:
			text = contentText(c.Message.Content)
		}
		parts = append(parts, ResponsePart{Role: "assistant", Text: sha256.Sum256([]byte(text))})
	}
	return parts
}

// choiceHashes hashes a stream's text per choice as it passes.
type choiceHashes map[int]hash.Hash

func (c choiceHashes) write(index int, text string) {
	h := c[index]
	if h == nil {
		h = sha256.New()
		c[index] = h
	}
	h.Write([]byte(text))
}

func (c choiceHashes) parts() []ResponsePart {
	if len(c) == 0 {
		return nil
	}
	idx := make([]int, 0, len(c))
	for i := range c {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	parts := make([]ResponsePart, len(idx))
	for j, i := range idx {
		parts[j].Role = "assistant"
		c[i].Sum(parts[j].Text[:0])
	}
	return parts
}

// auditStream relays a stream, holding back its final "data: [DONE]" (or
// its end) until the exchange's record is committed; then it sends the
// record's index as an SSE comment (": warden-audit-index N") and the
// rest. If the record cannot be written it sends an error event instead
// and ends the stream without [DONE]. At most one unfinished line of up to
// 16 bytes (what could still become the [DONE] line) is ever held.
type auditStream struct {
	rc       io.ReadCloser
	o        *Outcome
	usage    *usageReader
	buf      []byte
	line     []byte // the unfinished line, while it could be [DONE]
	out      []byte // ready for the client
	released bool
	midLine  bool  // part of the current line was passed on already
	dropped  bool  // the record failed: nothing more is sent
	err      error // returned once out is drained
}

func (s *auditStream) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		n, err := s.rc.Read(s.buf)
		s.scan(s.buf[:n])
		if err == io.EOF {
			if len(s.line) > 0 {
				s.emitLine(s.line)
				s.line = s.line[:0]
			}
			s.releaseNow()
		}
		if err != nil {
			s.err = err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// Close ends the stream. A stream cut before its release (the client left,
// the upstream broke off) leaves in the Outcome what it carried so far —
// its usage, and the text relayed, hashed — for the record committed after
// the fact (design §3.4: the response is what was released).
func (s *auditStream) Close() error {
	if !s.released && s.usage != nil {
		s.usage.snapshot()
	}
	return s.rc.Close()
}

func (s *auditStream) scan(b []byte) {
	for len(b) > 0 {
		if s.released && len(s.line) == 0 {
			if !s.dropped {
				s.out = append(s.out, b...)
			}
			return
		}
		i := bytes.IndexAny(b, "\r\n") // SSE ends lines with CRLF, LF or CR
		if s.midLine {
			// The rest of a line already passed on: not a line start.
			if i < 0 {
				s.emit(b)
				return
			}
			s.emit(b[:i+1])
			s.midLine = false
			b = b[i+1:]
			continue
		}
		if i < 0 {
			s.line = append(s.line, b...)
			switch {
			case isDone(s.line):
				// The [DONE] line has begun: release now, then let it
				// through however it goes on.
				s.releaseNow()
				s.emit(s.line)
				s.line, s.midLine = s.line[:0], true
			case !mayBeDone(s.line):
				s.emit(s.line)
				s.line, s.midLine = s.line[:0], true
			}
			return
		}
		line := b[:i+1]
		if len(s.line) > 0 {
			s.line = append(s.line, line...)
			line = s.line
		}
		s.emitLine(line)
		s.line = s.line[:0]
		b = b[i+1:]
	}
}

// emitLine sends a whole line, first releasing the exchange if it is the
// [DONE] line.
func (s *auditStream) emitLine(line []byte) {
	if !s.released && isDone(line) {
		s.releaseNow()
	}
	s.emit(line)
}

// mayBeDone reports whether an unfinished line could still turn out to be
// the [DONE] line (at most 64 bytes of it are held back).
func mayBeDone(p []byte) bool {
	if len(p) > 64 {
		return false
	}
	const field = "data:"
	if len(p) <= len(field) {
		return string(p) == field[:len(p)]
	}
	if string(p[:len(field)]) != field {
		return false
	}
	rest := bytes.TrimLeft(p[len(field):], " ")
	return len(rest) <= len("[DONE]") && string(rest) == "[DONE]"[:len(rest)]
}

// isDone reports whether an SSE line is the final "data: [DONE]", however
// spaced (clients match its data with a prefix test).
func isDone(line []byte) bool {
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	return ok && bytes.HasPrefix(bytes.TrimLeft(data, " "), []byte("[DONE]"))
}

func (s *auditStream) emit(b []byte) {
	if !s.dropped {
		s.out = append(s.out, b...)
	}
}

func (s *auditStream) releaseNow() {
	if s.released {
		return
	}
	s.released = true
	if s.usage != nil {
		s.usage.snapshot()
	}
	index, err := s.o.Release(http.StatusOK, nil, nil)
	if err != nil {
		s.out = append(s.out, "data: "...)
		s.out = append(s.out, httperr.Body(ErrorFor(ErrAuditUnavailable))...)
		s.out = append(s.out, "\n\n"...)
		s.dropped = true
		return
	}
	if index != "" {
		s.out = append(s.out, ": warden-audit-index "...)
		s.out = append(s.out, index...)
		s.out = append(s.out, "\n\n"...)
	}
}

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}
