package ner

import (
	"math/rand/v2"
)

// TrainOptions control Train.
type TrainOptions struct {
	Bits   uint8  // log2 of the weight table's rows (feature hashing)
	Epochs int    // passes over the data
	Seed   uint64 // shuffling seed: the same seed and data give the same model
	Logf   func(format string, args ...any)
}

// Train fits an averaged perceptron with greedy decoding: each token is
// labelled with the labels the model itself gave the tokens before it, as
// at run time, and a wrong label moves the weights of its features
// toward the right one.
func Train(docs []Doc, g *Gazetteer, o TrainOptions) *Model {
	m := newModel(o.Bits, g)
	size := len(m.w)
	w := make([]float64, size)   // current weights
	acc := make([]float64, size) // sum of weights over time, for the average
	stamp := make([]int64, size) // when each weight last changed
	var now int64
	upd := func(idx int, d float64) {
		acc[idx] += float64(now-stamp[idx]) * w[idx]
		stamp[idx] = now
		w[idx] += d
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5EED))
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	s := &scratch{}
	var gold []uint8
	for ep := 0; ep < o.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		errs, total := 0, 0
		for _, di := range order {
			d := &docs[di]
			text := []byte(d.Text)
			s.prepare(m, text)
			gold = goldLabels(d, s.toks, gold)
			var p1, p2 uint8
			for i := range s.toks {
				now++
				l := uint8(lO)
				if gated(s.info, i, p1) {
					s.labels[i] = l
					p2, p1 = p1, l
					continue
				}
				n := features(&s.fs, text, s.toks, s.info, i, p1, p2)
				var sc [numLabels]float32
				for _, f := range s.fs[:n] {
					row := w[int(f&m.mask)*numLabels:][:numLabels]
					for k, v := range row {
						sc[k] += float32(v)
					}
				}
				l = best(sc[:], p1)
				want := gold[i]
				if want != lO && !isB(want) && (p1 == lO || labelType(p1) != labelType(want)) {
					want-- // the span's start was missed: this token starts it
				}
				total++
				if l != want {
					errs++
					for _, f := range s.fs[:n] {
						base := int(f&m.mask) * numLabels
						upd(base+int(want), 1)
						upd(base+int(l), -1)
					}
				}
				s.labels[i] = l
				p2, p1 = p1, l
			}
		}
		if o.Logf != nil {
			o.Logf("epoch %d: %d/%d token errors (%.4f)", ep+1, errs, total, float64(errs)/float64(max(total, 1)))
		}
	}
	now++
	for i := range w {
		acc[i] += float64(now-stamp[i]) * w[i]
		w[i] = acc[i] / float64(now)
	}
	m.quantise(w)
	return m
}
