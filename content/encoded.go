package content

import (
	"encoding/base64"
	"html"
	"unicode/utf8"
)

// Encoded values. A value the policy blocks can be hidden from the
// detectors by writing it another way: base64 ("NDExMSAxMTEx..."),
// percent-encoding ("%34%31%31%31"), HTML character references
// ("&#52;&#49;", "&amp;#52;"), or split by spaces or dots ("4 1 1 1 ...",
// "1.2.3-45-6789", "j a n e @ e x a m p l e . c o m"). The policy finds,
// in one pass over the text, the bounded candidates for such a value —
// a base64 run of plausible length, the stretch around a run of %xx
// escapes or character references, a digit run split by single
// separators, a run of single characters between spaces — decodes each
// one alone (never the whole text again), and looks in what it decodes
// for the entities whose action is block (only those: a value that was
// hidden is refused, not rewritten). Decoded text is decoded again, up to
// maxDecodeDepth times ("%2534" is "%34" is "4").

const (
	minBase64        = 16       // 12 bytes: the shortest value worth hiding this way, an SSN's 11, padded
	maxCandidate     = 64 << 10 // longer candidates are read up to here
	escapeGap        = 24       // escapes this close together are one candidate
	escapeMargin     = 24       // the text either side of a run of escapes, read with it
	minSpacedChars   = 8        // "j a n e @ x . y" has more
	minSplitDigits   = 9        // an SSN
	maxDecodeDepth   = 3        // decoded text is decoded again this often
	base64Probe      = 24       // base64 characters decoded first, to reject binary cheaply
	base64URLMarkers = "-_"     // the URL-safe alphabet's own characters
)

// base64Class classes bytes for the scan: b64Char for the base64
// characters (both alphabets, without padding), with b64Upper or
// b64Lower for letters.
var base64Class = func() (t [256]uint8) {
	for _, c := range []byte("0123456789+/-_") {
		t[c] = b64Char
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = b64Char | b64Upper
		t[c+'a'-'A'] = b64Char | b64Lower
	}
	return t
}()

const (
	b64Char uint8 = 1 << iota
	b64Upper
	b64Lower
)

// findEncoded appends to dst one finding, spanning the candidate, if a
// candidate in text decodes to a value of an entity the policy blocks
// (d finds only those). The finding's entity is the value's; its span is
// the candidate's in text.
func findEncoded(d *Detector, text []byte, dst []Finding) []Finding {
	if e, s, end, ok := encodedIn(d, text, maxDecodeDepth); ok {
		dst = append(dst, pii(s, end, e))
	}
	return dst
}

// encodedIn looks for the first candidate in text that decodes to a value
// d finds, decoding up to depth times; it returns the value's entity and
// the candidate's span. The pass jumps over whole runs of base64
// characters (most words): candidates are judged at a run's ends, at '%'
// and '&', and at the start of a digit group or a one-character word.
func encodedIn(d *Detector, text []byte, depth int) (Entity, int, int, bool) {
	if depth == 0 {
		return 0, 0, 0, false
	}
	n := len(text)
	escStart, escEnd := -1, -1 // the current run of escapes
	for i := 0; i < n; {
		c := text[i]
		wordStart := i == 0 || text[i-1] == ' '
		if isDigit(c) && (i == 0 || !isAlnum(text[i-1]) && !(i >= 2 && isDigit(text[i-2]) && isSplitSeparator(text[i-1]))) {
			if e, dec, ok := splitDigits(text, i); ok {
				if ent, hit := blockedIn(d, dec, depth); hit {
					return ent, i, e, true
				}
			}
		}
		if c != ' ' && wordStart && i+1 < n && text[i+1] == ' ' {
			if e, dec, ok := spacedChars(text, i); ok {
				if ent, hit := blockedIn(d, dec, depth); hit {
					return ent, i, e, true
				}
				i = e
				continue
			}
		}
		if base64Class[c] != 0 {
			j, class := i, uint8(0)
			for ; j < n && base64Class[text[j]] != 0; j++ {
				class |= base64Class[text[j]]
			}
			if j-i >= minBase64 && class&(b64Upper|b64Lower) == b64Upper|b64Lower {
				if dec, ok := decodeBase64(text[i:min(j, i+maxCandidate)]); ok {
					if ent, hit := blockedIn(d, dec, depth); hit {
						return ent, i, j, true
					}
				}
			}
			if j-i > 1 || !isDigit(c) {
				i = j
				continue
			}
		}
		if w := escapeAt(text, i); w > 0 {
			if escStart >= 0 && i-escEnd > escapeGap {
				if ent, s, e, hit := escapes(d, text, escStart, escEnd, depth); hit {
					return ent, s, e, true
				}
				escStart = -1
			}
			if escStart < 0 {
				escStart = i
			}
			escEnd = i + w
		}
		i++
	}
	if escStart >= 0 {
		return escapes(d, text, escStart, escEnd, depth)
	}
	return 0, 0, 0, false
}

// escapes decodes the run of escapes text[start:end], with escapeMargin
// bytes either side, and looks in it for a value d finds.
func escapes(d *Detector, text []byte, start, end, depth int) (Entity, int, int, bool) {
	s, e := max(0, start-escapeMargin), min(len(text), end+escapeMargin)
	e = min(e, s+maxCandidate)
	ent, hit := blockedIn(d, unescape(text[s:e]), depth)
	return ent, s, e, hit
}

func isSplitSeparator(c byte) bool {
	return c == ' ' || c == '.' || c == '-' || c == '_' || c == '/' || c == '\t'
}

// blockedIn reports whether decoded text (sanitised and normalised as
// any text is) holds a value d finds, in it or in what it decodes to.
func blockedIn(d *Detector, decoded []byte, depth int) (Entity, bool) {
	if len(decoded) == 0 {
		return 0, false
	}
	stripped, _ := Strip(decoded)
	view := nfkc(stripped)
	if fs := d.Find(view, nil); len(fs) > 0 {
		return fs[0].Entity, true
	}
	e, _, _, ok := encodedIn(d, view, depth-1)
	return e, ok
}

// escapeAt returns the length of the percent escape or HTML character
// reference at text[i], or 0.
func escapeAt(text []byte, i int) int {
	switch text[i] {
	case '%':
		if i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]) {
			return 3
		}
	case '&':
		return entityRef(text[i:])
	}
	return 0
}

// entityRef returns the length of the HTML character reference at the
// start of b ("&#52;", "&#x34;", "&amp;"), or 0.
func entityRef(b []byte) int {
	if len(b) < 4 || b[0] != '&' {
		return 0
	}
	i, named := 1, true
	ok := isAlpha
	if b[1] == '#' {
		i, named, ok = 2, false, isDigit
		if len(b) > 2 && (b[2] == 'x' || b[2] == 'X') {
			i, ok = 3, isHex
		}
	}
	j := i
	for j < len(b) && j-i < 31 && (ok(b[j]) || named && j > i && isDigit(b[j])) {
		j++
	}
	if j == i || j >= len(b) || b[j] != ';' {
		return 0
	}
	return j + 1
}

// unescape decodes the percent escapes and HTML character references in
// b (one level: what they decode to is decoded on the next).
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	if !hasByte(out, '&') {
		return out
	}
	return []byte(html.UnescapeString(string(out)))
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeBase64 decodes a base64 run (standard or URL-safe alphabet,
// padding gone) if it decodes to text: valid UTF-8 (but for a rune cut at
// the end) without control characters other than white space. Binary (an
// image, a key's bytes, a hash, a word that happens to be base64) is
// rejected after decoding its first base64Probe characters.
func decodeBase64(run []byte) ([]byte, bool) {
	enc := base64.RawStdEncoding
	for _, c := range run {
		if c == '-' || c == '_' {
			enc = base64.RawURLEncoding
			break
		}
	}
	n := len(run)
	if n%4 == 1 { // a character short of a byte: a run cut short still decodes
		n--
	}
	probe := min(n, base64Probe)
	var buf [base64Probe]byte
	k, err := enc.Decode(buf[:], run[:probe])
	if err != nil || !textual(buf[:k], true) {
		return nil, false
	}
	out := make([]byte, enc.DecodedLen(n))
	k, err = enc.Decode(out, run[:n])
	if err != nil || !textual(out[:k], true) {
		return nil, false
	}
	return out[:k], true
}

// textual reports whether b reads as text: valid UTF-8 (cut allows a
// rune cut short at the end) with no control character but white space.
func textual(b []byte, cut bool) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return cut && len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:])
		}
		i += size
	}
	return true
}

// splitDigits reads, at i, a digit run split by single separators into
// three or more groups ("4 1 1 1 ...", "1.2.3-45-6789", "41-11-1111-11")
// of at least minSplitDigits digits, and returns its end and its digits
// written as the detectors read a value: nine as an SSN (ddd-dd-dddd),
// others in groups of four. What is written that way for a reason is not
// a candidate: a dotted IPv4 address, a number grouped by thousands
// ("123.456.789", "1 234 567 890"), a date and time.
func splitDigits(text []byte, i int) (int, []byte, bool) {
	var digits [24]byte
	nd, groups, sizes := 0, 0, [24]uint8{}
	seps := uint8(0)
	sepKinds := 0
	j := i
	for j < len(text) {
		k := j
		for k < len(text) && isDigit(text[k]) {
			k++
		}
		if k == j || nd+(k-j) > len(digits) || groups == len(sizes) {
			return 0, nil, false
		}
		nd += copy(digits[nd:], text[j:k])
		sizes[groups] = uint8(k - j)
		groups++
		j = k
		if j+1 < len(text) && isDigit(text[j+1]) && isSplitSeparator(text[j]) {
			if seps != text[j] {
				sepKinds++
				seps = text[j]
			}
			j++
			continue
		}
		break
	}
	if groups < 3 || nd < minSplitDigits || j < len(text) && isAlnum(text[j]) {
		return 0, nil, false
	}
	if groups == 4 && seps == '.' && sepKinds == 1 { // an IPv4 address
		return 0, nil, false
	}
	thousands := sepKinds == 1 && sizes[0] <= 3
	for _, sz := range sizes[1:groups] {
		thousands = thousands && sz == 3
	}
	if thousands {
		return 0, nil, false
	}
	out := make([]byte, 0, nd+nd/4+2)
	if nd == 9 {
		out = append(append(append(append(append(out, digits[:3]...), '-'), digits[3:5]...), '-'), digits[5:9]...)
		return j, out, true
	}
	for k := 0; k < nd; k += 4 {
		if k > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[k:min(k+4, nd)]...)
	}
	return j, out, true
}

// spacedChars reads, at i, a run of at least minSpacedChars single
// characters each followed by one space ("j a n e @ e x a m p l e . c o m",
// "s k - p r o j - ..."), and returns its end and the characters without
// the spaces.
func spacedChars(text []byte, i int) (int, []byte, bool) {
	j, count := i, 0
	for j < len(text) && text[j] != ' ' && (j+1 == len(text) || text[j+1] == ' ') {
		count++
		j += 2
		if j >= len(text) || text[j] == ' ' || j > i+2*maxCandidate {
			break
		}
	}
	end := min(j, len(text))
	if end > i && text[end-1] == ' ' {
		end--
	}
	if count < minSpacedChars {
		return 0, nil, false
	}
	out := make([]byte, 0, count)
	for k := i; k < end; k += 2 {
		out = append(out, text[k])
	}
	return end, out, true
}
