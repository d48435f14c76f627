// Package ratelimit enforces per-principal request rates and token quotas.
// A Limiter holds counters (in process memory, or in Redis so that replicas
// share them) and takes from several at once, all or nothing, so a request
// refused by its token quota does not also spend its request budget.
package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Period is how a counter refills.
type Period int

// Periods.
const (
	// Minute counters refill continuously (GCRA): a limit of N per minute
	// allows a burst of N and regains one unit every minute/N.
	Minute Period = iota
	// Day and Month counters are fixed calendar windows in UTC that reset
	// at midnight and on the first of the month.
	Day
	Month
)

// String returns "minute", "day" or "month".
func (p Period) String() string {
	switch p {
	case Minute:
		return "minute"
	case Day:
		return "day"
	case Month:
		return "month"
	}
	return fmt.Sprintf("Period(%d)", int(p))
}

// MaxUnits bounds a counter's Limit and the units of one Take or Adjust
// (2^53, so that Redis's Lua, whose numbers are doubles, counts exactly).
const MaxUnits = 1 << 53

// Counter names one budget: whose, which kind, and how large. A counter is
// identified by Key and Period together; its Limit may change between calls
// (a reloaded configuration) and applies from then on.
type Counter struct {
	Key    string // e.g. "apikey:key_123|requests"; opaque to the limiter, must not contain secrets
	Limit  int64  // units per period; 0 < Limit <= MaxUnits
	Period Period
}

// Result describes one counter after a Take, in the terms of OpenAI's
// x-ratelimit-* headers.
type Result struct {
	Limit     int64
	Remaining int64         // units left now (after this take, if it was allowed); never negative
	Reset     time.Duration // until the counter is full again; 0 if it is full
	// RetryAfter, when the take was refused, is how long until enough units
	// are back on this counter for it; 0 when allowed, and 0 for the
	// counters of a refused take that had enough. A caller's Retry-After is
	// the largest over all results.
	RetryAfter time.Duration
}

// Limiter takes units from counters. Implementations are safe for
// concurrent use.
type Limiter interface {
	// Take takes n[i] units from counters[i] for every i, atomically: either
	// all are taken (allowed = true) or none (allowed = false). results has
	// one entry per counter. n[i] may be 0 to read a counter without taking
	// (refused only if Adjust has charged the counter past its limit).
	// A request larger than a counter's Limit is refused with RetryAfter =
	// Reset (it can never fit; callers say so). Counters must be distinct
	// (Key and Period). An error means the limiter could not decide (bad
	// arguments, or its store is unreachable); callers fail closed.
	Take(ctx context.Context, now time.Time, counters []Counter, n []int64) (results []Result, allowed bool, err error)
	// TakeInto is Take writing the results into results (len(counters)
	// entries), so that the request path does not allocate.
	TakeInto(ctx context.Context, now time.Time, counters []Counter, n []int64, results []Result) (allowed bool, err error)
	// Adjust adds delta units of use to a counter after the fact (negative to
	// give back an over-reservation, positive to charge an under-estimate).
	// The counter may go past its limit; it is never refused, and a give-back
	// never makes it fuller than full. now should be the time of the Take
	// being corrected: a Day or Month adjustment applies to the window that
	// contains now, and is dropped if the counter has moved on to a later one.
	Adjust(ctx context.Context, now time.Time, c Counter, delta int64) error
}

// check validates a Take's arguments.
func check(counters []Counter, n []int64, results []Result) error {
	if len(n) != len(counters) {
		return fmt.Errorf("ratelimit: %d counters but %d amounts", len(counters), len(n))
	}
	if len(results) < len(counters) {
		return fmt.Errorf("ratelimit: %d counters but room for %d results", len(counters), len(results))
	}
	for i, c := range counters {
		if err := checkCounter(c); err != nil {
			return err
		}
		if n[i] < 0 || n[i] > MaxUnits {
			return fmt.Errorf("ratelimit: counter %q: take %d units: want 0 to 2^53", c.Key, n[i])
		}
		for _, d := range counters[:i] {
			if d.Key == c.Key && d.Period == c.Period {
				return fmt.Errorf("ratelimit: counter %q (%v) listed twice", c.Key, c.Period)
			}
		}
	}
	return nil
}

func checkCounter(c Counter) error {
	if c.Limit <= 0 || c.Limit > MaxUnits {
		return fmt.Errorf("ratelimit: counter %q: limit %d: want 1 to 2^53", c.Key, c.Limit)
	}
	if c.Period < Minute || c.Period > Month {
		return fmt.Errorf("ratelimit: counter %q: unknown period %d", c.Key, int(c.Period))
	}
	return nil
}

func checkDelta(c Counter, delta int64) error {
	if err := checkCounter(c); err != nil {
		return err
	}
	if delta < -MaxUnits || delta > MaxUnits {
		return fmt.Errorf("ratelimit: counter %q: adjust by %d units: want -2^53 to 2^53", c.Key, delta)
	}
	return nil
}
