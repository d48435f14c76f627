package content

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Sanitize removes invisible and smuggling characters from text and
// normalises it to NFKC, so that detectors and rules see what a model
// reads: Unicode tag characters (U+E0000–U+E007F, which carry hidden ASCII),
// zero-width characters, bidirectional overrides and isolates, soft
// hyphens and other format characters that render as nothing. It returns
// text itself when there is nothing to do (all ASCII, the common case),
// and how many characters it removed.
func Sanitize(text []byte) ([]byte, int) {
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
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if out != nil {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		if invisible(r) {
			if out == nil {
				out = make([]byte, i, len(text))
				copy(out, text[:i])
			}
			removed++
		} else if out != nil {
			out = append(out, text[i:i+n]...)
		}
		i += n
	}
	if out == nil {
		out = text
	}
	if norm.NFKC.IsNormal(out) {
		return out, removed
	}
	return norm.NFKC.Bytes(out), removed
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
	case r == utf8.RuneError:
		return false
	}
	return false
}
