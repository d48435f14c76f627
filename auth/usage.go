package auth

import (
	"context"
	"sync"
	"time"
)

// Usage collects when keys were last used and writes them in batches, so the
// request path never waits for a store write.
type Usage struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// NewUsage returns an empty Usage.
func NewUsage() *Usage { return &Usage{seen: make(map[string]time.Time)} }

// Mark records that key id was used at t.
func (u *Usage) Mark(id string, t time.Time) {
	u.mu.Lock()
	if t.After(u.seen[id]) {
		u.seen[id] = t
	}
	u.mu.Unlock()
}

// Take returns and clears what was recorded since the last Take.
func (u *Usage) Take() map[string]time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return nil
	}
	m := u.seen
	u.seen = make(map[string]time.Time, len(m))
	return m
}

// Flush writes what was recorded with touch; on failure the times are kept
// for the next flush.
func (u *Usage) Flush(ctx context.Context, touch func(context.Context, map[string]time.Time) error) error {
	m := u.Take()
	if m == nil {
		return nil
	}
	if err := touch(ctx, m); err != nil {
		for id, t := range m {
			u.Mark(id, t)
		}
		return err
	}
	return nil
}
