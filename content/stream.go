package content

import (
	"bytes"
	"unicode/utf8"
)

// holdBack is how much of a streamed text is held at least before it is
// released (plus the token or chain of digit groups it ends in): enough
// for a value or a deny phrase split across pieces to be seen whole.
const holdBack = 64

// StreamText filters one text that arrives in pieces: a streamed choice's
// content, or a tool call's arguments. It holds back the end of what has
// arrived, so a value split across pieces ("4111 11" + "11 1111 1111
// 1111") is seen whole, and releases the rest filtered as soon as it can:
// the first text is delayed by a few dozen bytes, never by the whole answer.
type StreamText struct {
	s       *Session
	pending []byte
	found   []Finding
}

// Stream starts filtering a streamed text within the session (its
// placeholders are numbered with the session's).
func (s *Session) Stream() *StreamText { return &StreamText{s: s} }

// Push adds piece and returns the text that can be released now, filtered
// (nil if none). Once the session blocks, nothing more is released.
func (t *StreamText) Push(piece []byte) []byte {
	t.pending = append(t.pending, piece...)
	return t.release(t.safeCut())
}

// Flush releases everything held: the text has ended.
func (t *StreamText) Flush() []byte { return t.release(len(t.pending)) }

// Held reports how many bytes are held back.
func (t *StreamText) Held() int { return len(t.pending) }

func (t *StreamText) release(cut int) []byte {
	if t.s.blocked != "" {
		t.pending = t.pending[:0]
		return nil
	}
	if cut < len(t.pending) && t.s.p.Active() {
		// A value found across the cut is held whole.
		t.found = t.s.find(t.pending, t.found[:0])
		for _, f := range t.found {
			if f.Start < cut && f.End > cut {
				cut = f.Start
			}
		}
	}
	for cut > 0 && cut < len(t.pending) && !utf8.RuneStart(t.pending[cut]) {
		cut--
	}
	if cut <= 0 {
		return nil
	}
	out := t.s.Filter(t.pending[:cut])
	out = append([]byte(nil), out...) // it may alias pending
	t.pending = append(t.pending[:0], t.pending[cut:]...)
	if t.s.blocked != "" {
		t.pending = t.pending[:0]
		return nil
	}
	return out
}

// safeCut is where pending may be cut: holdBack bytes from its end, moved
// back to the start of the word there, and further back over a chain of
// digit groups (card, phone and IBAN groups) and over a private key block
// that has begun but not ended.
func (t *StreamText) safeCut() int {
	w := max(holdBack, t.s.p.longest+8)
	p := t.pending
	if len(p) <= w {
		return 0
	}
	cut := len(p) - w
	for cut > 0 && !isSpaceByte(p[cut-1]) {
		cut--
	}
	for cut > 1 && hasDigit(wordAt(p, cut)) {
		prev := cut - 1 // the separator before this token
		if !isSpaceByte(p[prev]) || isSpaceByte(p[prev-1]) {
			break // two separators: the chain ends
		}
		start := prev
		for start > 0 && !isSpaceByte(p[start-1]) {
			start--
		}
		if !hasDigit(p[start:prev]) {
			break
		}
		cut = start
	}
	if i := bytes.LastIndex(p[:cut], []byte("-----BEGIN ")); i >= 0 && !bytes.Contains(p[i:], []byte("-----END ")) {
		cut = i
	}
	return cut
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// wordAt returns the word of p starting at i.
func wordAt(p []byte, i int) []byte {
	e := i
	for e < len(p) && !isSpaceByte(p[e]) {
		e++
	}
	return p[i:e]
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}
