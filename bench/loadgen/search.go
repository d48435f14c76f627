package loadgen

import "time"

// Criteria decide whether a run sustained its intended rate.
type Criteria struct {
	// MinThroughput is the fraction of the intended rate that must be
	// achieved, e.g. 0.95.
	MinThroughput float64
	// MaxP99 bounds the 99th percentile latency.
	MaxP99 time.Duration
}

// Sustained reports whether r met c: no failed requests, a throughput of at
// least c.MinThroughput times the intended rate and a p99 latency of at most
// c.MaxP99.
func (c Criteria) Sustained(r Result) bool {
	return r.Sent > 0 && r.Failed() == 0 &&
		r.Throughput() >= c.MinThroughput*r.Rate &&
		r.Latency.P99 <= c.MaxP99
}

// Search finds the highest rate for which probe reports success. It probes
// start, then doubles the rate while probes succeed (up to limit), then
// bisects between the highest success and the lowest failure until they are
// within resolution (a fraction of the failing rate, e.g. 0.1) of each other.
// It returns the highest rate that succeeded, or 0 if none did, and whether
// the search stopped at limit rather than at a failure.
func Search(start, limit, resolution float64, probe func(rate float64) bool) (best float64, atLimit bool) {
	lo, hi := 0.0, start
	for probe(hi) {
		lo = hi
		if hi >= limit {
			return lo, true
		}
		hi = min(2*hi, limit)
	}
	for hi-lo > resolution*hi {
		mid := roundRate((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		if probe(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, false
}

// roundRate rounds a probed rate to two significant figures, so that reported
// rates read well (e.g. 6000 rather than 6143.75).
func roundRate(r float64) float64 {
	step := 1.0
	for r/step >= 100 {
		step *= 10
	}
	return float64(int(r/step+0.5)) * step
}
