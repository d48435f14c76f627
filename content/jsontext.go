package content

import (
	"unicode/utf16"
	"unicode/utf8"
)

// JSONText reads text that is itself JSON (a tool call's arguments) as
// detectors should: its \uXXXX escapes are decoded, so "jane\u0040example.com"
// is seen as the address it is. Only escapes whose decoding leaves the JSON
// meaning the same are decoded: not \" or \\, nor control characters, nor a
// lone surrogate; \/ becomes /. Text may arrive in pieces: an escape cut at
// the end of one is completed by the next.
type JSONText struct {
	tail []byte // an unfinished escape at the end of the last piece
}

// Unescape returns piece with its escapes decoded (dst reused if it has
// room); an unfinished escape at its end is kept for the next piece.
func (j *JSONText) Unescape(piece []byte) []byte {
	if len(j.tail) > 0 {
		piece = append(j.tail, piece...)
		j.tail = nil
	}
	first := -1
	for i, c := range piece {
		if c == '\\' {
			first = i
			break
		}
	}
	if first < 0 {
		return piece
	}
	out := make([]byte, first, len(piece))
	copy(out, piece[:first])
	for i := first; i < len(piece); {
		c := piece[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(piece) {
			j.tail = append(j.tail, piece[i:]...)
			break
		}
		switch piece[i+1] {
		case '/':
			out = append(out, '/')
			i += 2
			continue
		case 'u':
		default: // \" \\ \n ...: kept as written
			out = append(out, piece[i:i+2]...)
			i += 2
			continue
		}
		r, n, complete := unicodeEscape(piece[i:])
		switch {
		case !complete:
			j.tail = append(j.tail, piece[i:]...)
			i = len(piece)
		case r < 0x20 || r == '"' || r == '\\' || r == utf8.RuneError:
			out = append(out, piece[i:i+n]...) // kept as written
			i += n
		default:
			out = utf8.AppendRune(out, r)
			i += n
		}
	}
	return out
}

// UnescapeJSON is JSONText's Unescape for a whole text.
func UnescapeJSON(text []byte) []byte {
	var j JSONText
	return append(j.Unescape(text), j.Flush()...)
}

// Held reports how many bytes of an unfinished escape are held.
func (j *JSONText) Held() int { return len(j.tail) }

// Flush returns what is left: an escape the text ended in, as written.
func (j *JSONText) Flush() []byte {
	t := j.tail
	j.tail = nil
	return t
}

// unicodeEscape reads \uXXXX (and a low surrogate's \uXXXX after a high
// one) at the start of b: the character (RuneError for a lone surrogate or
// bad hex), how many bytes it took, and whether b held enough to tell.
func unicodeEscape(b []byte) (rune, int, bool) {
	if len(b) < 6 {
		return 0, 0, false
	}
	r1, ok := hex4(b[2:6])
	if !ok {
		return utf8.RuneError, 2, true
	}
	if !utf16.IsSurrogate(r1) {
		return r1, 6, true
	}
	if r1 >= 0xDC00 { // a low surrogate first: lone
		return utf8.RuneError, 6, true
	}
	if len(b) < 12 {
		if len(b) == 6 || b[6] == '\\' && (len(b) == 7 || b[7] == 'u') {
			return 0, 0, false // its pair may follow
		}
		return utf8.RuneError, 6, true
	}
	if b[6] != '\\' || b[7] != 'u' {
		return utf8.RuneError, 6, true
	}
	r2, ok := hex4(b[8:12])
	if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
		return utf8.RuneError, 6, true
	}
	return utf16.DecodeRune(r1, r2), 12, true
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
