// Package ratelimit enforces per-principal request rates and token quotas.
// A Limiter holds counters (in process memory, or in Redis so that replicas
// share them) and takes from several at once, all or nothing, so a request
// refused by its token quota does not also spend its request budget.
package ratelimit

import (
	"context"
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

// Counter names one budget: whose, which kind, and how large.
type Counter struct {
	Key    string // e.g. "apikey:key_123|requests"; opaque to the limiter, must not contain secrets
	Limit  int64  // units per period; > 0
	Period Period
}

// Result describes one counter after a Take, in the terms of OpenAI's
// x-ratelimit-* headers.
type Result struct {
	Limit     int64
	Remaining int64         // units left now (after this take, if it was allowed)
	Reset     time.Duration // until the counter is full again
	// RetryAfter, when the take was refused, is how long until enough units
	// are back for it; 0 when allowed.
	RetryAfter time.Duration
}

// Limiter takes units from counters.
type Limiter interface {
	// Take takes n[i] units from counters[i] for every i, atomically: either
	// all are taken (allowed = true) or none (allowed = false). results has
	// one entry per counter. A request larger than a counter's Limit is
	// refused with RetryAfter = Reset (it can never fit; callers say so).
	Take(ctx context.Context, now time.Time, counters []Counter, n []int64) (results []Result, allowed bool, err error)
	// Adjust adds delta units of use to a counter after the fact (negative to
	// give back an over-reservation, positive to charge an under-estimate).
	// The counter may go past its limit; it is never refused.
	Adjust(ctx context.Context, now time.Time, c Counter, delta int64) error
}
