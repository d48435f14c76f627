package ner

import (
	"unicode"
	"unicode/utf8"
)

// Token is a word, number or punctuation mark at text[Start:End].
type Token struct {
	Start, End int32
}

// abbrevs are words that keep a following full stop ("Dr.", "St.").
var abbrevs = map[string]bool{
	"dr": true, "mr": true, "mrs": true, "ms": true, "prof": true, "st": true, "ave": true,
	"blvd": true, "rd": true, "jr": true, "sr": true, "inc": true, "ltd": true, "co": true,
	"corp": true, "dept": true, "apt": true, "no": true, "nr": true, "vs": true, "mt": true,
	"ft": true, "fr": true, "hr": true, "sra": true, "srta": true, "mme": true, "mlle": true,
	"bros": true, "ln": true, "dr.": true, "pl": true, "ct": true, "hwy": true, "pkwy": true,
	"str": true, "av": true, "rev": true, "hon": true, "gen": true, "capt": true, "lt": true,
	"sgt": true, "ste": true, "bldg": true, "fl": true, "dra": true, "mx": true, "esq": true,
	"univ": true, "assn": true, "intl": true,
}

// Tokenize appends the tokens of text to dst and returns it. Words keep
// inner apostrophes and hyphens ("O'Brien", "Jean-Pierre"); a capital
// letter followed by a full stop is one token ("J."), as are the known
// abbreviations ("Dr.", "St."); numbers keep inner separators
// ("221B", "10-12", "3.5"); any other non-space rune is a token by itself.
func Tokenize(text []byte, dst []Token) []Token {
	i := 0
	n := len(text)
	for i < n {
		c := text[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			switch {
			case isASCIILetter(c):
				j := scanWord(text, i)
				dst = append(dst, Token{int32(i), int32(j)})
				i = j
			case c >= '0' && c <= '9':
				j := scanNumber(text, i)
				dst = append(dst, Token{int32(i), int32(j)})
				i = j
			default:
				j := i + 1
				if c == '\'' && len(dst) > 0 && int(dst[len(dst)-1].End) == i && isPossessive(text, i, 1) {
					j = i + 2 // "'s"
				}
				dst = append(dst, Token{int32(i), int32(j)})
				i = j
			}
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case unicode.IsLetter(r):
			j := scanWord(text, i)
			dst = append(dst, Token{int32(i), int32(j)})
			i = j
		default:
			j := i + size
			if r == '\u2019' && len(dst) > 0 && int(dst[len(dst)-1].End) == i && isPossessive(text, i, size) {
				j++ // "’s"
			}
			dst = append(dst, Token{int32(i), int32(j)})
			i = j
		}
	}
	return dst
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// wordRune reports whether the rune at text[i:] continues a word, and its size.
func wordRune(text []byte, i int) (bool, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return isASCIILetter(c) || (c >= '0' && c <= '9'), 1
	}
	r, size := utf8.DecodeRune(text[i:])
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r), size
}

// joiner returns the size of an apostrophe or hyphen at text[i:], or 0.
func joiner(text []byte, i int) int {
	c := text[i]
	if c == '\'' || c == '-' {
		return 1
	}
	// U+2019 RIGHT SINGLE QUOTATION MARK, U+2010 HYPHEN
	if c == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && (text[i+2] == 0x99 || text[i+2] == 0x90) {
		return 3
	}
	return 0
}

func scanWord(text []byte, i int) int {
	start := i
	n := len(text)
	for i < n {
		ok, size := wordRune(text, i)
		if ok {
			i += size
			continue
		}
		if j := joiner(text, i); j > 0 && i+j < n && i > start {
			if isPossessive(text, i, j) {
				break
			}
			if text[i] != '-' && isElision(text[start:i]) {
				return i + j // "l'", "d'", "qu'": the next word is a token of its own
			}
			if ok2, _ := wordRune(text, i+j); ok2 {
				i += j
				continue
			}
		}
		break
	}
	if i < n && text[i] == '.' {
		w := text[start:i]
		if len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z' {
			return i + 1 // an initial
		}
		if len(w) <= 5 && isAbbrev(w) {
			return i + 1
		}
	}
	return i
}

// isPossessive reports whether the apostrophe of size j at text[i:] starts
// a final "'s" ("Goldberg's"), which is a token of its own.
func isPossessive(text []byte, i, j int) bool {
	if text[i] == '-' || i+j >= len(text) || (text[i+j]|0x20) != 's' {
		return false
	}
	k := i + j + 1
	if k >= len(text) {
		return true
	}
	ok, _ := wordRune(text, k)
	return !ok
}

// isElision reports whether w, before an apostrophe, is a French or
// Italian elided article or pronoun (lower case: "D'Angelo" stays whole).
func isElision(w []byte) bool {
	switch string(w) {
	case "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu", "dell", "nell", "all", "sull":
		return true
	}
	return false
}

func isAbbrev(w []byte) bool {
	var buf [8]byte
	for k, c := range w {
		if c >= utf8.RuneSelf {
			return false
		}
		buf[k] = c | 0x20
	}
	return abbrevs[string(buf[:len(w)])]
}

func scanNumber(text []byte, i int) int {
	n := len(text)
	for i < n {
		c := text[i]
		if (c >= '0' && c <= '9') || isASCIILetter(c) {
			i++
			continue
		}
		if (c == '.' || c == ',' || c == '/' || c == '-' || c == ':') && i+1 < n && text[i+1] >= '0' && text[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	return i
}
