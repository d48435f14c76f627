package inject

import (
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

func fmix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

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
	hashes []uint32 // feature buckets, for training and explanation
	dense  [NumDense]float64
}

// lower appends text lowercased, with runs of white space collapsed to
// one space (or one newline, if the run holds one), to dst.
func lower(dst, text []byte) []byte {
	space := byte(0)
	flush := func() {
		if space != 0 {
			if len(dst) > 0 {
				dst = append(dst, space)
			}
			space = 0
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case ' ', '\t', '\r', '\f', '\v':
				if space == 0 {
					space = ' '
				}
				continue
			case '\n':
				space = '\n'
				continue
			}
			flush()
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
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
		flush()
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

// ngrams calls emit with the bucket of every n-gram of low (word 1-2-grams
// over words, character 3-5-grams over bytes) and returns how many.
func ngrams(low []byte, words []span, mask uint32, emit func(uint32)) int {
	n := 0
	prev := uint32(0)
	for i, w := range words {
		h := wordHash(low[w.s:w.e])
		emit(fmix(h^seedWord) & mask)
		n++
		if i > 0 {
			emit(fmix(prev*31^h^seedBigram) & mask)
			n++
		}
		prev = h
	}
	// Character n-grams over " text ": word edges count.
	L := len(low)
	at := func(i int) byte {
		if i == 0 || i == L+1 {
			return ' '
		}
		return low[i-1]
	}
	for i := 0; i+3 <= L+2; i++ {
		h := uint32(2166136261) ^ seedChar
		h = (h ^ uint32(at(i))) * fnvPrime
		h = (h ^ uint32(at(i+1))) * fnvPrime
		h = (h ^ uint32(at(i+2))) * fnvPrime
		emit(fmix(h) & mask)
		n++
		if i+4 <= L+2 {
			h = (h ^ uint32(at(i+3))) * fnvPrime
			emit(fmix(h^3) & mask)
			n++
			if i+5 <= L+2 {
				h = (h ^ uint32(at(i+4))) * fnvPrime
				emit(fmix(h^5) & mask)
				n++
			}
		}
	}
	return n
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
