package loadgen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxInFlight bounds the requests outstanding at once when
// Config.MaxInFlight is zero.
const DefaultMaxInFlight = 4096

// A Requester performs one request to completion (including reading the whole
// response body) and returns its HTTP status code and when the first byte of
// the response body arrived (the zero time if it does not measure it), or an
// error if no response was received.
type Requester func(ctx context.Context) (status int, firstByte time.Time, err error)

// Config describes one open-loop run.
type Config struct {
	// Rate is the intended number of requests per second.
	Rate float64
	// Warmup is sent first at the same rate and excluded from the Result.
	Warmup time.Duration
	// Duration is the measured window that follows the warm-up.
	Duration time.Duration
	// MaxInFlight bounds outstanding requests; a request scheduled while the
	// bound is reached is not sent and counts as dropped. Zero means
	// DefaultMaxInFlight.
	MaxInFlight int
}

// Result is the outcome of the measured window of a run.
type Result struct {
	Rate     float64       // intended rate
	Duration time.Duration // measured window
	Sent     int           // requests scheduled in the window
	OK       int           // 2xx responses
	BadCode  int           // non-2xx responses
	Codes    map[int]int   // non-2xx responses by status code
	Errors   int           // requests without a response (transport errors, timeouts)
	FirstErr error         // the first error of the window, if any
	Dropped  int           // requests not sent because MaxInFlight was reached
	// Latencies are the sorted latencies of the 2xx responses, each measured
	// from the request's intended send time to the end of its response body.
	Latencies []time.Duration
	// Latency summarizes Latencies.
	Latency Summary
	// Lags are the sorted delays with which the generator sent the requests
	// after their intended send times: its own overhead, included in
	// Latencies.
	Lags []time.Duration
	// Lag summarizes Lags.
	Lag Summary
	// TTFBs are the sorted times to first byte of the 2xx responses whose
	// Requester measured it, from the intended send time to the first byte
	// of the response body.
	TTFBs []time.Duration
	// TTFB summarizes TTFBs.
	TTFB Summary
	// Elapsed runs from the first intended send time of the window to the
	// last completion of a request of the window.
	Elapsed time.Duration
}

// Throughput returns the achieved rate of 2xx responses per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Merge pools the results of several runs at the same rate (for example
// rounds interleaved with runs against other targets) into one: counts,
// durations and samples are added up and the summaries recomputed.
func Merge(rs ...Result) Result {
	var m Result
	for _, r := range rs {
		m.Rate = r.Rate
		m.Duration += r.Duration
		m.Sent += r.Sent
		m.OK += r.OK
		m.BadCode += r.BadCode
		for code, n := range r.Codes {
			if m.Codes == nil {
				m.Codes = map[int]int{}
			}
			m.Codes[code] += n
		}
		if m.FirstErr == nil {
			m.FirstErr = r.FirstErr
		}
		m.Errors += r.Errors
		m.Dropped += r.Dropped
		m.Elapsed += r.Elapsed
		m.Latencies = append(m.Latencies, r.Latencies...)
		m.Lags = append(m.Lags, r.Lags...)
		m.TTFBs = append(m.TTFBs, r.TTFBs...)
	}
	m.Latency = Summarize(m.Latencies)
	m.Lag = Summarize(m.Lags)
	m.TTFB = Summarize(m.TTFBs)
	return m
}

// Failed returns the number of requests of the window that did not get a
// 2xx response.
func (r Result) Failed() int { return r.BadCode + r.Errors + r.Dropped }

type outcome uint8

const (
	notSent outcome = iota
	ok
	badCode
	failed
	dropped
)

// record is one request's outcome; each is written by exactly one goroutine.
type record struct {
	outcome outcome
	status  int
	err     error
	latency time.Duration // from the intended send time to completion
	ttfb    time.Duration // from the intended send time to the first body byte (0: not measured)
	done    time.Duration // completion, as an offset from the start
}

// Run sends requests with do on the open-loop schedule of cfg, waits for all
// of them to complete and returns the statistics of the measured window.
// Cancelling ctx stops sending; requests in flight get the cancelled ctx.
func Run(ctx context.Context, cfg Config, do Requester) Result {
	s := Schedule{Rate: cfg.Rate}
	warm := s.Count(cfg.Warmup)
	n := s.Count(cfg.Warmup + cfg.Duration)
	limit := int64(cfg.MaxInFlight)
	if limit <= 0 {
		limit = DefaultMaxInFlight
	}
	recs := make([]record, n)
	lags := make([]time.Duration, 0, n-warm)
	var wg sync.WaitGroup
	var inFlight atomic.Int64

	p := newPacer()
	start := time.Now()
	for i := range n {
		at := s.At(i)
		p.sleepUntil(start.Add(at))
		if ctx.Err() != nil {
			break
		}
		if i >= warm {
			lags = append(lags, time.Since(start)-at)
		}
		if inFlight.Load() >= limit {
			recs[i].outcome = dropped
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			status, first, err := do(ctx)
			done := time.Since(start)
			r := record{status: status, err: err, latency: done - at, done: done, outcome: ok}
			if !first.IsZero() {
				r.ttfb = max(first.Sub(start)-at, 1)
			}
			switch {
			case err != nil:
				r.outcome = failed
			case status < 200 || status > 299:
				r.outcome = badCode
			}
			recs[i] = r
		}()
	}
	p.release()
	wg.Wait()
	return summarize(cfg, recs[warm:], s.At(warm), lags)
}

// summarize computes the Result of the measured records, the first of which
// was intended to be sent at offset begin.
func summarize(cfg Config, recs []record, begin time.Duration, lags []time.Duration) Result {
	res := Result{Rate: cfg.Rate, Duration: cfg.Duration, Sent: len(recs)}
	lat := make([]time.Duration, 0, len(recs))
	var ttfb []time.Duration
	var last time.Duration
	for _, r := range recs {
		switch r.outcome {
		case ok:
			res.OK++
			lat = append(lat, r.latency)
			if r.ttfb > 0 {
				ttfb = append(ttfb, r.ttfb)
			}
		case badCode:
			res.BadCode++
			if res.Codes == nil {
				res.Codes = map[int]int{}
			}
			res.Codes[r.status]++
		case failed, notSent:
			res.Errors++
			if res.FirstErr == nil {
				res.FirstErr = r.err
			}
		case dropped:
			res.Dropped++
		}
		last = max(last, r.done)
	}
	if last > begin {
		res.Elapsed = last - begin
	}
	res.Latencies, res.Latency = lat, Summarize(lat)
	res.Lags, res.Lag = lags, Summarize(lags)
	res.TTFBs, res.TTFB = ttfb, Summarize(ttfb)
	return res
}
