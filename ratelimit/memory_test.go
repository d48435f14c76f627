package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/ratelimit"
)

// TestMemoryForgetsFullCounters: counters that are full again are dropped
// as later takes come, and counters still in use are kept.
func TestMemoryForgetsFullCounters(t *testing.T) {
	ctx := context.Background()
	m := ratelimit.NewMemory()
	take := func(now time.Time, key string, p ratelimit.Period) ratelimit.Result {
		t.Helper()
		r, ok, err := m.Take(ctx, now, []ratelimit.Counter{{Key: key, Limit: 100, Period: p}}, []int64{10})
		if err != nil || !ok {
			t.Fatalf("take %s: %v %v", key, ok, err)
		}
		return r[0]
	}
	for i := range 1000 {
		take(noon, fmt.Sprint("old", i), ratelimit.Minute)
		take(noon, fmt.Sprint("old", i), ratelimit.Day)
	}
	if got := m.Len(); got != 2000 {
		t.Fatalf("holding %d counters, want 2000", got)
	}
	later := noon.Add(2 * day) // every old counter is full again
	for i := range 100 {
		take(later, fmt.Sprint("live", i), ratelimit.Month)
	}
	for i := range 5000 {
		take(later.Add(time.Duration(i)*6*time.Second), "busy", ratelimit.Minute)
	}
	if got := m.Len(); got > 100+1+20 {
		t.Errorf("holding %d counters after 5000 takes, want about 101 (the live ones)", got)
	}
	for i := range 100 { // the live ones are all there, with their use
		if r := take(later, fmt.Sprint("live", i), ratelimit.Month); r.Remaining != 80 {
			t.Fatalf("live%d: remaining %d, want 80", i, r.Remaining)
		}
	}
	// A counter given back in full is forgotten at once.
	c := ratelimit.Counter{Key: "given-back", Limit: 100, Period: ratelimit.Minute}
	n := m.Len()
	take(later, c.Key, c.Period)
	if err := m.Adjust(ctx, later, c, -10); err != nil {
		t.Fatal(err)
	}
	if got := m.Len(); got > n {
		t.Errorf("holding %d counters after a full give-back, want at most %d", got, n)
	}
}

// TestMemoryTakeIntoAllocates: the hot path allocates nothing.
func TestMemoryTakeIntoAllocates(t *testing.T) {
	m := ratelimit.NewMemory()
	counters := []ratelimit.Counter{{Key: "k|rpm", Limit: 1e6, Period: ratelimit.Minute}, {Key: "k|tpd", Limit: 1e6, Period: ratelimit.Day}}
	n := []int64{1, 100}
	results := make([]ratelimit.Result, 2)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if ok, err := m.TakeInto(ctx, noon, counters, n, results); err != nil || !ok {
			t.Fatal(ok, err)
		}
	})
	if allocs != 0 {
		t.Errorf("TakeInto allocates %v times per call, want 0", allocs)
	}
}
