package auth_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// parallel authenticates every token from its own goroutine and returns
// the outcomes' reasons.
func parallel(a auth.Authenticator, toks []string) []auth.Reason {
	out := make([]auth.Reason, len(toks))
	var wg sync.WaitGroup
	for i, tok := range toks {
		wg.Go(func() {
			if _, err := authn(a, tok); err != nil {
				out[i] = err.(*auth.Error).Reason
			}
		})
	}
	wg.Wait()
	return out
}

func TestOIDCKeyRotation(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	oldKid := idp.SigningKID()
	expect(t, a, idp.Token(nil), "")
	if idp.DiscoveryFetches() != 1 || idp.JWKSFetches() != 1 {
		t.Fatalf("first use: discovery %d, jwks %d", idp.DiscoveryFetches(), idp.JWKSFetches())
	}

	// The IdP publishes a new key and signs with it: one refetch, no
	// restart; the old key still verifies while published.
	clk.Add(time.Minute)
	idp.Rotate(true)
	expect(t, a, idp.Token(map[string]any{"sub": "after"}), "")
	expect(t, a, idp.Token(map[string]any{"sub": "old"}, wardentest.WithKey(oldKid)), "")
	if idp.JWKSFetches() != 2 || idp.DiscoveryFetches() != 1 {
		t.Fatalf("after rotation: discovery %d, jwks %d fetches, want 1, 2", idp.DiscoveryFetches(), idp.JWKSFetches())
	}

	// Rotating again, the IdP withdraws the key it signed with: once the
	// key set is refetched, tokens that key signs are refused.
	clk.Add(time.Minute)
	midKid := idp.SigningKID()
	idp.Rotate(false)
	expect(t, a, idp.Token(nil), "")
	expect(t, a, idp.Token(map[string]any{"sub": "withdrawn"}, wardentest.WithKey(midKid)), auth.ReasonOIDCUnknownKey)
	expect(t, a, idp.Token(map[string]any{"sub": "kept"}, wardentest.WithKey(oldKid)), "")
	if idp.JWKSFetches() != 3 {
		t.Fatalf("jwks fetched %d times, want 3", idp.JWKSFetches())
	}
}

func TestOIDCUnknownKidFloodIsRateLimited(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "ES256"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	expect(t, a, idp.Token(nil), "")
	flood := func() []string {
		toks := make([]string, 200)
		for i := range toks {
			toks[i] = idp.Token(map[string]any{"jti": i}, wardentest.WithHeader("kid", fmt.Sprintf("random-%d-%d", clk.Now().Unix(), i)))
		}
		return toks
	}
	for round := 1; round <= 3; round++ {
		for i, r := range parallel(a, flood()) {
			if r != auth.ReasonOIDCUnknownKey {
				t.Fatalf("round %d token %d: %q", round, i, r)
			}
		}
		// The first round comes right after the first fetch: rate-limited,
		// no refetch. Later rounds are 31 s apart: one refetch each.
		if want := round; idp.JWKSFetches() != want {
			t.Fatalf("round %d: %d JWKS fetches, want %d", round, idp.JWKSFetches(), want)
		}
		clk.Add(31 * time.Second)
	}
	if idp.DiscoveryFetches() != 1 {
		t.Fatalf("%d discovery fetches", idp.DiscoveryFetches())
	}
}

func TestOIDCFirstFetchCoalesced(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "EdDSA"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	toks := make([]string, 64)
	for i := range toks {
		toks[i] = idp.Token(map[string]any{"sub": fmt.Sprint("u", i)})
	}
	for i, r := range parallel(a, toks) {
		if r != "" {
			t.Fatalf("token %d: %q", i, r)
		}
	}
	if idp.DiscoveryFetches() != 1 || idp.JWKSFetches() != 1 {
		t.Fatalf("discovery %d, jwks %d fetches, want 1 each", idp.DiscoveryFetches(), idp.JWKSFetches())
	}
}

func TestOIDCIdPUnreachableAtStart(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(nil)
	idp.Close()
	_, err := authn(a, tok)
	if reason(t, nil, err) != auth.ReasonUnavailable {
		t.Fatalf("got %v, want %s (503 in the pipeline)", err, auth.ReasonUnavailable)
	}
	noLeak(t, err, tok)
	// Again at once: still closed, and the IdP is not asked again yet.
	expect(t, a, tok, auth.ReasonUnavailable)
}

func TestOIDCIdPRecovers(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	tok := idp.Token(nil)
	idp.SetFailing(true)
	expect(t, a, tok, auth.ReasonUnavailable)
	idp.SetFailing(false)
	expect(t, a, tok, auth.ReasonUnavailable) // within the retry interval: not asked again
	clk.Add(6 * time.Second)
	expect(t, a, tok, "")
}

func TestOIDCIdPDownAfterKeysCached(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	expect(t, a, idp.Token(map[string]any{"sub": "first"}), "")
	idp.Close()
	clk.Add(time.Minute)
	// A new token (not in the token cache) verifies with the cached keys.
	expect(t, a, idp.Token(map[string]any{"sub": "second"}), "")
	// A kid the cached keys lack cannot be checked with the IdP down: 503.
	expect(t, a, idp.Token(nil, wardentest.WithHeader("kid", "new-kid")), auth.ReasonUnavailable)
	// Past the key set's maximum age the refresh fails in the background,
	// and the cached keys keep verifying.
	clk.Add(2 * time.Hour)
	for i := range 3 {
		expect(t, a, idp.Token(map[string]any{"sub": fmt.Sprint("later", i)}), "")
	}
}
