// Package inject is Warden's prompt-injection classifier: a logistic
// regression over hashed word 1-2-grams and character 3-5-grams of the
// lowercased text, with hand-written rule signals (override verbs aimed
// at earlier instructions, requests for the system prompt, fake
// conversation turns, decoded base64/hex/rot13 payloads, letter spacing,
// text that addresses an AI reading it, smuggled invisible characters)
// as extra dense features, calibrated to a probability by Platt scaling
// on a held-apart calibration split.
//
// # Contract
//
//   - Score never panics, on any input; the probability is in [0,1].
//   - Long texts are scored in overlapping windows of about 512 bytes,
//     and the highest window counts, so an injection buried in a long
//     document or tool result is not diluted by the text around it.
//   - Scoring is deterministic, safe for concurrent use, and allocates
//     nothing once warm (its buffers are pooled).
//
// The weights (model.bin) are embedded and loaded once, on first use.
// make injection-train rebuilds them (content/cmd/injtrain; fixed seed,
// byte-identical output), make injection-eval measures them on the
// held-out split (content/cmd/injeval). The caller sanitises the text
// first (content.Sanitize: invisible characters out, NFKC).
package inject

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"unicode/utf8"
)

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	bits  uint8
	mask  uint32
	scale float64 // of the quantised weights
	bias  float64
	a, b  float64 // Platt scaling: p = sigmoid(a*z + b)
	dense [NumDense]float64
	w     []int16
	pool  sync.Pool
}

//go:embed model.bin
var modelBin []byte

var (
	defaultOnce  sync.Once
	defaultModel *Model
)

// Default returns the embedded model, loading it on first use. It panics
// if the embedded file is corrupt, which a test catches at build time.
func Default() *Model {
	defaultOnce.Do(func() {
		m, err := ReadModel(bytes.NewReader(modelBin))
		if err != nil {
			panic("inject: embedded model: " + err.Error())
		}
		defaultModel = m
	})
	return defaultModel
}

const magic = "WINJ\x01"

// WriteTo writes the model in its binary format, gzip-compressed:
// "WINJ" 0x01, bits, the number of dense features (bytes), then
// float64s (little endian) scale, bias, Platt a and b, the dense
// weights, then 1<<bits int16 n-gram weights. The output depends only on
// the model.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.WriteByte(m.bits)
	buf.WriteByte(NumDense)
	for _, f := range append([]float64{m.scale, m.bias, m.a, m.b}, m.dense[:]...) {
		binary.Write(&buf, binary.LittleEndian, math.Float64bits(f))
	}
	binary.Write(&buf, binary.LittleEndian, m.w)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return int64(buf.Len()), zw.Close()
}

// ReadModel reads a model that WriteTo wrote.
func ReadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, err
	}
	if len(data) < len(magic)+2 || string(data[:len(magic)]) != magic {
		return nil, errors.New("not an injection model")
	}
	bits, nd := data[len(magic)], int(data[len(magic)+1])
	if bits < 8 || bits > 24 || nd != NumDense {
		return nil, fmt.Errorf("model has %d bits and %d dense features, want 8-24 and %d", bits, nd, NumDense)
	}
	data = data[len(magic)+2:]
	nf := 4 + NumDense
	if len(data) != nf*8+2<<bits {
		return nil, errors.New("model file has the wrong length")
	}
	f := make([]float64, nf)
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[i*8:]))
		if math.IsNaN(f[i]) || math.IsInf(f[i], 0) {
			return nil, errors.New("model has a weight that is not a number")
		}
	}
	m := &Model{bits: bits, mask: 1<<bits - 1, scale: f[0], bias: f[1], a: f[2], b: f[3], w: make([]int16, 1<<bits)}
	copy(m.dense[:], f[4:])
	data = data[nf*8:]
	for i := range m.w {
		m.w[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return m, nil
}

// Signal is a category of injection and how much it added to the score's
// log-odds.
type Signal struct {
	Name  string
	Score float64
}

// Feature is one feature and its contribution to the log-odds.
type Feature struct {
	Feature string
	Weight  float64
}

// minGrams is the fewest n-grams a text is scaled as if it had: a word
// or two ("answer", "user") carries little evidence, and without a floor
// its few n-grams would weigh as much as a sentence's.
const minGrams = 100

// norm scales the n-gram counts of a window with n n-grams.
func norm(n int) float64 { return 1 / math.Sqrt(float64(max(n, minGrams))) }

// Window sizes, in bytes of lowercased text: texts up to single are one
// window; longer ones are cut into windows of about size, starting
// every stride bytes.
const (
	single = 768
	size   = 512
	stride = 384
)

func (m *Model) scratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}

// Text is a text to score: Clean is the sanitised text (invisible
// characters removed, NFKC), Raw the text as it came (read for what
// invisible tag characters spell), Removed how many characters
// sanitising removed.
type Text struct {
	Raw, Clean []byte
	Removed    int
}

// prepare lowercases t into s.low and decodes its hidden payloads into
// s.dec.
func (s *scratch) prepare(t Text) {
	s.low = lower(s.low[:0], t.Clean)
	s.words = splitWords(s.words[:0], s.low)
	s.dec, s.tmp = payloads(s.dec[:0], s.low, t.Clean, s.words, s.tmp)
	if t.Removed > 0 {
		s.dec = tagText(s.dec, t.Raw)
	}
}

// tagText appends the ASCII that Unicode tag characters (U+E0020-E007E)
// in raw spell, lowercased, if any.
func tagText(dst, raw []byte) []byte {
	n := 0
	for i := 0; i < len(raw); {
		r, k := utf8.DecodeRune(raw[i:])
		i += k
		if 0xE0020 <= r && r <= 0xE007E {
			c := byte(r - 0xE0000)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			n++
		}
	}
	if n > 0 {
		dst = append(dst, '\n')
	}
	return dst
}

// window computes the features of low (a window) and, if pay is not
// empty, of the payloads decoded from the text: the n-grams' buckets go
// to s.hashes, the dense features to s.dense.
func (s *scratch) window(low []byte, ws []span, pay []byte, removed int, mask uint32) {
	s.dense = [NumDense]float64{}
	rules(&s.dense, &s.hits, low, ws)
	s.hashes, s.pad = ngrams(s.hashes[:0], s.pad, low, ws, mask)
	if len(pay) > 0 {
		mark := len(s.words)
		s.words = splitWords(s.words, pay)
		pws := s.words[mark:]
		s.hashes, s.pad = ngrams(s.hashes, s.pad, pay, pws, mask)
		var d [NumDense]float64
		rules(&d, &s.hits, pay, pws)
		strong := max(d[fOverride], d[fReveal], d[fJailbreak], d[fFakeTurn], d[fSwitch], d[fEvil], d[fForced], d[fNewTask], d[fExfil])
		s.dense[fEncoded] = max(0.3, strong)
		for j := range d {
			if j != fSmuggling {
				s.dense[j] = max(s.dense[j], d[j])
			}
		}
		s.words = s.words[:mark]
	}
	if removed > 0 {
		s.dense[fSmuggling] = min(1, float64(removed)/4)
	}
	s.hashes = s.set.unique(s.hashes, mask)
}

// bucketSet marks the buckets seen in a window, for keeping each n-gram
// once: features are present or absent, so a word repeated a hundred
// times ("tokens and more tokens ...") weighs as much as once. A bitmap
// over the buckets (32 KiB for 2^18), cleared bit by bit after use.
type bucketSet struct {
	bits []uint64
}

// unique removes repeated buckets (each at most mask) from hs, in
// place, keeping the first of each.
func (b *bucketSet) unique(hs []uint32, mask uint32) []uint32 {
	if n := int(mask)/64 + 1; len(b.bits) < n {
		b.bits = make([]uint64, n)
	}
	out := hs[:0]
	for _, h := range hs {
		w, bit := h>>6, uint64(1)<<(h&63)
		if b.bits[w]&bit == 0 {
			b.bits[w] |= bit
			out = append(out, h)
		}
	}
	for _, h := range out {
		b.bits[h>>6] = 0
	}
	return out
}

// windowWords appends to s.words the words of s.low within [lo, hi),
// relative to lo, and returns them.
func (s *scratch) windowWords(lo, hi int) []span {
	mark := len(s.words)
	for _, w := range s.words[:mark] {
		if int(w.s) >= lo && int(w.e) <= hi {
			s.words = append(s.words, span{w.s - int32(lo), w.e - int32(lo)})
		}
	}
	return s.words[mark:]
}

// windows calls f with each window of s.low: its bounds.
func windows(low []byte, f func(lo, hi int)) {
	if len(low) <= single {
		f(0, len(low))
		return
	}
	for lo := 0; lo < len(low); {
		hi := min(lo+size, len(low))
		if hi < len(low) {
			if k := bytes.LastIndexAny(low[hi-64:hi], " \n"); k >= 0 {
				hi = hi - 64 + k
			}
		}
		f(lo, hi)
		if hi == len(low) {
			return
		}
		next := lo + stride
		if k := bytes.IndexAny(low[next:min(next+64, len(low))], " \n"); k >= 0 {
			next += k + 1
		}
		lo = next
	}
}

// result is the best window's score and its dense features.
type result struct {
	z, zGrams float64
	dense     [NumDense]float64
	lo, hi    int
	first     bool
}

func (m *Model) score(s *scratch, t Text) result {
	s.prepare(t)
	best := result{z: math.Inf(-1)}
	first := true
	windows(s.low, func(lo, hi int) {
		low := s.low[lo:hi]
		mark := len(s.words)
		ws := s.windowWords(lo, hi)
		_ = mark
		var pay []byte
		if first {
			pay = s.dec
		}
		s.window(low, ws, pay, t.Removed, m.mask)
		s.words = s.words[:mark]
		var sum int32
		w := m.w
		for _, h := range s.hashes {
			sum += int32(w[h])
		}
		zg := float64(sum) * m.scale * norm(len(s.hashes))
		z := m.bias + zg
		for j, v := range s.dense {
			z += m.dense[j] * v
		}
		if z > best.z {
			best = result{z: z, zGrams: zg, dense: s.dense, lo: lo, hi: hi, first: first}
		}
		first = false
	})
	return best
}

// prob is the calibrated probability of a logit; a logit that is not a
// number (only a corrupt model gives one) counts as an injection: fail
// closed.
func (m *Model) prob(z float64) float64 {
	p := 1 / (1 + math.Exp(-(m.a*z + m.b)))
	if math.IsNaN(p) {
		return 1
	}
	return p
}

// Score returns the probability that t is an injection and the
// categories that drove it, strongest first (at least one when the
// probability is 0.05 or more).
func (m *Model) Score(t Text) (float64, []Signal) {
	s := m.scratch()
	r := m.score(s, t)
	m.pool.Put(s)
	p := m.prob(r.z)
	return p, m.signals(r, p)
}

// signals groups the positive contributions of the rule features by
// category.
func (m *Model) signals(r result, p float64) []Signal {
	var sig []Signal
	for j, v := range r.dense {
		c := m.dense[j] * v
		if c <= 0 {
			continue
		}
		name := denseCategory[j]
		found := false
		for i := range sig {
			if sig[i].Name == name {
				sig[i].Score += c
				found = true
			}
		}
		if !found {
			sig = append(sig, Signal{name, c})
		}
	}
	sort.SliceStable(sig, func(i, j int) bool { return sig[i].Score > sig[j].Score })
	if len(sig) == 0 && p >= 0.05 {
		name := "other"
		if !r.first {
			name = "indirect" // deep inside a long text
		}
		sig = append(sig, Signal{name, max(r.zGrams, 0)})
	}
	return sig
}

// Explain returns the n features that contributed most (by absolute
// value) to t's score, in its highest-scoring window.
func (m *Model) Explain(t Text, n int) []Feature {
	s := &scratch{}
	r := m.score(s, t)
	low := s.low[r.lo:r.hi]
	ws := splitWords(nil, low)
	var pay []byte
	if r.first {
		pay = s.dec
	}
	s.window(low, ws, pay, t.Removed, m.mask)
	hs, cnt := s.hashes, len(s.hashes)
	names := ngramNames(low, ws)
	if len(pay) > 0 {
		names = append(names, ngramNames(pay, splitWords(nil, pay))...)
	}
	contrib := map[string]float64{}
	var order []string
	for i, h := range hs {
		name := "?"
		if i < len(names) {
			name = names[i]
		}
		if _, ok := contrib[name]; !ok {
			order = append(order, name)
		}
		contrib[name] += float64(m.w[h]) * m.scale * norm(cnt)
	}
	var out []Feature
	for _, name := range order {
		out = append(out, Feature{Feature: bytesValid(name), Weight: contrib[name]})
	}
	for j, v := range s.dense {
		if v != 0 {
			out = append(out, Feature{Feature: DenseNames[j], Weight: m.dense[j] * v})
		}
	}
	out = append(out, Feature{Feature: "bias", Weight: m.bias})
	sort.SliceStable(out, func(i, j int) bool { return math.Abs(out[i].Weight) > math.Abs(out[j].Weight) })
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func bytesValid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
}
