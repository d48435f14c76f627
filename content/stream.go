package content

import (
	"bytes"
	"unicode/utf8"
)

const (
	// holdBack is how much of a streamed text is held at least before it
	// is released (plus the value-like token it ends in): enough for a value
	// or a deny phrase split across pieces to be seen whole.
	holdBack = 64
	// maxHeld bounds what is held for want of a place to cut (a run of
	// base64, a private key block): beyond it the text is released anyway.
	// It is larger than a PEM key of 8192-bit RSA.
	maxHeld = 16 << 10
	// maxToken bounds the search back for a place to cut.
	maxToken = 512
)

// StreamText filters one text that arrives in pieces: a streamed choice's
// content, or a tool call's arguments. It holds back the end of what has
// arrived, so a value split across pieces ("4111 11" + "11 1111 1111
// 1111") is seen whole, and releases the rest filtered as soon as it can:
// the first text is delayed by a few dozen bytes, never by the whole answer.
// Where the cut goes is decided on the text as detectors see it (stripped
// of invisible characters, NFKC), so full-width digits or a phrase split by
// zero-width spaces are held whole too.
//
// The end of what was released before (up to contextBytes) is kept as
// context: the next text is filtered after it, so the words a value needs
// to be recognised ("SSN is", "password =", "call me at") still count
// when the value arrives in a later piece than they did.
type StreamText struct {
	s       *Session
	pending []byte // stripped of invisible characters, not normalised
	partial []byte // an unfinished UTF-8 sequence at the end of the last piece
	ascii   bool   // pending is all ASCII (its NFKC form is itself)
	context []byte // the end of the text released so far (stripped, not filtered)
	all     []byte // context + pending, rebuilt for each release
	found   []Finding
}

// contextBytes is how much released text is kept as context: more than a
// keyword, its separator and the 48 bytes within which a context word
// counts (contextBefore).
const contextBytes = 64

// Stream starts filtering a streamed text within the session (its
// placeholders are numbered with the session's).
func (s *Session) Stream() *StreamText { return &StreamText{s: s, ascii: true} }

// Push adds piece and returns the text that can be released now, filtered
// (nil if none). Once the session blocks, nothing more is released.
func (t *StreamText) Push(piece []byte) []byte {
	if len(t.partial) > 0 {
		piece = append(t.partial, piece...)
		t.partial = nil
	}
	if k := incomplete(piece); k > 0 {
		t.partial = append([]byte(nil), piece[len(piece)-k:]...)
		piece = piece[:len(piece)-k]
	}
	stripped, n := Strip(piece)
	t.s.CountSanitized(n)
	t.pending = append(t.pending, stripped...)
	if t.ascii {
		t.ascii = isASCII(stripped)
	}
	if len(t.pending) <= holdBack {
		return nil
	}
	return t.release(false)
}

// Flush releases everything held: the text has ended.
func (t *StreamText) Flush() []byte {
	t.pending, t.partial = append(t.pending, t.partial...), nil
	return t.release(true)
}

// incomplete returns the length of an unfinished UTF-8 sequence at the end
// of b (0 if none).
func incomplete(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if utf8.RuneStart(c) {
			if c >= utf8.RuneSelf && !utf8.FullRune(b[len(b)-k:]) {
				return k
			}
			return 0
		}
	}
	return 0
}

// Held reports how many bytes are held back.
func (t *StreamText) Held() int { return len(t.pending) }

func (t *StreamText) release(final bool) []byte {
	if t.s.blocked != "" {
		t.pending = t.pending[:0]
		return nil
	}
	t.all = append(append(t.all[:0], t.context...), t.pending...)
	from := len(t.context)
	view, starts := t.view()
	fromView := toView(starts, from)
	cut := len(view)
	if !final {
		// A value found across the cut is held whole (found once, and only
		// if there is a cut to check: a long token held is not scanned
		// again for every piece).
		found := false
		whole := func(cut int) int {
			if !found && t.s.p.Active() {
				t.found, found = t.s.find(view, t.found[:0]), true
			}
			for _, f := range t.found {
				if f.Start < cut && f.End > cut {
					cut = f.Start
				}
			}
			return cut
		}
		cut = safeCut(view, max(holdBack, t.s.p.longest+8))
		if cut > fromView {
			cut = whole(cut)
		}
		if cut <= fromView && len(view)-fromView > maxHeld {
			// Nowhere to cut: release anyway, still not through a value.
			if cut = whole(len(view) - holdBack); cut <= fromView {
				cut = len(view) - holdBack
			}
		}
	}
	raw := toRaw(starts, cut, len(view), len(t.all))
	if raw <= from {
		return nil
	}
	out := t.s.filterFrom(t.all[:raw], from)
	out = append([]byte(nil), out...) // it may alias all
	c := max(0, raw-contextBytes)
	for c < raw && !utf8.RuneStart(t.all[c]) {
		c++
	}
	t.context = append(t.context[:0], t.all[c:raw]...)
	t.pending = append(t.pending[:0], t.all[raw:]...)
	t.ascii = isASCII(t.pending)
	if t.s.blocked != "" {
		t.pending = t.pending[:0]
		return nil
	}
	return out
}

// view returns context + pending (t.all) as detectors see it (NFKC) and,
// unless it is t.all itself, where each of its segments starts (nfkcView).
func (t *StreamText) view() ([]byte, [][2]int) {
	if t.ascii && isASCII(t.context) {
		return t.all, nil
	}
	return nfkcView(t.all)
}

// toView maps an offset of the raw text to the view: the start of the
// first segment at or past it.
func toView(starts [][2]int, raw int) int {
	if starts == nil {
		return raw
	}
	for _, s := range starts {
		if s[1] >= raw {
			return s[0]
		}
	}
	return starts[len(starts)-1][0]
}

// toRaw maps a cut in the view (of viewLen bytes) to pending (of n): the
// start of the last segment that begins at or before it.
func toRaw(starts [][2]int, cut, viewLen, n int) int {
	switch {
	case starts == nil:
		return cut
	case cut >= viewLen:
		return n
	}
	raw := 0
	for _, s := range starts {
		if s[0] > cut {
			break
		}
		raw = s[1]
	}
	return raw
}

// safeCut is where v may be cut: w bytes from its end, moved back to the
// start of the value-like token there (letters, digits and the punctuation
// of addresses, keys and URLs), and further back over a chain of digit
// groups (card, phone and IBAN groups) and over a private key block that
// has begun but not ended. 0: nowhere.
func safeCut(v []byte, w int) int {
	if len(v) <= w {
		return 0
	}
	cut := len(v) - w
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	stop := max(0, cut-maxToken)
	for cut > stop && tokenBefore(v, cut) {
		_, n := utf8.DecodeLastRune(v[:cut])
		cut -= n
	}
	if tokenBefore(v, cut) {
		return 0 // a token longer than maxToken: hold it
	}
	for cut > 1 && hasDigit(tokenAt(v, cut)) {
		prev := cut - 1 // the separator before this token
		if !isSpaceByte(v[prev]) || isSpaceByte(v[prev-1]) {
			break // two separators: the chain ends
		}
		start := prev
		for start > 0 && tokenBefore(v, start) {
			_, n := utf8.DecodeLastRune(v[:start])
			start -= n
		}
		if !hasDigit(v[start:prev]) {
			break
		}
		cut = start
	}
	if i := bytes.LastIndex(v[:cut], []byte("-----BEGIN ")); i >= 0 && !bytes.Contains(v[i:], []byte("-----END ")) {
		cut = i
	}
	return cut
}

// tokenByte: ASCII bytes that values are made of (letters and digits,
// the punctuation of addresses, keys and URLs).
func tokenByte(c byte) bool {
	return isAlnum(c) || c == '@' || c == '.' || c == '_' || c == '-' || c == '+' || c == ':' || c == '/' || c == '=' || c == '%'
}

// tokenBefore reports whether the character before v[i] belongs to a
// value-like token: a token byte, or a letter or digit of a script that
// separates words with spaces (CJK text can be cut anywhere).
func tokenBefore(v []byte, i int) bool {
	if i <= 0 {
		return false
	}
	if c := v[i-1]; c < utf8.RuneSelf {
		return tokenByte(c)
	}
	r, _ := utf8.DecodeLastRune(v[:i])
	return wordRune(r)
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// tokenAt returns the token of v starting at i.
func tokenAt(v []byte, i int) []byte {
	e := i
	for e < len(v) && tokenByte(v[e]) {
		e++
	}
	return v[i:e] // (digits that matter here are ASCII: the view is NFKC)
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
