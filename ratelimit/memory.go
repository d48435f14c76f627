package ratelimit

import (
	"context"
	"sync"
	"time"
)

var _ Limiter = (*Memory)(nil)

// Memory is a Limiter that keeps its counters in this process: for a single
// gateway, or for tests. It is safe for concurrent use; a Take holds one
// mutex once and allocates nothing but its results (TakeInto, nothing).
//
// Memory is bounded by the counters in use. A counter is forgotten once it
// is full again (a Minute counter at most a minute after its last take, a
// Day or Month counter when its window ends): every Take also looks at up
// to two entries per counter it was given, in Go's randomised map order, and
// drops those that are full, as Redis expires keys by sampling. So the map
// holds about twice the live counters at most, without a goroutine, a
// timer, or a pause to sweep them all.
type Memory struct {
	mu      sync.Mutex
	entries map[entryKey]*state
}

type entryKey struct {
	key    string
	period Period
}

// NewMemory returns an empty in-process Limiter.
func NewMemory() *Memory {
	return &Memory{entries: make(map[entryKey]*state)}
}

// Take implements Limiter.
func (m *Memory) Take(ctx context.Context, now time.Time, counters []Counter, n []int64) ([]Result, bool, error) {
	results := make([]Result, len(counters))
	ok, err := m.TakeInto(ctx, now, counters, n, results)
	if err != nil {
		return nil, false, err
	}
	return results, ok, nil
}

// TakeInto is Take writing its results into results[:len(counters)], so
// that a caller reusing the slice allocates nothing.
func (m *Memory) TakeInto(_ context.Context, now time.Time, counters []Counter, n []int64, results []Result) (bool, error) {
	if err := check(counters, n, results); err != nil {
		return false, err
	}
	t := now.UnixNano()
	type pending struct {
		e    *state
		cur  state
		next state
		ok   bool
	}
	var buf [4]pending
	todo := buf[:0]

	m.mu.Lock()
	defer m.mu.Unlock()
	allowed := true
	for i, c := range counters {
		e := m.entries[entryKey{c.Key, c.Period}]
		var cur state
		if e != nil {
			cur = *e
		}
		r, next, ok := cur.take(c, t, n[i])
		results[i] = r
		allowed = allowed && ok
		todo = append(todo, pending{e, cur, next, ok})
	}
	if !allowed {
		// Report the counters that had enough as they are, untouched.
		for i, c := range counters {
			if p := todo[i]; p.ok {
				results[i], _, _ = p.cur.take(c, t, 0)
			}
		}
	} else {
		for i, c := range counters {
			if n[i] == 0 {
				continue
			}
			p := todo[i]
			if p.e == nil {
				p.e = new(state)
				m.entries[entryKey{c.Key, c.Period}] = p.e
			}
			*p.e = p.next
		}
	}
	m.sweep(t, 2*len(counters))
	return allowed, nil
}

// Adjust implements Limiter.
func (m *Memory) Adjust(_ context.Context, now time.Time, c Counter, delta int64) error {
	if err := checkDelta(c, delta); err != nil {
		return err
	}
	t := now.UnixNano()
	k := entryKey{c.Key, c.Period}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[k]
	var cur state
	if e != nil {
		cur = *e
	}
	next := cur.adjust(c, t, delta)
	switch {
	case next.idle(c.Period, t):
		delete(m.entries, k)
	case e == nil:
		m.entries[k] = &next
	default:
		*e = next
	}
	m.sweep(t, 2)
	return nil
}

// sweep looks at up to k entries and drops those that are idle at now. Go
// starts each range over a map at a random place, so over many calls every
// entry is looked at. m.mu is held.
func (m *Memory) sweep(now int64, k int) {
	if k <= 0 {
		return
	}
	for key, e := range m.entries {
		if e.idle(key.period, now) {
			delete(m.entries, key)
		}
		if k--; k == 0 {
			return
		}
	}
}

// len returns the number of counters held.
func (m *Memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
