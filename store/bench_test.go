package store

import (
	"context"
	"testing"
)

// BenchmarkLookupSecret measures the hot path of API key authentication, one
// goroutine at a time (serial) and from GOMAXPROCS goroutines (parallel).
func BenchmarkLookupSecret(b *testing.B) {
	for _, driver := range drivers {
		b.Run(driver, func(b *testing.B) {
			db := openTest(b, driver, testDSN(b, driver))
			ctx := context.Background()
			const n = 1000
			for i := range n {
				k, s := newKey(i, 0)
				k.Models = []string{"gpt-*"}
				if err := db.CreateKey(ctx, k, s); err != nil {
					b.Fatal(err)
				}
			}
			_, s := newKey(n/2, 0)
			b.Run("serial", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := db.LookupSecret(ctx, s.Hash); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := db.LookupSecret(ctx, s.Hash); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
