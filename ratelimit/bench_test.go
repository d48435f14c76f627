package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/ratelimit"
)

// principals returns n principals' counters, as the pipeline builds them:
// a request counter and a token counter each.
func principals(n int) [][]ratelimit.Counter {
	ps := make([][]ratelimit.Counter, n)
	for i := range ps {
		base := fmt.Sprintf("apikey:key_%d|role|", i)
		ps[i] = []ratelimit.Counter{
			{Key: base + "rpm", Limit: 600, Period: ratelimit.Minute},
			{Key: base + "tpm", Limit: 1_000_000, Period: ratelimit.Minute},
		}
	}
	return ps
}

func benchmarkTake(b *testing.B, l ratelimit.Limiter, into func(time.Time, []ratelimit.Counter, []int64, []ratelimit.Result) (bool, error)) {
	ps := principals(1000)
	n := []int64{1, 1000}
	ctx := context.Background()
	b.Run("Take", func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now()
		for i := 0; b.Loop(); i++ {
			now = now.Add(time.Microsecond)
			if _, _, err := l.Take(ctx, now, ps[i%len(ps)], n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TakeInto", func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now()
		results := make([]ratelimit.Result, 2)
		for i := 0; b.Loop(); i++ {
			now = now.Add(time.Microsecond)
			if _, err := into(now, ps[i%len(ps)], n, results); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			results := make([]ratelimit.Result, 2)
			for i := 0; pb.Next(); i++ {
				if _, err := into(time.Now(), ps[i%len(ps)], n, results); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkMemoryTake: one request counter and one token counter per Take,
// over 1000 principals.
func BenchmarkMemoryTake(b *testing.B) {
	m := ratelimit.NewMemory()
	benchmarkTake(b, m, func(now time.Time, c []ratelimit.Counter, n []int64, r []ratelimit.Result) (bool, error) {
		return m.TakeInto(context.Background(), now, c, n, r)
	})
}

// BenchmarkRedisTake: the same against the local Redis, on its clock.
func BenchmarkRedisTake(b *testing.B) {
	c := redisClient(b)
	r := ratelimit.NewRedis(c, testPrefix(b, c))
	benchmarkTake(b, r, func(now time.Time, cs []ratelimit.Counter, n []int64, res []ratelimit.Result) (bool, error) {
		return r.TakeInto(context.Background(), now, cs, n, res)
	})
}
