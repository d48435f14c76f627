package auth

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"
)

// tokenCache remembers verified tokens by the SHA-256 of their text, so a
// token presented again skips signature verification until its entry
// expires. It is split into shards, each under its own lock, so parallel
// requests rarely contend. A full shard drops its expired entries, then
// arbitrary ones (Go's map order) until an eighth is free.
type tokenCache struct {
	shards   [cacheShards]cacheShard
	perShard int
}

const cacheShards = 16

type cacheShard struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]cacheEntry
	_  [40]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	id    *Identity // never modified once cached
	until time.Time
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{perShard: max(1, (size+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]cacheEntry)
	}
	return c
}

// tokenHash is the cache key of tok. It hashes the string's bytes in place
// (sha256 does not retain them) to spare a copy of up to MaxTokenBytes.
func tokenHash(tok string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(tok), len(tok)))
}

// get returns the cached Identity for key, or nil if there is none or it
// has expired at now.
func (c *tokenCache) get(key *[sha256.Size]byte, now time.Time) *Identity {
	s := &c.shards[key[0]%cacheShards]
	s.mu.Lock()
	e, ok := s.m[*key]
	s.mu.Unlock()
	if !ok || !now.Before(e.until) {
		return nil
	}
	return e.id
}

// put caches id under key until the given time.
func (c *tokenCache) put(key *[sha256.Size]byte, id *Identity, until, now time.Time) {
	s := &c.shards[key[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.perShard {
		s.evict(now, c.perShard-c.perShard/8)
	}
	s.m[*key] = cacheEntry{id: id, until: until}
}

// evict drops expired entries, then arbitrary ones until fewer than keep
// remain.
func (s *cacheShard) evict(now time.Time, keep int) {
	for k, e := range s.m {
		if !now.Before(e.until) {
			delete(s.m, k)
		}
	}
	for k := range s.m {
		if len(s.m) < keep {
			break
		}
		delete(s.m, k)
	}
}
