package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

func verifications(a *auth.OIDC) uint64 { return a.Stats().Verifications }

func TestOIDCCachedTokenNotReverified(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(map[string]any{"groups": []string{"legal"}})
	first := expect(t, a, tok, "")
	first.Groups = append(first.Groups, "admin") // a caller misbehaving
	first.Role = "admin"
	second := expect(t, a, tok, "")
	if n := verifications(a); n != 1 {
		t.Fatalf("%d signature verifications for two uses, want 1", n)
	}
	if second == first || second.Role != "" || len(second.Groups) != 1 || second.ID != first.ID {
		t.Fatalf("cached identity shared or altered: %+v", *second)
	}
	// Past CacheTTL the token is verified again (and still valid).
	clk.Add(auth.CacheTTL + time.Second)
	expect(t, a, tok, "")
	if n := verifications(a); n != 2 {
		t.Fatalf("%d verifications after the cache TTL, want 2", n)
	}
}

func TestOIDCExpiredCachedTokenRefused(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "ES256"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(map[string]any{"exp": clk.Unix(2 * time.Minute)})
	expect(t, a, tok, "")
	clk.Add(2*time.Minute - time.Second)
	expect(t, a, tok, "") // cached
	if n := verifications(a); n != 1 {
		t.Fatalf("%d verifications", n)
	}
	clk.Add(time.Minute) // 59 s past exp: beyond the leeway
	expect(t, a, tok, auth.ReasonOIDCExpired)
}

func TestOIDCTokenInLeewayNotCached(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "EdDSA"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(map[string]any{"exp": clk.Unix(-5 * time.Second)})
	expect(t, a, tok, "")
	expect(t, a, tok, "")
	if n := verifications(a); n != 2 {
		t.Fatalf("%d verifications, want 2: a token past exp must not be cached", n)
	}
}

func TestOIDCCacheBounded(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "EdDSA"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{CacheSize: 32})
	toks := make([]string, 200)
	for i := range toks {
		toks[i] = idp.Token(map[string]any{"sub": fmt.Sprint("u", i)})
		expect(t, a, toks[i], "")
	}
	before := verifications(a)
	for _, tok := range toks {
		expect(t, a, tok, "")
	}
	// At most 32 of 200 can have been served from the cache.
	if again := verifications(a) - before; again < 200-32 {
		t.Fatalf("only %d of 200 re-verified: the cache holds more than its size", again)
	}
}

func TestOIDCCacheDisabled(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "EdDSA"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{CacheSize: -1})
	tok := idp.Token(nil)
	expect(t, a, tok, "")
	expect(t, a, tok, "")
	if n := verifications(a); n != 2 {
		t.Fatalf("%d verifications", n)
	}
}
