package content

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Sanitize removes invisible and smuggling characters from text and
// normalises it to NFKC, so that detectors and rules see what a model
// reads: Unicode tag characters (U+E0000–U+E007F, which carry hidden ASCII),
// zero-width characters, bidirectional overrides and isolates, soft
// hyphens, variation selectors and other format characters that render as
// nothing. It returns text itself when there is nothing to do (all ASCII,
// the common case), and how many characters it removed (bytes that are
// not UTF-8 are counted too: each becomes U+FFFD).
func Sanitize(text []byte) ([]byte, int) {
	stripped, n := Strip(text)
	return nfkc(stripped), n
}

// nfkcView returns text's NFKC form and, unless that is text itself,
// where each of its segments starts: pairs of offsets in the view and in
// text, in order.
func nfkcView(text []byte) ([]byte, [][2]int) {
	if norm.NFKC.IsNormal(text) {
		return text, nil
	}
	var it norm.Iter
	it.Init(norm.NFKC, text)
	v := make([]byte, 0, len(text)+16)
	var starts [][2]int
	for !it.Done() {
		starts = append(starts, [2]int{len(v), it.Pos()})
		v = append(v, it.Next()...)
	}
	return v, starts
}

func nfkc(text []byte) []byte {
	if norm.NFKC.IsNormal(text) {
		return text
	}
	return norm.NFKC.Bytes(text)
}

// Strip removes the invisible characters of Sanitize without normalising.
// Zero-width (non-)joiners between two non-ASCII characters (emoji
// sequences, Persian and Indic text) and an emoji presentation selector
// after one are kept: they are how those scripts are written, and cannot
// split an ASCII value or hide ASCII text. Characters that normalise to
// ASCII (full-width forms, circled digits) count as ASCII here.
func Strip(text []byte) ([]byte, int) {
	i := 0
	for i < len(text) && text[i] < utf8.RuneSelf {
		i++
	}
	if i == len(text) {
		return text, 0
	}
	// Copy only from the first invisible character on.
	var out []byte
	removed := 0
	prevWide := i > 0 && text[i-1] >= utf8.RuneSelf // the last character kept is non-ASCII
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if out != nil {
				out = append(out, c)
			}
			prevWide = false
			i++
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		if invalid := r == utf8.RuneError && n == 1; invalid || invisible(r) && !writtenWith(text, i+n, r, prevWide) {
			if out == nil {
				out = make([]byte, i, len(text))
				copy(out, text[:i])
			}
			// A byte that is not UTF-8 becomes U+FFFD, as JSON decoders
			// read it: dropped or kept, it could join the bytes around a
			// removed character into a new one (F3 + a removed tag +
			// A0 81 81 is a tag again).
			if invalid {
				out = utf8.AppendRune(out, utf8.RuneError)
				prevWide = true
			}
			removed++
		} else {
			if out != nil {
				out = append(out, text[i:i+n]...)
			}
			prevWide = wide(text[i : i+n])
		}
		i += n
	}
	if out == nil {
		return text, 0
	}
	return out, removed
}

// writtenWith reports the joiners and selectors that non-ASCII writing
// needs (see Strip): r, followed by text[next:], after a kept non-ASCII
// character if prevWide. A joiner needs a visible non-ASCII character
// after it too (other invisible characters, which go, do not count).
func writtenWith(text []byte, next int, r rune, prevWide bool) bool {
	switch r {
	case 0x200C, 0x200D:
		if !prevWide {
			return false
		}
		for next < len(text) {
			if text[next] < utf8.RuneSelf {
				return false
			}
			r, n := utf8.DecodeRune(text[next:])
			if !invisible(r) {
				return wide(text[next : next+n])
			}
			next += n
		}
		return false
	case 0xFE0E, 0xFE0F:
		return prevWide
	}
	return false
}

// wide reports whether the character c (not ASCII) stays one that is not
// ASCII once normalised: full-width "４" becomes "4", and a joiner beside
// it would split a value in the text detectors read.
func wide(c []byte) bool {
	d := norm.NFKC.Properties(c).Decomposition()
	return len(d) == 0 || d[0] >= utf8.RuneSelf
}

// invisible reports characters that render as nothing (or reorder what
// renders) and are used to hide instructions or split values.
func invisible(r rune) bool {
	if r < 0xAD || r > 0xE01EF || r > 0x3164 && r < 0xFE00 {
		return false
	}
	switch {
	case r >= 0xE0000 && r <= 0xE007F: // tags
		return true
	case r >= 0x200B && r <= 0x200F: // zero-width space, (non-)joiner, LRM, RLM
		return true
	case r >= 0x202A && r <= 0x202E: // bidi embeddings and overrides
		return true
	case r >= 0x2060 && r <= 0x206F: // word joiner, invisible operators, bidi isolates, deprecated format
		return true
	case r == 0xFEFF, r == 0x00AD, r == 0x034F, r == 0x061C, r == 0x115F, r == 0x1160, r == 0x17B4, r == 0x17B5,
		r == 0x180B, r == 0x180C, r == 0x180D, r == 0x180E, r == 0x180F, r == 0x3164, r == 0xFFA0:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0xFFF9 && r <= 0xFFFB: // interlinear annotations
		return true
	case r >= 0x13430 && r <= 0x1343F, // Egyptian hieroglyph format controls
		r >= 0x1BCA0 && r <= 0x1BCA3, // shorthand format controls
		r >= 0x1D173 && r <= 0x1D17A: // musical symbol format controls (begin/end beam, tie, slur, phrase)
		return true
	case r == utf8.RuneError:
		return false
	}
	return false
}

// NFKC returns text's NFKC form (text itself if it is that already).
func NFKC(text []byte) []byte { return nfkc(text) }
