package auth_test

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

func benchOIDC(b *testing.B, opts auth.OIDCOptions) {
	clk := newClock()
	idp := newIdP(b, clk, wardentest.IdPOptions{Alg: "RS256"})
	a := newOIDC(b, clk, []config.OIDC{idp.Config()}, opts)
	r := bearer(idp.Token(map[string]any{"groups": []string{"legal", "eng"}, "preferred_username": "alice"}))
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOIDCCached: a token seen before (the common case: clients reuse
// an access token until it expires).
func BenchmarkOIDCCached(b *testing.B) { benchOIDC(b, auth.OIDCOptions{}) }

// BenchmarkOIDCUncached: full verification of an RS256 token every time.
func BenchmarkOIDCUncached(b *testing.B) { benchOIDC(b, auth.OIDCOptions{CacheSize: -1}) }

// BenchmarkOIDCCachedParallel: the cached path under concurrency.
func BenchmarkOIDCCachedParallel(b *testing.B) {
	clk := newClock()
	idp := newIdP(b, clk, wardentest.IdPOptions{Alg: "RS256"})
	a := newOIDC(b, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := bearer(tok)
		for pb.Next() {
			if _, err := a.Authenticate(context.Background(), r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
