package ner

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// Type is the kind of entity a span holds.
type Type uint8

// The entity types.
const (
	Person        Type = iota // a person's name, without title
	Location                  // a city, county, state or region below country level
	Organization              // a company, institution, agency or club
	StreetAddress             // house number, street and unit
	numTypes
)

var typeNames = [numTypes]string{"person", "location", "organization", "street_address"}

// String returns the type's name as the content detector spells it.
func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ParseType returns the Type named s.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), true
		}
	}
	return 0, false
}

// Span is an entity at text[Start:End].
type Span struct {
	Start, End int
	Type       Type
}

// Model is a trained labeller with its gazetteer. It is safe for
// concurrent use.
type Model struct {
	bits uint8
	mask uint64
	w    []int16 // weights[bucket*numLabels+label], quantised
	gaz  *Gazetteer
	pool sync.Pool
}

//go:embed model.bin
var modelBin []byte

var (
	defaultOnce  sync.Once
	defaultModel *Model
)

// Default returns the embedded model, loading it on first use. It panics
// if the embedded files are corrupt, which a test catches at build time.
func Default() *Model {
	defaultOnce.Do(func() {
		g, err := loadGazetteer(bytes.NewReader(gazetteerGz))
		if err != nil {
			panic("ner: embedded gazetteer: " + err.Error())
		}
		m, err := ReadModel(bytes.NewReader(modelBin), g)
		if err != nil {
			panic("ner: embedded model: " + err.Error())
		}
		defaultModel = m
	})
	return defaultModel
}

// DefaultGazetteer loads the embedded gazetteer, for the trainer.
func DefaultGazetteer() (*Gazetteer, error) { return loadGazetteer(bytes.NewReader(gazetteerGz)) }

type scratch struct {
	toks   []Token
	info   []tokInfo
	labels []uint8
	fs     [maxFeats]uint64
}

func (m *Model) getScratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}

func (s *scratch) prepare(m *Model, text []byte) {
	s.toks = Tokenize(text, s.toks[:0])
	n := len(s.toks)
	if cap(s.info) < n {
		s.info = make([]tokInfo, n)
		s.labels = make([]uint8, n)
	}
	s.info = s.info[:n]
	s.labels = s.labels[:n]
	m.analyse(text, s.toks, s.info)
}

// chunkSize bounds the text labelled at once, and so the scratch memory
// a call holds (about five bytes per byte of text): longer texts are cut
// at a line break (or else a space) before it.
const chunkSize = 32 << 10

// Find appends the entities in text to dst, in order, and returns it.
func (m *Model) Find(text []byte, dst []Span) []Span {
	s := m.getScratch()
	for off := 0; off < len(text); {
		end := chunkEnd(text, off)
		chunk := text[off:end]
		s.prepare(m, chunk)
		m.decode(chunk, s)
		n := len(dst)
		dst = appendSpans(dst, chunk, s.toks, s.labels)
		for i := n; i < len(dst); i++ {
			dst[i].Start += off
			dst[i].End += off
		}
		off = end
	}
	m.pool.Put(s)
	return dst
}

// chunkEnd returns where the chunk starting at off ends.
func chunkEnd(text []byte, off int) int {
	if len(text)-off <= chunkSize {
		return len(text)
	}
	lim := off + chunkSize
	if i := bytes.LastIndexByte(text[off+chunkSize/2:lim], '\n'); i >= 0 {
		return off + chunkSize/2 + i + 1
	}
	if i := bytes.LastIndexByte(text[off+chunkSize/2:lim], ' '); i >= 0 {
		return off + chunkSize/2 + i + 1
	}
	// No break in the second half: cut before a UTF-8 continuation byte never.
	for lim > off+1 && text[lim]&0xC0 == 0x80 {
		lim--
	}
	return lim
}

// decode labels every token greedily, left to right.
func (m *Model) decode(text []byte, s *scratch) {
	var p1, p2 uint8
	for i := range s.toks {
		l := uint8(lO)
		if !gated(s.info, i, p1) {
			n := features(&s.fs, text, s.toks, s.info, i, p1, p2)
			var sc [numLabels]int32
			for _, f := range s.fs[:n] {
				row := m.w[(f&m.mask)*numLabels:][:numLabels]
				for k, v := range row {
					sc[k] += int32(v)
				}
			}
			l = best(sc[:], p1)
		}
		s.labels[i] = l
		p2, p1 = p1, l
	}
}

// best returns the highest-scoring label allowed after prev: an I label
// only continues a span of its type.
func best[T int32 | float32](sc []T, prev uint8) uint8 {
	b := uint8(lO)
	for k := 1; k < numLabels; k++ {
		l := uint8(k)
		if !isB(l) && (prev == lO || labelType(prev) != labelType(l)) {
			continue
		}
		if sc[k] > sc[b] {
			b = l
		}
	}
	return b
}

// appendSpans turns labels into spans, trimming punctuation at the ends.
func appendSpans(dst []Span, text []byte, toks []Token, labels []uint8) []Span {
	for i := 0; i < len(toks); {
		if labels[i] == lO {
			i++
			continue
		}
		t := labelType(labels[i])
		j := i + 1
		for j < len(toks) && labels[j] != lO && !isB(labels[j]) && labelType(labels[j]) == t {
			j++
		}
		a, b := i, j
		for a < b && isPunctTok(text, toks[a]) {
			a++
		}
		for b > a && isPunctTok(text, toks[b-1]) {
			b--
		}
		if a < b {
			dst = append(dst, Span{Start: int(toks[a].Start), End: int(toks[b-1].End), Type: t})
		}
		i = j
	}
	return dst
}

func isPunctTok(text []byte, t Token) bool {
	_, cls := shapeOf(text[t.Start:t.End])
	return cls&cPunct != 0
}

const modelMagic = "WNER1\n"

// WriteTo writes the model's weights (gzip-compressed).
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	hdr := append([]byte(modelMagic), m.bits, numLabels)
	if _, err := zw.Write(hdr); err != nil {
		return 0, err
	}
	if err := binary.Write(zw, binary.LittleEndian, m.w); err != nil {
		return 0, err
	}
	return 0, zw.Close()
}

// ReadModel reads weights written by WriteTo, for use with gazetteer g
// (the one the model was trained with).
func ReadModel(r io.Reader, g *Gazetteer) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, len(modelMagic)+2)
	if _, err := io.ReadFull(zr, hdr); err != nil {
		return nil, err
	}
	if string(hdr[:len(modelMagic)]) != modelMagic || hdr[len(modelMagic)+1] != numLabels {
		return nil, errors.New("ner: not a model file of this version")
	}
	bits := hdr[len(modelMagic)]
	if bits < 8 || bits > 24 {
		return nil, errors.New("ner: bad table size")
	}
	m := newModel(bits, g)
	if err := binary.Read(zr, binary.LittleEndian, m.w); err != nil {
		return nil, err
	}
	return m, nil
}

func newModel(bits uint8, g *Gazetteer) *Model {
	return &Model{bits: bits, mask: 1<<bits - 1, w: make([]int16, (1<<bits)*numLabels), gaz: g}
}

// quantise stores float weights as int16 with one scale for the table.
func (m *Model) quantise(w []float64) {
	maxAbs := 0.0
	for _, v := range w {
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	if maxAbs == 0 {
		return
	}
	scale := 32000 / maxAbs
	for i, v := range w {
		m.w[i] = int16(math.Round(v * scale))
	}
}
