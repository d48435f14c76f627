package auth

import (
	"sync"
	"time"

	"github.com/wardenhq/warden/store"
)

// Key cache limits.
const (
	keyCacheSize = 10000
	// keyCacheTTL backstops the version check: an entry is reloaded after
	// this long even if no change was signalled (say, the marker could not
	// be written).
	keyCacheTTL = time.Minute
)

// keyCache holds keys found by secret hash, each with the store's
// KeysVersion when it was read. An entry is used only while the version is
// unchanged, so a rotation or revocation by any process reaches the next
// request; expiry and grace periods are judged on every use. Unknown hashes
// are never cached.
type keyCache struct {
	mu sync.RWMutex
	m  map[[32]byte]*cachedKey
}

type cachedKey struct {
	match   store.Match
	id      *Identity // shared, read-only
	version int64
	loaded  time.Time
}

func (c *keyCache) get(h *[32]byte, version int64, now time.Time) *cachedKey {
	c.mu.RLock()
	e := c.m[*h]
	c.mu.RUnlock()
	if e == nil || e.version != version || now.Sub(e.loaded) >= keyCacheTTL || now.Before(e.loaded) {
		return nil
	}
	return e
}

func (c *keyCache) put(h *[32]byte, e *cachedKey) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= keyCacheSize {
		c.m = make(map[[32]byte]*cachedKey)
	}
	c.m[*h] = e
	c.mu.Unlock()
}
