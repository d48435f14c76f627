package ratelimit

import (
	"math"
	"math/bits"
	"time"
)

const (
	minuteNs = int64(time.Minute)
	// maxDebt caps how far Adjust can push a Minute counter past empty: at
	// most a year of refusals, however large the charge.
	maxDebt = 366 * 24 * int64(time.Hour)
)

// state is one counter's state, in Memory and in the arithmetic that the
// Redis script repeats in Lua. Times are Unix nanoseconds.
//
// A Minute counter is a GCRA: tat is the theoretical arrival time, the
// counter is full when tat <= now and empty when tat >= now + 1 minute
// (beyond that is debt that Adjust charged), and taking n units moves tat
// on by n minutes/Limit.
//
// A Day or Month counter has used units in the UTC window ending at end.
type state struct {
	tat  int64 // Minute
	end  int64 // Day, Month; 0: no window yet
	used int64 // Day, Month
}

// take reports counter c's Result if n units were taken from s at now, the
// state after, and whether they fit. s itself is unchanged. When they do not
// fit, the Result describes s as it is (with RetryAfter set).
func (s state) take(c Counter, now, n int64) (Result, state, bool) {
	if c.Period == Minute {
		return s.takeGCRA(c.Limit, now, n)
	}
	return s.takeWindow(c, now, n)
}

func (s state) takeGCRA(limit, now, n int64) (Result, state, bool) {
	tat := max(s.tat, now)
	r := Result{Limit: limit, Remaining: gcraRemaining(limit, now, tat), Reset: time.Duration(tat - now)}
	if n > limit {
		r.RetryAfter = r.Reset
		return r, s, false
	}
	after := tat + mulDiv(n, minuteNs, limit) // rounds down: a burst of Limit always fits
	if after-now > minuteNs {
		r.RetryAfter = time.Duration(after - minuteNs - now)
		return r, s, false
	}
	r.Remaining, r.Reset = gcraRemaining(limit, now, after), time.Duration(after-now)
	return r, state{tat: after}, true
}

// gcraRemaining is how many whole units fit between tat and now + 1 minute.
func gcraRemaining(limit, now, tat int64) int64 {
	room := now + minuteNs - tat
	if room <= 0 {
		return 0
	}
	return mulDiv(room, limit, minuteNs)
}

func (s state) takeWindow(c Counter, now, n int64) (Result, state, bool) {
	if s.end == 0 || now >= s.end {
		s = state{end: windowEnd(now, c.Period)}
	}
	r := Result{Limit: c.Limit, Remaining: max(0, c.Limit-s.used)}
	if s.used > 0 {
		r.Reset = time.Duration(s.end - now)
	}
	switch {
	case n > c.Limit:
		r.RetryAfter = r.Reset
		return r, s, false
	case s.used > c.Limit-n:
		r.RetryAfter = time.Duration(s.end - now)
		return r, s, false
	}
	s.used += n
	r.Remaining = c.Limit - s.used
	if s.used > 0 {
		r.Reset = time.Duration(s.end - now)
	}
	return r, s, true
}

// adjust returns s after delta units of use are added at now (see
// Limiter.Adjust).
func (s state) adjust(c Counter, now, delta int64) state {
	if c.Period == Minute {
		tat := max(s.tat, now)
		if delta >= 0 {
			tat = min(tat+min(mulDiv(delta, minuteNs, c.Limit), maxDebt), now+maxDebt)
		} else {
			tat -= mulDiv(-delta, minuteNs, c.Limit)
		}
		return state{tat: tat}
	}
	end := windowEnd(now, c.Period)
	switch {
	case s.end > end: // now is in a window that is over
		return s
	case s.end < end: // no use in now's window yet
		return state{end: end, used: max(0, delta)}
	case delta > 0 && s.used > math.MaxInt64-delta:
		s.used = math.MaxInt64
	default:
		s.used = max(0, s.used+delta)
	}
	return s
}

// idle reports whether s holds nothing worth keeping at now: the counter is
// full, so forgetting it changes nothing.
func (s state) idle(p Period, now int64) bool {
	if p == Minute {
		return s.tat <= now
	}
	return s.used <= 0 || now >= s.end
}

// windowEnd returns the end of the UTC day or month that contains now.
func windowEnd(now int64, p Period) int64 {
	y, m, d := time.Unix(0, now).UTC().Date()
	if p == Day {
		return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).UnixNano()
	}
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
}

// mulDiv returns a*b/c rounded down, for a, b >= 0 and c > 0, saturating at
// MaxInt64.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
