package inject

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// The feature space: hashed word 1-2-grams and character 3-5-grams of
// the lowercased text, each counted and the vector scaled to unit length
// (so a window's score does not grow with its length), plus the dense
// rule features of rules.go.

// Hash seeds keep the kinds of n-gram apart in the shared buckets.
const (
	seedWord   = 0x9747b28c
	seedBigram = 0x85ebca6b
	seedChar   = 0xc2b2ae35
)

// fmix maps a hash to its bucket: the high bits of a multiplication
// (Fibonacci hashing), which mixes FNV's low-bit weakness away.
func fmix(h uint32) uint32 { return (h * 2654435769) >> 8 }

const fnvPrime = 16777619

// span is a word at text[s:e].
type span struct{ s, e int32 }

// scratch holds one scoring call's buffers; pooled, so scoring does not
// allocate once warm.
type scratch struct {
	low    []byte // lowercased, whitespace-collapsed text
	words  []span
	dec    []byte // decoded payloads
	tmp    []byte
	hashes []uint32 // a window's n-gram buckets
	pad    []byte
	dense  [NumDense]float64
	hits   hits
	set    bucketSet
}

// asciiClass classifies ASCII bytes for lower: 0 a byte to copy
// (lowercased by asciiLower), 1 a space, 2 a newline.
var asciiClass, asciiLower [utf8.RuneSelf]byte

func init() {
	for c := range asciiLower {
		asciiLower[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			asciiLower[c] = byte(c) + 'a' - 'A'
		}
	}
	for _, c := range []byte{' ', '\t', '\r', '\f', '\v'} {
		asciiClass[c] = 1
	}
	asciiClass['\n'] = 2
}

// lower appends text lowercased, with runs of white space collapsed to
// one space (or one newline, if the run holds one), to dst.
func lower(dst, text []byte) []byte {
	dst = slices.Grow(dst, len(text))
	space := byte(0) // pending white space
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch asciiClass[c] {
			case 1:
				if space == 0 {
					space = ' '
				}
				continue
			case 2:
				space = '\n'
				continue
			}
			if space != 0 {
				if len(dst) > 0 {
					dst = append(dst, space)
				}
				space = 0
			}
			dst = append(dst, asciiLower[c])
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		i += n
		if unicode.IsSpace(r) {
			if space == 0 {
				space = ' '
			}
			continue
		}
		if space != 0 {
			if len(dst) > 0 {
				dst = append(dst, space)
			}
			space = 0
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '\''
}

// splitWords appends the words of low (letters and digits) to dst.
func splitWords(dst []span, low []byte) []span {
	start := -1
	for i := 0; i < len(low); {
		c := low[i]
		var w bool
		n := 1
		if c < utf8.RuneSelf {
			w = isWordByte(c)
		} else {
			var r rune
			r, n = utf8.DecodeRune(low[i:])
			w = unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		}
		switch {
		case w && start < 0:
			start = i
		case !w && start >= 0:
			dst = append(dst, span{int32(start), int32(i)})
			start = -1
		}
		i += n
	}
	if start >= 0 {
		dst = append(dst, span{int32(start), int32(len(low))})
	}
	return dst
}

func wordHash(w []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range w {
		h = (h ^ uint32(c)) * fnvPrime
	}
	return h
}

// ngrams appends to dst the bucket of every n-gram of low: word
// 1-2-grams over words, character 3-5-grams over the bytes of " low "
// (word edges count). pad is scratch space.
func ngrams(dst []uint32, pad, low []byte, words []span, mask uint32) ([]uint32, []byte) {
	prev := uint32(0)
	for i, w := range words {
		h := wordHash(low[w.s:w.e])
		dst = append(dst, fmix(h^seedWord)&mask)
		if i > 0 {
			dst = append(dst, fmix(prev*31^h^seedBigram)&mask)
		}
		prev = h
	}
	pad = append(append(append(pad[:0], ' '), low...), ' ')
	n := len(pad)
	for i := 0; i+3 <= n; i++ {
		h := uint32(2166136261) ^ seedChar
		h = (h ^ uint32(pad[i])) * fnvPrime
		h = (h ^ uint32(pad[i+1])) * fnvPrime
		h = (h ^ uint32(pad[i+2])) * fnvPrime
		dst = append(dst, fmix(h)&mask)
		if i+4 <= n {
			h = (h ^ uint32(pad[i+3])) * fnvPrime
			dst = append(dst, fmix(h^3)&mask)
			if i+5 <= n {
				h = (h ^ uint32(pad[i+4])) * fnvPrime
				dst = append(dst, fmix(h^5)&mask)
			}
		}
	}
	return dst, pad
}

// ngramNames returns the readable n-grams of low in the order ngrams
// emits them, for explanations.
func ngramNames(low []byte, words []span) []string {
	var out []string
	for i, w := range words {
		out = append(out, "word:"+string(low[w.s:w.e]))
		if i > 0 {
			p := words[i-1]
			out = append(out, "words:"+string(low[p.s:p.e])+" "+string(low[w.s:w.e]))
		}
	}
	padded := " " + string(low) + " "
	for i := 0; i+3 <= len(padded); i++ {
		for _, k := range []int{3, 4, 5} {
			if i+k <= len(padded) {
				out = append(out, "chars:"+padded[i:i+k])
			}
		}
	}
	return out
}
