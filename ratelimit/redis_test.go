package ratelimit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/ratelimit"
)

// TestRedisServerClock: on the Redis server's clock (as in production), a
// burst is allowed and the next take refused, with results in range. The
// now passed in is ignored: a replica whose clock is an hour off agrees.
func TestRedisServerClock(t *testing.T) {
	t.Parallel()
	c := redisClient(t)
	l := ratelimit.NewRedis(c, testPrefix(t, c))
	ctx := context.Background()
	counters := []ratelimit.Counter{{Key: "k", Limit: 5, Period: ratelimit.Minute}, {Key: "k", Limit: 50, Period: ratelimit.Day}}
	skewed := []time.Time{time.Now(), time.Now().Add(time.Hour), time.Now().Add(-time.Hour), {}, time.Now()}
	for i, now := range skewed {
		r, ok, err := l.Take(ctx, now, counters, []int64{1, 10})
		if err != nil || !ok {
			t.Fatalf("take %d: %v %v", i+1, ok, err)
		}
		if r[0].Remaining != int64(4-i) || r[1].Remaining != int64(40-10*i) {
			t.Fatalf("take %d: remaining %d and %d, want %d and %d", i+1, r[0].Remaining, r[1].Remaining, 4-i, 40-10*i)
		}
	}
	r, ok, err := l.Take(ctx, time.Now(), counters, []int64{1, 0})
	if err != nil || ok {
		t.Fatalf("take 6: %v %v, want refused", ok, err)
	}
	if m := r[0]; m.Remaining != 0 || m.RetryAfter <= 0 || m.RetryAfter > 12*time.Second || m.Reset <= 48*time.Second || m.Reset > time.Minute {
		t.Errorf("minute counter: %+v, want 0 remaining, retry in (0, 12s], reset in (48s, 60s]", m)
	}
	if d := r[1]; d.Remaining != 0 || d.RetryAfter != 0 || d.Reset <= 0 || d.Reset > 24*time.Hour {
		t.Errorf("day counter: %+v, want 0 remaining, no retry, reset in (0, 24h]", d)
	}
}

// TestRedisReplicas: two limiters with their own connections, as two
// gateway replicas, share one budget: together they allow exactly its limit.
func TestRedisReplicas(t *testing.T) {
	t.Parallel()
	a, b := redisClient(t), redisClient(t)
	prefix := testPrefix(t, a)
	replicas := []ratelimit.Limiter{ratelimit.NewRedis(a, prefix), ratelimit.NewRedis(b, prefix)}
	counters := []ratelimit.Counter{{Key: "shared|rpd", Limit: 100, Period: ratelimit.Day}, {Key: "shared|tpm", Limit: 1 << 40, Period: ratelimit.Minute}}
	day := time.Now().UTC().YearDay()
	got := takeConcurrently(t, replicas, counters, 32, 10, time.Now)
	if time.Now().UTC().YearDay() != day {
		t.Skip("the day changed during the test; its count is not meaningful")
	}
	if got != 100 {
		t.Fatalf("two replicas allowed %d of 640 takes, want exactly 100", got)
	}
}

// TestRedisKeysExpire: every key has a TTL that ends when its counter is
// full again, and a counter given back in full is deleted.
func TestRedisKeysExpire(t *testing.T) {
	t.Parallel()
	c := redisClient(t)
	prefix := testPrefix(t, c)
	l := ratelimit.NewRedis(c, prefix)
	ctx := context.Background()
	counters := []ratelimit.Counter{
		{Key: "k", Limit: 60, Period: ratelimit.Minute},
		{Key: "k", Limit: 60, Period: ratelimit.Day},
		{Key: "k", Limit: 60, Period: ratelimit.Month},
	}
	if _, ok, err := l.Take(ctx, time.Now(), counters, []int64{30, 30, 30}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	for _, k := range []struct {
		key      string
		min, max time.Duration
	}{
		{prefix + "m:k", 29 * time.Second, 30 * time.Second},
		{prefix + "d:k", time.Millisecond, 24 * time.Hour},
		{prefix + "mo:k", time.Millisecond, 31 * 24 * time.Hour},
	} {
		ttl, err := c.PTTL(ctx, k.key).Result()
		if err != nil || ttl < k.min || ttl > k.max {
			t.Errorf("PTTL %s = %v, %v; want in [%v, %v]", k.key, ttl, err, k.min, k.max)
		}
	}
	for _, cn := range counters {
		if err := l.Adjust(ctx, time.Now(), cn, -30); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Exists(ctx, prefix+"m:k", prefix+"d:k", prefix+"mo:k").Result(); err != nil || n != 0 {
		t.Errorf("%d keys left after giving everything back (%v), want 0", n, err)
	}
}

// TestRedisUnreachable: without Redis, Take and Adjust fail (callers fail
// closed) rather than allow.
func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	l := ratelimit.NewRedis(c, "warden-test:")
	ctx := context.Background()
	counter := ratelimit.Counter{Key: "k", Limit: 1, Period: ratelimit.Minute}
	r, ok, err := l.Take(ctx, time.Now(), []ratelimit.Counter{counter}, []int64{1})
	if err == nil || ok || r != nil || !strings.HasPrefix(err.Error(), "ratelimit: redis: ") {
		t.Errorf("Take = %v, %v, %v; want a ratelimit: redis: error", r, ok, err)
	}
	if err := l.Adjust(ctx, time.Now(), counter, 1); err == nil {
		t.Errorf("Adjust = nil, want an error")
	}
}
