package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// FuzzOIDCToken: no bearer string makes the OIDC authenticator panic, and
// none authenticates but the tokens the IdP itself signed.
func FuzzOIDCToken(f *testing.F) {
	clk := newClock()
	idp := newIdP(f, clk, wardentest.IdPOptions{})
	idp.AddKey("ES256", true)
	a := newOIDC(f, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{CacheSize: 64, RefetchInterval: time.Hour})
	genuine := map[string]bool{}
	issue := func(claims map[string]any, opts ...wardentest.TokenOption) string {
		tok := idp.Token(claims, opts...)
		genuine[tok] = true
		return tok
	}
	valid := issue(nil)
	f.Add(valid)
	f.Add(issue(map[string]any{"groups": []string{"a"}}, wardentest.WithoutKID()))
	f.Add(valid[:len(valid)-2])
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add(seg(map[string]any{"alg": "none"}) + "." + seg(map[string]any{"iss": idp.URL, "aud": "warden", "sub": "x", "exp": 1e10}) + ".")
	f.Add(seg(map[string]any{"alg": "HS256"}) + "." + seg(map[string]any{"iss": idp.URL}) + ".AAAA")
	f.Add(seg(map[string]any{"alg": "RS256", "kid": 7}) + "." + seg(map[string]any{"iss": []int{1}}) + ".")
	f.Add("..")
	f.Add(auth.NewKey())
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := authn(a, tok)
		if err == nil && !genuine[tok] {
			t.Fatalf("authenticated %q as %+v", tok, id)
		}
		if err != nil {
			if _, ok := err.(*auth.Error); !ok {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}
