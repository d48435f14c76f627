package inject

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Example is one labelled text in feature form.
type Example struct {
	Idx    []uint32
	Val    []float32
	Dense  [NumDense]float32
	Label  bool
	Weight float64
}

// Features returns t's features as the trainer sees them: the whole text
// as one window (with its decoded payloads), each n-gram present once,
// the vector scaled to unit length (with the floor of minGrams).
func Features(t Text, bits uint8) Example {
	s := &scratch{}
	s.prepare(t)
	s.window(s.low, s.words, s.dec, t.Removed, 1<<bits-1)
	var e Example
	e.Idx = append(e.Idx, s.hashes...)
	sort.Slice(e.Idx, func(i, j int) bool { return e.Idx[i] < e.Idx[j] })
	k := float32(norm(len(e.Idx)))
	for range e.Idx {
		e.Val = append(e.Val, k)
	}
	for j, v := range s.dense {
		e.Dense[j] = float32(v)
	}
	e.Weight = 1
	return e
}

// TrainOptions tunes Train.
type TrainOptions struct {
	Bits   uint8   // log2 of the number of n-gram buckets
	Epochs int     // passes over the data
	Seed   uint64  // of the shuffle
	Rate   float64 // AdaGrad's learning rate
	L2     float64 // weight decay per update of a weight
	Logf   func(format string, args ...any)
}

// Train fits a logistic regression to the examples by AdaGrad, in an
// order shuffled with the seed: the same examples and options give the
// same model, bit for bit. The model is uncalibrated (Platt a=1, b=0)
// until Calibrate.
func Train(ex []Example, o TrainOptions) *Model {
	nb := 1 << o.Bits
	w := make([]float64, nb)
	g := make([]float64, nb)
	var dw, dg [NumDense]float64
	var bias, bg float64
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x1a7e))
	for ep := 0; ep < o.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss := 0.0
		for _, k := range order {
			e := &ex[k]
			z := bias
			for i, h := range e.Idx {
				z += w[h] * float64(e.Val[i])
			}
			for j, v := range e.Dense {
				z += dw[j] * float64(v)
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if e.Label {
				y = 1
			}
			loss -= e.Weight * (y*math.Log(max(p, 1e-12)) + (1-y)*math.Log(max(1-p, 1e-12)))
			d := e.Weight * (p - y)
			for i, h := range e.Idx {
				gr := d*float64(e.Val[i]) + o.L2*w[h]
				g[h] += gr * gr
				w[h] -= o.Rate * gr / math.Sqrt(g[h]+1e-8)
			}
			for j, v := range e.Dense {
				if v == 0 {
					continue
				}
				gr := d*float64(v) + o.L2*dw[j]
				dg[j] += gr * gr
				dw[j] -= o.Rate * gr / math.Sqrt(dg[j]+1e-8)
			}
			bg += d * d
			bias -= o.Rate * d / math.Sqrt(bg+1e-8)
		}
		if o.Logf != nil {
			o.Logf("epoch %d: weighted log-loss %.4f", ep+1, loss/float64(len(ex)))
		}
	}
	maxAbs := 0.0
	for _, v := range w {
		maxAbs = max(maxAbs, math.Abs(v))
	}
	m := &Model{bits: o.Bits, mask: uint32(nb - 1), scale: maxAbs / 32767, bias: bias, a: 1, b: 0, dense: dw, w: make([]int16, nb)}
	if m.scale == 0 {
		m.scale = 1
	}
	for i, v := range w {
		m.w[i] = int16(math.Round(v / m.scale))
	}
	return m
}

// Logit returns t's uncalibrated score (the log-odds before Platt
// scaling), through the same windows Score uses.
func (m *Model) Logit(t Text) float64 {
	s := m.scratch()
	r := m.score(s, t)
	m.pool.Put(s)
	return r.z
}

// Calibrate fits Platt scaling, p = sigmoid(a*z + b), to the logits of
// a calibration split and their labels (Newton's method on the log-loss,
// with Platt's smoothed targets). The classes weigh the same, so the
// probability assumes even odds before the text is read, whatever the mix
// of the calibration split; thresholds are set on that scale.
func (m *Model) Calibrate(z []float64, label []bool) {
	var npos, nneg float64
	for _, l := range label {
		if l {
			npos++
		} else {
			nneg++
		}
	}
	hi, lo := (npos+1)/(npos+2), 1/(nneg+2)
	wpos, wneg := (npos+nneg)/(2*max(npos, 1)), (npos+nneg)/(2*max(nneg, 1))
	loss := func(a, b float64) float64 {
		l := 0.0
		for i, zi := range z {
			t, w := lo, wneg
			if label[i] {
				t, w = hi, wpos
			}
			f := a*zi + b
			// log(1+e^f) - t*f, computed stably
			if f > 0 {
				l += w * (f + math.Log1p(math.Exp(-f)) - t*f)
			} else {
				l += w * (math.Log1p(math.Exp(f)) - t*f)
			}
		}
		return l
	}
	a, b := 1.0, 0.0
	cur := loss(a, b)
	for it := 0; it < 200; it++ {
		var ga, gb, haa, hab, hbb float64
		for i, zi := range z {
			t, w := lo, wneg
			if label[i] {
				t, w = hi, wpos
			}
			p := 1 / (1 + math.Exp(-(a*zi + b)))
			d := w * (p - t)
			ga += d * zi
			gb += d
			s := w * max(p*(1-p), 1e-12)
			haa += s * zi * zi
			hab += s * zi
			hbb += s
		}
		haa += 1e-6
		hbb += 1e-6
		det := haa*hbb - hab*hab
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		// Newton's step, halved until the loss falls.
		step := 1.0
		for ; step > 1e-8; step /= 2 {
			if l := loss(a-step*da, b-step*db); l < cur {
				a, b, cur = a-step*da, b-step*db, l
				break
			}
		}
		if step <= 1e-8 || math.Abs(step*da) < 1e-10 && math.Abs(step*db) < 1e-10 {
			break
		}
	}
	m.a, m.b = a, b
}

// Prob is the calibrated probability of a logit.
func (m *Model) Prob(z float64) float64 { return m.prob(z) }
