package tokens

import (
	"unicode"
	"unicode/utf8"
)

// The o200k_base pre-tokenizer, by hand. The tokenizer module splits text
// with this pattern, run by regexp2 (a backtracking matcher, .NET's
// semantics) over the text's runes, before byte-pair encoding each piece:
//
//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//	|\p{N}{1,3}
//	| ?[^\s\p{L}\p{N}]+[\r\n/]*
//	|\s*[\r\n]+
//	|\s+(?!\S)
//	|\s+
//
// split finds the same pieces in one pass and without allocating: each
// alternative below says what backtracking makes of it. Every rune but
// DEL starts some alternative, so the pieces tile the text, less DELs. \s is unicode.IsSpace (as
// in regexp2), and an invalid byte is the rune U+FFFD (as in Go's []rune
// conversion, which regexp2 matches on).
//
// The oracle is the module's compiled matcher, not the pattern's meaning:
// where the two differ (see del and spaces), split follows the matcher, so
// that counts are the module's exactly.

// A rune's classes, as the pattern sees them.
const (
	cL     uint8 = 1 << iota // \p{L}
	cN                       // \p{N}
	cUpper                   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: a word's first run
	cLower                   // [\p{Ll}\p{Lm}\p{Lo}\p{M}]: its second
	cSpace                   // \s
	cNL                      // [\r\n]
	cDEL                     // U+007F, in none of the compiled matcher's ASCII sets
)

// del is U+007F. The module's compiled matcher (regexp.gen.go) tests ASCII
// against bitmaps that leave it out of [^\r\n\p{L}\p{N}] and
// [^\s\p{L}\p{N}], so no alternative matches at it: the matcher skips
// it, it is in no piece and counts no token, and it ends a run of symbols.
const del = 0x7f

// classify returns r's classes.
func classify(r rune) uint8 {
	var c uint8
	switch {
	case unicode.IsLetter(r):
		c |= cL
		if unicode.In(r, unicode.Lu, unicode.Lt, unicode.Lm, unicode.Lo) {
			c |= cUpper
		}
		if unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo) {
			c |= cLower
		}
	case unicode.IsMark(r): // in both runs of a word, and not a letter
		c |= cUpper | cLower
	case unicode.IsNumber(r):
		c |= cN
	}
	if unicode.IsSpace(r) {
		c |= cSpace
	}
	if r == '\r' || r == '\n' {
		c |= cNL
	}
	if r == del {
		c |= cDEL
	}
	return c
}

// classes holds the classes of every rune of the Basic Multilingual Plane
// (64 KiB, built with the vocabulary); others are classified as met.
type classes [1 << 16]uint8

func newClasses() *classes {
	var t classes
	for r := range t {
		t[r] = classify(rune(r))
	}
	return &t
}

// at returns the classes and the length in bytes of the rune at s[i].
func (t *classes) at(s string, i int) (uint8, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return ascii[b], 1
	}
	return t.decode(s, i)
}

// ascii is the classes of ASCII, at hand for at.
var ascii = func() (a [utf8.RuneSelf]uint8) {
	for r := range a {
		a[r] = classify(rune(r))
	}
	return a
}()

func (t *classes) decode(s string, i int) (uint8, int) {
	r, n := utf8.DecodeRuneInString(s[i:]) // an invalid byte is U+FFFD, of length 1
	if r < 1<<16 {
		return t[r], n
	}
	return classify(r), n
}

// notLetterNumberNL is [^\r\n\p{L}\p{N}] (the optional start of a word),
// notSpaceLetterNumber [^\s\p{L}\p{N}] (punctuation and symbols).
const (
	notLetterNumberNL    = cL | cN | cNL | cDEL
	notSpaceLetterNumber = cSpace | cL | cN | cDEL
)

// split returns the end of the piece that starts at s[i], i < len(s) and
// s[i] != del.
func (t *classes) split(s string, i int) int {
	c, n := t.at(s, i)
	// Alternatives 1 and 2 are each tried with the optional first rune
	// taken, then without it; only a mark (\p{M}) is both that rune and
	// part of a word, so only a mark can make the second try differ.
	if c&notLetterNumberNL == 0 {
		if e := t.lowerWord(s, i+n); e > 0 {
			return e
		}
	}
	if c&(cUpper|cLower) != 0 {
		if e := t.lowerWord(s, i); e > 0 {
			return e
		}
	}
	if c&notLetterNumberNL == 0 {
		if e := t.upperWord(s, i+n); e > 0 {
			return e
		}
	}
	if c&cUpper != 0 {
		return t.upperWord(s, i) // matches: s[i] is upper-class
	}
	// \p{N}{1,3}
	if c&cN != 0 {
		e := i + n
		for k := 0; k < 2 && e < len(s); k++ {
			c, n := t.at(s, e)
			if c&cN == 0 {
				break
			}
			e += n
		}
		return e
	}
	// " ?[^\s\p{L}\p{N}]+[\r\n/]*": the space is taken atomically (giving
	// it back could not help: a space is \s).
	if e := t.symbols(s, i); e > 0 {
		return e
	}
	if c&cSpace != 0 {
		return t.spaces(s, i)
	}
	return i + n // not reached: every rune is a letter, a number, a space or none
}

// lowerWord matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
// and a contraction at s[i:], returning its end, or -1. The first loop is
// greedy and gives runes back until the second can start: so the word ends
// after the run of lower-class runes that follows the upper-class run, or,
// when none follows, just after the run's last rune that is also
// lower-class (Lm, Lo or a mark).
func (t *classes) lowerWord(s string, i int) int {
	j, lastLower := i, -1
	for j < len(s) {
		if b := s[j]; b < utf8.RuneSelf { // an ASCII upper-class rune (A-Z) is not lower-class
			if ascii[b]&cUpper == 0 {
				break
			}
			j++
			continue
		}
		c, n := t.decode(s, j)
		if c&cUpper == 0 {
			break
		}
		j += n
		if c&cLower != 0 {
			lastLower = j
		}
	}
	if e := t.span(s, j, cLower); e > j {
		return contraction(s, e)
	}
	if lastLower < 0 {
		return -1
	}
	return contraction(s, lastLower)
}

// span returns the end of the run of runes at s[j:] of a class in mask.
func (t *classes) span(s string, j int, mask uint8) int {
	for j < len(s) {
		if b := s[j]; b < utf8.RuneSelf {
			if ascii[b]&mask == 0 {
				return j
			}
			j++
			continue
		}
		c, n := t.decode(s, j)
		if c&mask == 0 {
			return j
		}
		j += n
	}
	return j
}

// spanNot returns the end of the run of runes at s[j:] of no class in mask.
func (t *classes) spanNot(s string, j int, mask uint8) int {
	for j < len(s) {
		if b := s[j]; b < utf8.RuneSelf {
			if ascii[b]&mask != 0 {
				return j
			}
			j++
			continue
		}
		c, n := t.decode(s, j)
		if c&mask != 0 {
			return j
		}
		j += n
	}
	return j
}

// upperWord matches [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
// and a contraction at s[i:], returning its end, or -1.
func (t *classes) upperWord(s string, i int) int {
	j := t.span(s, i, cUpper)
	if j == i {
		return -1
	}
	return contraction(s, t.span(s, j, cLower))
}

// contraction returns the end of (?i:'s|'t|'re|'ve|'m|'ll|'d) at s[i:], or
// i. Case-insensitive, as regexp2 folds: ASCII, and U+017F (ſ) for s.
func contraction(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return i
	}
	switch s[i+1] | 0x20 {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if i+2 < len(s) && s[i+2]|0x20 == 'e' {
			return i + 3
		}
	case 'l':
		if i+2 < len(s) && s[i+2]|0x20 == 'l' {
			return i + 3
		}
	}
	if i+2 < len(s) && s[i+1] == 0xC5 && s[i+2] == 0xBF { // ſ
		return i + 3
	}
	return i
}

// symbols matches " ?[^\s\p{L}\p{N}]+[\r\n/]*" at s[i:], returning its end,
// or -1.
func (t *classes) symbols(s string, i int) int {
	j := i
	if s[j] == ' ' {
		j++
	}
	k := t.spanNot(s, j, notSpaceLetterNumber)
	if k == j {
		return -1
	}
	for k < len(s) && (s[k] == '\r' || s[k] == '\n' || s[k] == '/') {
		k++
	}
	return k
}

// spaces matches the last three alternatives at s[i:], which starts with
// whitespace. "\s*[\r\n]+" ends after the run's first newlines, not its
// last: the module's compiled matcher backtracks \s* to the first of
// [\r\n] in the run (IndexOfAny where the pattern means LastIndexOfAny),
// so "\n\n  \n" is two pieces, "\n\n" and "  \n". Failing that (no
// newline), "\s+(?!\S)" takes the run, less its last rune if something
// follows it (that rune then starts the next piece, " word" say); failing
// that (a single space before a non-space), "\s+" takes the run.
func (t *classes) spaces(s string, i int) int {
	j, last := i, i
	for j < len(s) {
		c, n := t.at(s, j)
		if c&cSpace == 0 {
			break
		}
		if c&cNL != 0 {
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
		last = j
		j += n
	}
	switch {
	case j == len(s):
		return j
	case last > i:
		return last
	}
	return j
}
