package ratelimit

import "github.com/redis/go-redis/v9"

// NewRedisCallerClock is NewRedis on the caller's clock instead of the
// server's, so that tests can set the time (and run the Lua arithmetic
// through the same exact table as Memory).
func NewRedisCallerClock(client redis.UniversalClient, prefix string) *Redis {
	r := NewRedis(client, prefix)
	r.serverClock = false
	return r
}

// Len returns how many counters m holds.
func (m *Memory) Len() int { return m.len() }
