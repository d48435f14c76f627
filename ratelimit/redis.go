package ratelimit

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Limiter = (*Redis)(nil)

var (
	//go:embed common.lua
	commonLua string
	//go:embed take.lua
	takeLua string
	//go:embed adjust.lua
	adjustLua string

	takeScript   = redis.NewScript(commonLua + takeLua)
	adjustScript = redis.NewScript(commonLua + adjustLua)
)

// Redis is a Limiter whose counters live in Redis, so that every gateway
// replica using the same server and prefix shares them. Each Take is one
// Lua script (EVALSHA, falling back to EVAL), so it checks and takes all of
// its counters atomically, and replicas cannot race each other past a limit.
//
// The clock is the Redis server's (TIME), not the now the caller passes:
// replicas whose clocks disagree still agree on every counter. (Adjust uses
// the caller's now only to tell which Day or Month window it corrects.)
//
// Keys are prefix + "m:", "d:" or "mo:" (the period) + Counter.Key. A Minute
// counter is a string holding its GCRA theoretical arrival time in Unix
// microseconds, expiring when the counter is full again; a Day or Month
// counter is a hash {end, used} expiring when its window ends. Nothing lives
// longer than the counter has something to remember (a year at most, for a
// Minute counter that Adjust charged far past its limit).
//
// It needs Redis 5 or later (a script that reads TIME and then writes). The
// client may be a single server, a failover (Sentinel) client, or a
// cluster. In a cluster, the keys of one Take must share a hash slot: put a
// hash tag in Counter.Key (e.g. "{apikey:key_123}|requests"), or in prefix
// to keep every counter on one node. A Ring does not keep a Take atomic.
//
// If Redis cannot be reached, Take and Adjust return the error; callers fail
// closed.
type Redis struct {
	client      redis.UniversalClient
	prefix      string
	serverClock bool // false only in tests, to use the caller's now
}

// NewRedis returns a Limiter that keeps its counters in Redis under keys
// that start with prefix (e.g. "warden:rl:").
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix, serverClock: true}
}

var periodTag = [...]string{Minute: "m:", Day: "d:", Month: "mo:"}

func (r *Redis) key(c Counter) string {
	return r.prefix + periodTag[c.Period] + c.Key
}

func (r *Redis) clockArgs(now time.Time) (int64, string) {
	if r.serverClock {
		return now.UnixMicro(), "1"
	}
	return now.UnixMicro(), "0"
}

// Take implements Limiter.
func (r *Redis) Take(ctx context.Context, now time.Time, counters []Counter, n []int64) ([]Result, bool, error) {
	results := make([]Result, len(counters))
	ok, err := r.TakeInto(ctx, now, counters, n, results)
	if err != nil {
		return nil, false, err
	}
	return results, ok, nil
}

// TakeInto is Take writing its results into results[:len(counters)].
func (r *Redis) TakeInto(ctx context.Context, now time.Time, counters []Counter, n []int64, results []Result) (bool, error) {
	if err := check(counters, n, results); err != nil {
		return false, err
	}
	keys := make([]string, len(counters))
	args := make([]any, 2, 2+3*len(counters))
	args[0], args[1] = r.clockArgs(now)
	for i, c := range counters {
		keys[i] = r.key(c)
		args = append(args, c.Limit, int(c.Period), n[i])
	}
	out, err := takeScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(out) != 1+3*len(counters) {
		return false, fmt.Errorf("ratelimit: redis: script returned %d values for %d counters", len(out), len(counters))
	}
	for i, c := range counters {
		v := out[1+3*i:]
		results[i] = Result{
			Limit:      c.Limit,
			Remaining:  v[0],
			Reset:      time.Duration(v[1]) * time.Microsecond,
			RetryAfter: time.Duration(v[2]) * time.Microsecond,
		}
	}
	return out[0] == 1, nil
}

// Adjust implements Limiter.
func (r *Redis) Adjust(ctx context.Context, now time.Time, c Counter, delta int64) error {
	if err := checkDelta(c, delta); err != nil {
		return err
	}
	t, clock := r.clockArgs(now)
	err := adjustScript.Run(ctx, r.client, []string{r.key(c)}, t, clock, c.Limit, int(c.Period), delta).Err()
	if err != nil {
		return fmt.Errorf("ratelimit: redis: adjust %q: %w", c.Key, err)
	}
	return nil
}
