package ner

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// Labels of the BIO scheme: O, then B and I for each Type.
const (
	lO        = iota
	numLabels = 9 // 1 + 2*numTypes
)

var _ = [1]struct{}{}[numLabels-1-2*int(numTypes)] // numLabels matches the types

func labelB(t Type) uint8    { return uint8(1 + 2*t) }
func labelType(l uint8) Type { return Type((l - 1) / 2) }
func isB(l uint8) bool       { return l != lO && (l-1)%2 == 0 }

// Token class bits.
const (
	cUpperInit = 1 << iota // begins with an upper-case letter
	cAllUpper              // letters all upper case, two or more of them
	cDigit                 // contains a digit
	cAllDigit              // digits only
	cPunct                 // neither letter nor digit
	cSentStart             // first token of a sentence or line
	cLineStart             // first token of a line
	cNextColon             // followed by ':'
)

// tokInfo is what the features need of a token, computed once per text.
type tokInfo struct {
	w     uint64 // lower-cased word hash
	shape uint64 // word shape hash ("Xxxx", "dd-dd")
	gaz   uint32 // gazetteer classes of the word
	pgaz  uint32 // classes of the longest gazetteer phrase covering it
	cls   uint8
	pbeg  bool // first token of that phrase
	n     uint8
}

const maxFeats = 64

// Feature templates.
const (
	fBias = iota + 1
	fW0
	fWm1
	fWp1
	fWm2
	fWp2
	fShape0
	fShapeM1
	fShapeP1
	fPre3
	fSuf3
	fSuf4
	fCls
	fPrev1
	fPrev12
	fPrevShape
	fGaz0
	fGazM1
	fGazP1
	fGazP2
	fGazM2
	fPhrase
	fWm1Shape
	fWm2Wm1
	fGazCls
	fLen
)

func feat(tpl int, v uint64) uint64 { return mix64(uint64(tpl)*0x9E3779B97F4A7C15 ^ v) }

var sentinelW = lowerHash([]byte("<s>"))

// ctxGaz is the part of a neighbour's classes that is worth a feature.
const ctxGaz = GTitle | GOrgSuffix | GOrgNoun | GStreet | GUnit | GFirst | GLast | GCity | GRegion |
	GStateCode | GContextPer | GContextLoc | GPersSuffix | GCountry | GMonth | GDirectional | GOrgKnown | GCommon

// features fills fs with the hashed features of token i, given the two
// labels before it, and returns how many there are.
func features(fs *[maxFeats]uint64, text []byte, toks []Token, info []tokInfo, i int, p1, p2 uint8) int {
	n := 0
	add := func(tpl int, v uint64) {
		fs[n&(maxFeats-1)] = feat(tpl, v)
		n++
	}
	t := &info[i]
	wAt := func(k int) uint64 {
		if k < 0 || k >= len(info) {
			return sentinelW
		}
		return info[k].w
	}
	add(fBias, 0)
	add(fW0, t.w)
	wm1, wm2 := wAt(i-1), wAt(i-2)
	add(fWm1, wm1)
	add(fWp1, wAt(i+1))
	add(fWm2, wm2)
	add(fWp2, wAt(i+2))
	add(fShape0, t.shape)
	if i > 0 {
		add(fShapeM1, info[i-1].shape)
	}
	if i+1 < len(info) {
		add(fShapeP1, info[i+1].shape)
	}
	w := text[toks[i].Start:toks[i].End]
	if t.cls&cPunct == 0 {
		add(fPre3, affixHash(w, 3, false))
		add(fSuf3, affixHash(w, 3, true))
		add(fSuf4, affixHash(w, 4, true))
	}
	add(fCls, uint64(t.cls))
	add(fPrev1, uint64(p1))
	add(fPrev12, uint64(p1)|uint64(p2)<<8)
	add(fPrevShape, t.shape^uint64(p1)<<56)
	add(fWm1Shape, wm1^t.shape*31)
	add(fWm2Wm1, wm2*31^wm1)
	l := t.n
	if l > 12 {
		l = 12
	}
	add(fLen, uint64(l)|uint64(t.cls&(cUpperInit|cAllUpper))<<8)
	capCls := uint64(t.cls & (cUpperInit | cAllUpper | cSentStart))
	for g := t.gaz; g != 0; g &= g - 1 {
		b := uint64(trailingZeros32(g))
		add(fGaz0, b)
		add(fGazCls, b|capCls<<8)
	}
	for _, k := range [...]struct {
		off, tpl int
	}{{-1, fGazM1}, {1, fGazP1}, {2, fGazP2}, {-2, fGazM2}} {
		j := i + k.off
		if j < 0 || j >= len(info) {
			continue
		}
		for g := info[j].gaz & ctxGaz; g != 0; g &= g - 1 {
			add(k.tpl, uint64(trailingZeros32(g))|uint64(info[j].cls&cUpperInit)<<8)
		}
	}
	if t.pgaz != 0 {
		beg := uint64(0)
		if t.pbeg {
			beg = 1 << 8
		}
		for g := t.pgaz & (GCity | GRegion | GCountry | GOrgSuffix | GOrgNoun | GOrgKnown | GPlaceWord | GStreet | GTitle | GFirst | GLast); g != 0; g &= g - 1 {
			add(fPhrase, uint64(trailingZeros32(g))|beg)
		}
	}
	return min(n, maxFeats)
}

func trailingZeros32(x uint32) int { return bits.TrailingZeros32(x) }

// affixHash hashes the first (or last) n runes of w, lower-cased.
func affixHash(w []byte, n int, suffix bool) uint64 {
	if !suffix {
		end := 0
		for k := 0; k < n && end < len(w); k++ {
			_, size := utf8.DecodeRune(w[end:])
			end += size
		}
		return lowerHash(w[:end]) ^ uint64(n)
	}
	start := len(w)
	for k := 0; k < n && start > 0; k++ {
		_, size := utf8.DecodeLastRune(w[:start])
		start -= size
	}
	return lowerHash(w[start:]) ^ uint64(n)<<4
}

// analyse fills info for the tokens of text.
func (m *Model) analyse(text []byte, toks []Token, info []tokInfo) {
	for i, tk := range toks {
		w := text[tk.Start:tk.End]
		t := &info[i]
		*t = tokInfo{}
		t.w = lowerHash(w)
		t.shape, t.cls = shapeOf(w)
		nr := utf8.RuneCount(w)
		if nr > 255 {
			nr = 255
		}
		t.n = uint8(nr)
		if i == 0 {
			t.cls |= cSentStart | cLineStart
		} else {
			gap := text[toks[i-1].End:tk.Start]
			for _, c := range gap {
				if c == '\n' {
					t.cls |= cSentStart | cLineStart
					break
				}
			}
			pw := text[toks[i-1].Start:toks[i-1].End]
			if len(pw) == 1 {
				switch pw[0] {
				case '.', '!', '?', ':', ';', '"', '*', '-', '(', '[', '>', '|':
					t.cls |= cSentStart
				}
			}
		}
		if i+1 < len(toks) && toks[i+1].End-toks[i+1].Start == 1 && text[toks[i+1].Start] == ':' {
			t.cls |= cNextColon
		}
		if t.cls&cPunct == 0 {
			t.gaz, _ = m.gaz.get(phraseNext(phraseSeed, t.w))
		}
	}
	// Longest gazetteer phrases.
	for i := 0; i < len(toks); i++ {
		if info[i].gaz&GPhraseStart == 0 {
			continue
		}
		h := phraseNext(phraseSeed, info[i].w)
		best, bestF := 0, uint32(0)
		for k := 1; k < maxPhrase && i+k < len(toks); k++ {
			h = phraseNext(h, info[i+k].w)
			f, ok := m.gaz.get(h)
			if !ok {
				if k >= 2 {
					break
				}
				continue
			}
			if f&^GPhraseStart != 0 {
				best, bestF = k, f&^GPhraseStart
			}
		}
		if best > 0 {
			for k := 0; k <= best; k++ {
				info[i+k].pgaz |= bestF
			}
			info[i].pbeg = true
			i += best
		}
	}
}

// shapeOf returns the hash of w's shape (upper X, lower x, digit d, other
// runes as themselves; runs longer than 3 collapse) and its class bits.
func shapeOf(w []byte) (uint64, uint8) {
	h := fnvOffset
	var last rune = -1
	run := 0
	var cls uint8
	upper, lower, digit, other := 0, 0, 0, 0
	for i, r := range string(w) {
		var s rune
		switch {
		case r < utf8.RuneSelf && r >= 'a' && r <= 'z':
			s, lower = 'x', lower+1
		case r < utf8.RuneSelf && r >= 'A' && r <= 'Z':
			s, upper = 'X', upper+1
		case r >= '0' && r <= '9':
			s, digit = 'd', digit+1
		case r >= utf8.RuneSelf && unicode.IsUpper(r):
			s, upper = 'X', upper+1
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			s, lower = 'x', lower+1
		default:
			s, other = r, other+1
		}
		if i == 0 && s == 'X' {
			cls |= cUpperInit
		}
		if s == last {
			run++
			if run >= 3 {
				continue
			}
		} else {
			run = 0
		}
		last = s
		h = (h ^ uint64(s)) * fnvPrime
	}
	if upper >= 2 && lower == 0 {
		cls |= cAllUpper
	}
	if digit > 0 {
		cls |= cDigit
		if upper+lower+other == 0 {
			cls |= cAllDigit
		}
	}
	if upper+lower+digit == 0 {
		cls |= cPunct
	}
	return h, cls
}

// gated reports whether token i needs the model: a token with no capital
// and no digit, after an O, is O (entities start with a capital or a
// house number), which keeps ordinary prose cheap.
func gated(info []tokInfo, i int, prev uint8) bool {
	if prev != lO {
		return false
	}
	t := &info[i]
	if t.cls&(cUpperInit|cAllUpper) != 0 {
		return false
	}
	if t.cls&cDigit == 0 {
		return true
	}
	// A number starts an entity only before a capitalised word or an
	// address word ("12 Oak St", "5 rue", "221B Baker").
	return i+1 >= len(info) || (info[i+1].cls&(cUpperInit|cAllUpper) == 0 && info[i+1].gaz&(GStreet|GUnit) == 0)
}
