package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/ratelimit"
)

// redisClient connects to the test Redis at 127.0.0.1:6379. Without it the
// test fails, unless WARDEN_TEST_SKIP_REDIS=1 says to skip.
func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	if os.Getenv("WARDEN_TEST_SKIP_REDIS") == "1" {
		t.Skip("WARDEN_TEST_SKIP_REDIS=1")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at 127.0.0.1:6379: %v (start redis-server, or set WARDEN_TEST_SKIP_REDIS=1)", err)
	}
	return c
}

// testPrefix returns a key prefix of the test's own, whose keys are deleted
// when the test ends.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "warden-test:ratelimit:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// forEachLimiter runs f against a fresh Memory and a fresh Redis limiter.
// The Redis limiter runs on the caller's clock, so that both are held to
// the same exact results.
func forEachLimiter(t *testing.T, f func(t *testing.T, l ratelimit.Limiter)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		f(t, ratelimit.NewMemory())
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		c := redisClient(t)
		f(t, ratelimit.NewRedisCallerClock(c, testPrefix(t, c)))
	})
}

func res(limit, remaining int64, reset, retry time.Duration) ratelimit.Result {
	return ratelimit.Result{Limit: limit, Remaining: remaining, Reset: reset, RetryAfter: retry}
}

// A step is a Take (take != nil) or an Adjust of counter adjust by delta,
// at a time after the case's start.
type step struct {
	at      time.Duration
	take    []int64
	allowed bool
	want    []ratelimit.Result

	adjust int
	delta  int64
}

func take(at time.Duration, n []int64, allowed bool, want ...ratelimit.Result) step {
	return step{at: at, take: n, allowed: allowed, want: want}
}

func adjust(at time.Duration, counter int, delta int64) step {
	return step{at: at, adjust: counter, delta: delta}
}

var (
	noon     = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	sec      = time.Second
	ms       = time.Millisecond
	min      = time.Minute
	hour     = time.Hour
	day      = 24 * time.Hour
	ny       = time.FixedZone("UTC-5", -5*60*60)
	perMin10 = []ratelimit.Counter{{Key: "k", Limit: 10, Period: ratelimit.Minute}}
)

func TestBehaviour(t *testing.T) {
	tests := []struct {
		name     string
		start    time.Time
		counters []ratelimit.Counter
		steps    []step
	}{
		{
			name: "fresh counter is full", start: noon,
			counters: []ratelimit.Counter{{Key: "k", Limit: 7, Period: ratelimit.Minute}, {Key: "k", Limit: 7, Period: ratelimit.Month}},
			steps:    []step{take(0, []int64{0, 0}, true, res(7, 7, 0, 0), res(7, 7, 0, 0))},
		},
		{
			name: "burst then refusal", start: noon, counters: perMin10,
			steps: []step{
				take(0, []int64{9}, true, res(10, 1, 54*sec, 0)),
				take(0, []int64{1}, true, res(10, 0, 60*sec, 0)),
				take(0, []int64{1}, false, res(10, 0, 60*sec, 6*sec)),
				take(0, []int64{0}, true, res(10, 0, 60*sec, 0)), // a read of an empty counter
				take(5*sec, []int64{1}, false, res(10, 0, 55*sec, 1*sec)),
				take(6*sec, []int64{1}, true, res(10, 0, 60*sec, 0)),
			},
		},
		{
			name: "refills continuously", start: noon, counters: perMin10,
			steps: []step{
				take(0, []int64{10}, true, res(10, 0, 60*sec, 0)),
				take(30*sec, []int64{0}, true, res(10, 5, 30*sec, 0)),
				take(30*sec, []int64{5}, true, res(10, 0, 60*sec, 0)),
				take(89*sec, []int64{0}, true, res(10, 9, 1*sec, 0)),
				take(2*min, []int64{0}, true, res(10, 10, 0, 0)),
				take(2*min, []int64{1}, true, res(10, 9, 6*sec, 0)),
			},
		},
		{
			name: "all or nothing", start: noon,
			counters: []ratelimit.Counter{
				{Key: "k|requests", Limit: 10, Period: ratelimit.Minute},
				{Key: "k|tokens", Limit: 1000, Period: ratelimit.Minute},
				{Key: "k|tokens", Limit: 1500, Period: ratelimit.Day}, // same key, another counter
			},
			steps: []step{
				take(0, []int64{1, 900, 900}, true, res(10, 9, 6*sec, 0), res(1000, 100, 54*sec, 0), res(1500, 600, 12*hour, 0)),
				// The minute's tokens are short: nothing is taken.
				take(0, []int64{1, 200, 200}, false, res(10, 9, 6*sec, 0), res(1000, 100, 54*sec, 6*sec), res(1500, 600, 12*hour, 0)),
				take(0, []int64{1, 100, 100}, true, res(10, 8, 12*sec, 0), res(1000, 0, 60*sec, 0), res(1500, 500, 12*hour, 0)),
				// A minute on, the day's tokens are short.
				take(min, []int64{1, 600, 600}, false, res(10, 10, 0, 0), res(1000, 1000, 0, 0), res(1500, 500, 11*hour+59*min, 11*hour+59*min)),
				take(min, []int64{1, 500, 500}, true, res(10, 9, 6*sec, 0), res(1000, 500, 30*sec, 0), res(1500, 0, 11*hour+59*min, 0)),
			},
		},
		{
			name: "more than the limit never fits", start: noon,
			counters: []ratelimit.Counter{{Key: "k", Limit: 10, Period: ratelimit.Minute}, {Key: "k", Limit: 10, Period: ratelimit.Day}},
			steps: []step{
				take(0, []int64{11, 1}, false, res(10, 10, 0, 0), res(10, 10, 0, 0)), // RetryAfter = Reset = 0
				take(0, []int64{5, 5}, true, res(10, 5, 30*sec, 0), res(10, 5, 12*hour, 0)),
				take(0, []int64{11, 1}, false, res(10, 5, 30*sec, 30*sec), res(10, 5, 12*hour, 0)),
				take(0, []int64{1, 11}, false, res(10, 5, 30*sec, 0), res(10, 5, 12*hour, 12*hour)),
			},
		},
		{
			name: "adjust minute counter", start: noon,
			counters: []ratelimit.Counter{{Key: "k", Limit: 1000, Period: ratelimit.Minute}},
			steps: []step{
				take(0, []int64{500}, true, res(1000, 500, 30*sec, 0)),
				adjust(0, 0, -300),
				take(0, []int64{0}, true, res(1000, 800, 12*sec, 0)),
				adjust(0, 0, 1000), // past the limit: 12 s of debt
				take(0, []int64{0}, false, res(1000, 0, 72*sec, 12*sec)),
				take(12*sec, []int64{1}, false, res(1000, 0, 60*sec, 60*ms)),
				take(12*sec+60*ms, []int64{1}, true, res(1000, 0, 60*sec, 0)),
				adjust(12*sec+60*ms, 0, -100000), // never fuller than full
				take(12*sec+60*ms, []int64{0}, true, res(1000, 1000, 0, 0)),
				adjust(13*sec, 0, -5), // on a full counter: nothing to give back
				take(13*sec, []int64{1}, true, res(1000, 999, 60*ms, 0)),
			},
		},
		{
			name: "adjust day counter", start: time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC),
			counters: []ratelimit.Counter{{Key: "k", Limit: 100, Period: ratelimit.Day}},
			steps: []step{
				take(0, []int64{50}, true, res(100, 50, hour, 0)),
				adjust(0, 0, -80),
				take(0, []int64{0}, true, res(100, 100, 0, 0)),
				adjust(0, 0, 150),
				take(0, []int64{1}, false, res(100, 0, hour, hour)),
				take(0, []int64{0}, false, res(100, 0, hour, hour)), // past the limit refuses even a read
				take(hour, []int64{1}, true, res(100, 99, day, 0)),
				adjust(0, 0, -50), // for yesterday's window, which is over: dropped
				adjust(0, 0, 50),
				take(hour, []int64{0}, true, res(100, 99, day, 0)),
				adjust(hour, 0, 10),
				take(hour, []int64{0}, true, res(100, 89, day, 0)),
			},
		},
		{
			// The caller's clock is in New York; windows are UTC all the same.
			name: "day window resets at midnight UTC", start: time.Date(2026, 3, 14, 23, 59, 0, 0, time.UTC).In(ny),
			counters: []ratelimit.Counter{{Key: "k", Limit: 3, Period: ratelimit.Day}},
			steps: []step{
				take(0, []int64{3}, true, res(3, 0, min, 0)),
				take(0, []int64{1}, false, res(3, 0, min, min)),
				take(59*sec, []int64{1}, false, res(3, 0, sec, sec)),
				take(min, []int64{1}, true, res(3, 2, day, 0)),
			},
		},
		{
			name: "month window resets on the first, UTC (leap year)", start: time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
			counters: []ratelimit.Counter{{Key: "k", Limit: 5, Period: ratelimit.Month}},
			steps: []step{
				take(0, []int64{5}, true, res(5, 0, 12*hour, 0)),
				take(0, []int64{1}, false, res(5, 0, 12*hour, 12*hour)),
				take(12*hour-time.Microsecond, []int64{1}, false, res(5, 0, time.Microsecond, time.Microsecond)),
				take(12*hour, []int64{5}, true, res(5, 0, 31*day, 0)),
			},
		},
		{
			name: "month window rolls into January", start: time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC),
			counters: []ratelimit.Counter{{Key: "k", Limit: 5, Period: ratelimit.Month}},
			steps: []step{
				take(0, []int64{1}, true, res(5, 4, 30*min, 0)),
				take(30*min, []int64{1}, true, res(5, 4, 31*day, 0)),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
				ctx := context.Background()
				for i, s := range tt.steps {
					now := tt.start.Add(s.at)
					if s.take == nil {
						if err := l.Adjust(ctx, now, tt.counters[s.adjust], s.delta); err != nil {
							t.Fatalf("step %d: Adjust: %v", i, err)
						}
						continue
					}
					got, allowed, err := l.Take(ctx, now, tt.counters, s.take)
					if err != nil {
						t.Fatalf("step %d: Take: %v", i, err)
					}
					if allowed != s.allowed {
						t.Errorf("step %d: Take(%v) allowed = %v, want %v", i, s.take, allowed, s.allowed)
					}
					if diff := cmp.Diff(s.want, got); diff != "" {
						t.Errorf("step %d: Take(%v) results (-want +got):\n%s", i, s.take, diff)
					}
				}
			})
		})
	}
}

// TestBurstOfAnyLimit: a full counter allows exactly Limit units at once,
// whatever the rounding of minute/Limit.
func TestBurstOfAnyLimit(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		for _, tc := range []struct{ limit, n int64 }{{1, 1}, {3, 1}, {7, 1}, {13, 1}, {59, 1}, {61, 1}, {97, 1}, {7919, 89}, {1_000_003, 10_000}, {1 << 53, 1 << 50}} {
			c := []ratelimit.Counter{{Key: fmt.Sprint("burst", tc.limit), Limit: tc.limit, Period: ratelimit.Minute}}
			now := noon
			taken := int64(0)
			for taken+tc.n <= tc.limit {
				if _, ok, err := l.Take(ctx, now, c, []int64{tc.n}); err != nil || !ok {
					t.Fatalf("limit %d: take %d after %d: allowed %v, %v", tc.limit, tc.n, taken, ok, err)
				}
				taken += tc.n
			}
			if r, ok, err := l.Take(ctx, now, c, []int64{tc.n}); err != nil || ok {
				t.Fatalf("limit %d: take past the burst: allowed %v, %v, %+v", tc.limit, ok, err, r)
			}
		}
	})
}

func TestBadArguments(t *testing.T) {
	ok := ratelimit.Counter{Key: "k", Limit: 10, Period: ratelimit.Minute}
	takes := []struct {
		name     string
		counters []ratelimit.Counter
		n        []int64
	}{
		{"amounts missing", []ratelimit.Counter{ok, {Key: "j", Limit: 1}}, []int64{1}},
		{"zero limit", []ratelimit.Counter{{Key: "k"}}, []int64{1}},
		{"limit too large", []ratelimit.Counter{{Key: "k", Limit: ratelimit.MaxUnits + 1}}, []int64{1}},
		{"negative take", []ratelimit.Counter{ok}, []int64{-1}},
		{"unknown period", []ratelimit.Counter{{Key: "k", Limit: 1, Period: 3}}, []int64{1}},
		{"counter twice", []ratelimit.Counter{ok, ok}, []int64{1, 1}},
	}
	forEachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		for _, tc := range takes {
			if _, _, err := l.Take(ctx, noon, tc.counters, tc.n); err == nil || !strings.HasPrefix(err.Error(), "ratelimit: ") {
				t.Errorf("%s: Take error = %v, want a ratelimit: error", tc.name, err)
			}
		}
		for _, c := range []ratelimit.Counter{{Key: "k"}, {Key: "k", Limit: 1, Period: -1}} {
			if err := l.Adjust(ctx, noon, c, 1); err == nil {
				t.Errorf("Adjust(%+v) = nil, want an error", c)
			}
		}
		if err := l.Adjust(ctx, noon, ok, -ratelimit.MaxUnits-1); err == nil {
			t.Errorf("Adjust by -2^53-1 = nil, want an error")
		}
	})
}

// TestCalendarWindows: whatever the instant, a Day or Month counter's Reset
// after a take runs to the next UTC midnight or first of the month. (For
// Redis this checks the Lua calendar arithmetic against Go's.)
func TestCalendarWindows(t *testing.T) {
	instants := []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 28, 23, 59, 59, 999999000, time.UTC), // 2000 is a leap year
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2023, 2, 28, 12, 0, 0, 0, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2100, 2, 28, 6, 0, 0, 0, time.UTC), // 2100 is not
		time.Date(2199, 12, 31, 0, 0, 0, 1000, time.UTC),
	}
	for i := range 300 { // a deterministic spread over 1970-2200
		instants = append(instants, time.UnixMicro(int64(i)*23_987_654_321_337%7_258_118_400_000_000).UTC())
	}
	forEachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		for i, now := range instants {
			y, m, d := now.Date()
			wants := map[ratelimit.Period]time.Time{
				ratelimit.Day:   time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC),
				ratelimit.Month: time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC),
			}
			for p, end := range wants {
				c := []ratelimit.Counter{{Key: fmt.Sprint("cal", i), Limit: 10, Period: p}}
				got, ok, err := l.Take(ctx, now, c, []int64{1})
				if err != nil || !ok {
					t.Fatalf("%v %v: %v %v", now, p, ok, err)
				}
				if want := end.Sub(now); got[0].Reset != want {
					t.Errorf("%v %v: Reset = %v, want %v (until %v)", now, p, got[0].Reset, want, end)
				}
			}
		}
	})
}

// TestConcurrentTakes: however many goroutines take from one counter at
// once, no more than its limit is allowed.
func TestConcurrentTakes(t *testing.T) {
	forEachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		const limit, workers, each = 100, 32, 10
		c := []ratelimit.Counter{{Key: "hot", Limit: limit, Period: ratelimit.Minute}, {Key: "hot", Limit: limit, Period: ratelimit.Day}}
		if got := takeConcurrently(t, []ratelimit.Limiter{l}, c, workers, each, func() time.Time { return noon }); got != limit {
			t.Fatalf("allowed %d of %d takes, want exactly %d", got, workers*each, limit)
		}
	})
}

// takeConcurrently runs workers goroutines per limiter that each take one
// unit from counters each times, and returns how many takes were allowed.
func takeConcurrently(t *testing.T, ls []ratelimit.Limiter, counters []ratelimit.Counter, workers, each int, now func() time.Time) int {
	t.Helper()
	var (
		wg      sync.WaitGroup
		allowed atomic.Int64
		failed  atomic.Value
		n       = make([]int64, len(counters))
	)
	for i := range n {
		n[i] = 1
	}
	for _, l := range ls {
		for range workers {
			wg.Go(func() {
				for range each {
					_, ok, err := l.Take(context.Background(), now(), counters, n)
					if err != nil {
						failed.Store(err)
						return
					}
					if ok {
						allowed.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return int(allowed.Load())
}
