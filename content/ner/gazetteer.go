package ner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Gazetteer classes: a word or phrase carries a set of them.
const (
	GFirst       uint32 = 1 << iota // a given name
	GFirstTop                       // one of the most common given names
	GLast                           // a surname
	GLastTop                        // one of the most common surnames
	GCity                           // a city (GeoNames, over 15,000 inhabitants)
	GRegion                         // a state, province, county or region
	GCountry                        // a country or its demonym (not a location here)
	GStreet                         // a street type ("street", "ave", "straße", "rue")
	GUnit                           // a unit or level word ("apt", "suite", "floor")
	GTitle                          // a personal title ("mr", "dr", "frau")
	GOrgSuffix                      // a company legal form ("inc", "gmbh", "s.a.")
	GOrgNoun                        // an organisation noun ("university", "hospital")
	GDirectional                    // "north", "nw", "nord"
	GMonth                          // a month or weekday name
	GCommon                         // a common function word
	GPersSuffix                     // "jr", "iii"
	GPlaceWord                      // a kind of place ("airport", "park")
	GContextPer                     // a word that announces a person ("patient", "name")
	GContextLoc                     // a word that announces a place ("in", "from", "near")
	GStateCode                      // a US or Canadian state code ("IL", "ON")
	GOrgKnown                       // a well-known organisation ("Siemens", "Wells Fargo")
	GPhraseStart                    // the first word of a longer entry
	NumGaz       = 22
)

// GazNames names the classes, for the gazetteer builder's summary.
var GazNames = [NumGaz]string{"first", "first_top", "last", "last_top", "city", "region", "country",
	"street", "unit", "title", "org_suffix", "org_noun", "directional", "month", "common",
	"pers_suffix", "place_word", "ctx_per", "ctx_loc", "state_code", "org_known", "phrase_start"}

//go:embed data/gazetteer.txt.gz
var gazetteerGz []byte

// Gazetteer maps the hash of a lower-cased token sequence to its classes:
// an open-addressing table of (key, classes) pairs, one cache line per
// probe in the common case. Key 0 marks an empty slot.
type Gazetteer struct {
	slots []gazSlot
	mask  uint64
	n     int
}

type gazSlot struct {
	key uint64
	val uint32
}

func newGazetteer(n int) *Gazetteer {
	size := 1
	for size < n+n/2+16 {
		size <<= 1
	}
	return &Gazetteer{slots: make([]gazSlot, size), mask: uint64(size - 1)}
}

// get returns the classes of h, and whether h is in the table.
func (g *Gazetteer) get(h uint64) (uint32, bool) {
	if h == 0 {
		h = 1
	}
	for i := h & g.mask; ; i = (i + 1) & g.mask {
		s := &g.slots[i]
		if s.key == h {
			return s.val, true
		}
		if s.key == 0 {
			return 0, false
		}
	}
}

// or adds classes f to h; the table must have room (newGazetteer sizes it).
func (g *Gazetteer) or(h uint64, f uint32) {
	if h == 0 {
		h = 1
	}
	for i := h & g.mask; ; i = (i + 1) & g.mask {
		s := &g.slots[i]
		if s.key == h {
			s.val |= f
			return
		}
		if s.key == 0 {
			if 4*(g.n+1) > 3*len(g.slots) { // keep the load under 3/4
				g.grow()
				g.or(h, f)
				return
			}
			s.key, s.val = h, f
			g.n++
			return
		}
	}
}

func (g *Gazetteer) grow() {
	old := g.slots
	g.slots = make([]gazSlot, 2*len(old))
	g.mask = uint64(len(g.slots) - 1)
	g.n = 0
	for _, s := range old {
		if s.key != 0 {
			g.or(s.key, s.val)
		}
	}
}

const maxPhrase = 5 // tokens in the longest gazetteer phrase

// loadGazetteer reads "hexflags<TAB>phrase" lines (gzip-compressed).
func loadGazetteer(r io.Reader) (*Gazetteer, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	g := newGazetteer(1 << 17)
	sc := bufio.NewScanner(zr)
	var toks []Token
	for sc.Scan() {
		line := sc.Bytes()
		tab := bytes.IndexByte(line, '\t')
		if tab < 0 {
			continue
		}
		f, err := strconv.ParseUint(string(line[:tab]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("gazetteer: %w", err)
		}
		phrase := line[tab+1:]
		toks = Tokenize(phrase, toks[:0])
		if len(toks) == 0 || len(toks) > maxPhrase {
			continue
		}
		h := phraseSeed
		for k, t := range toks {
			h = phraseNext(h, lowerHash(phrase[t.Start:t.End]))
			if k == 0 && len(toks) > 1 {
				g.or(h, GPhraseStart)
			}
		}
		g.or(h, uint32(f))
	}
	return g, sc.Err()
}

const phraseSeed uint64 = 0x9E3779B97F4A7C15

func phraseNext(h, tok uint64) uint64 { return mix64(h ^ tok) }

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// lowerHash is the FNV-1a hash of w lower-cased, without allocating.
// A final full stop is ignored, so "Dr." and "Dr" hash alike.
func lowerHash(w []byte) uint64 {
	if len(w) > 1 && w[len(w)-1] == '.' {
		w = w[:len(w)-1]
	}
	h := fnvOffset
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			h = (h ^ uint64(c)) * fnvPrime
			i++
			continue
		}
		r, size := utf8.DecodeRune(w[i:])
		i += size
		r = unicode.ToLower(r)
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h = (h ^ uint64(b)) * fnvPrime
		}
	}
	return h
}

// Classes returns the gazetteer classes of the word w (any case; a
// final full stop ignored), 0 if it is in no list.
func (m *Model) Classes(w []byte) uint32 {
	f, _ := m.gaz.get(phraseNext(phraseSeed, lowerHash(w)))
	return f
}
