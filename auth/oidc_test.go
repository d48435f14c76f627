package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// idps is the cast of TestOIDCAdversarial: three configured issuers with
// different algorithms and claim mappings, and one that is not configured.
type idps struct {
	clk   *fakeClock
	rs    *wardentest.IdP // RS256 signing key, a published PS256 key, an unpublished RS256 key; allows RS256, RS384
	es    *wardentest.IdP // ES256, JWKs without alg; groups at realm_access.roles
	ed    *wardentest.IdP // EdDSA; subject oid, groups at "https://warden.example/groups"
	other *wardentest.IdP // not configured
	psKid string
	unpub string
	a     *auth.OIDC
}

func newIdPs(t *testing.T) *idps {
	p := &idps{clk: newClock()}
	p.rs = newIdP(t, p.clk, wardentest.IdPOptions{})
	p.psKid = p.rs.AddKey("PS256", true)
	p.unpub = p.rs.AddKey("RS256", false)
	p.es = newIdP(t, p.clk, wardentest.IdPOptions{Alg: "ES256", OmitJWKAlg: true})
	p.ed = newIdP(t, p.clk, wardentest.IdPOptions{Alg: "EdDSA"})
	p.other = newIdP(t, p.clk, wardentest.IdPOptions{Alg: "ES256"})
	rs, es, ed := p.rs.Config(), p.es.Config(), p.ed.Config()
	rs.Algorithms = []string{"RS256", "RS384"}
	es.GroupsClaim = "realm_access.roles"
	ed.SubjectClaim, ed.GroupsClaim = "oid", "https://warden.example/groups"
	p.a = newOIDC(t, p.clk, []config.OIDC{rs, es, ed}, auth.OIDCOptions{})
	if err := p.a.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

// claims are valid claims for issuer iss, to build tokens by hand.
func (p *idps) claims(iss string) map[string]any {
	return map[string]any{"iss": iss, "aud": "warden", "sub": "mallory", "iat": p.clk.Unix(0), "exp": p.clk.Unix(time.Hour)}
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return b64(b)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hs256 "signs" a token with HMAC-SHA256 under secret.
func hs256(header, claims map[string]any, secret []byte) string {
	in := seg(header) + "." + seg(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tamper re-encodes tok's payload after edit, keeping header and signature.
func tamper(tok string, edit func(map[string]any)) string {
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	json.Unmarshal(b, &c)
	edit(c)
	return parts[0] + "." + seg(c) + "." + parts[2]
}

func TestOIDCAdversarial(t *testing.T) {
	p := newIdPs(t)
	rsPub := p.rs.PublicKey(p.rs.SigningKID()).(*rsa.PublicKey)
	pkix, _ := x509.MarshalPKIXPublicKey(rsPub)
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1 := x509.MarshalPKCS1PublicKey(rsPub)
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})
	hsHeader := map[string]any{"alg": "HS256", "typ": "JWT", "kid": p.rs.SigningKID()}
	now := p.clk.Unix

	groups := func(want ...string) func(*testing.T, *auth.Identity) {
		return func(t *testing.T, id *auth.Identity) {
			if !slices.Equal(id.Groups, want) {
				t.Fatalf("groups %q, want %q", id.Groups, want)
			}
		}
	}
	tests := []struct {
		name  string
		tok   func() string
		want  auth.Reason
		check func(*testing.T, *auth.Identity)
	}{
		{"valid RS256", func() string { return p.rs.Token(map[string]any{"groups": []string{"legal", "eng"}}) }, "", func(t *testing.T, id *auth.Identity) {
			want := auth.Identity{ID: p.rs.URL + "#user-1", Type: "oidc", Name: "user-1", Groups: []string{"legal", "eng"}}
			if id.ID != want.ID || id.Type != want.Type || id.Name != want.Name || id.Role != "" || !slices.Equal(id.Groups, want.Groups) {
				t.Fatalf("identity %+v, want %+v", *id, want)
			}
		}},
		{"valid ES256", func() string { return p.es.Token(nil) }, "", groups()},
		{"valid EdDSA", func() string { return p.ed.Token(map[string]any{"oid": "0000-1111"}) }, "", func(t *testing.T, id *auth.Identity) {
			if id.ID != p.ed.URL+"#0000-1111" {
				t.Fatalf("ID %q", id.ID)
			}
		}},
		{"name from preferred_username", func() string {
			return p.rs.Token(map[string]any{"sub": "u-42", "preferred_username": "alice", "email": "a@example.com"})
		}, "", func(t *testing.T, id *auth.Identity) {
			if id.Name != "alice" || id.ID != p.rs.URL+"#u-42" {
				t.Fatalf("identity %+v", *id)
			}
		}},
		{"expired", func() string { return p.rs.Token(map[string]any{"exp": now(-time.Minute)}) }, auth.ReasonOIDCExpired, nil},
		{"expired within leeway", func() string { return p.rs.Token(map[string]any{"exp": now(-10 * time.Second)}) }, "", nil},
		{"expired exactly at leeway", func() string { return p.rs.Token(map[string]any{"exp": now(-30 * time.Second)}) }, auth.ReasonOIDCExpired, nil},
		{"no exp", func() string { return p.rs.Token(map[string]any{"exp": nil}) }, auth.ReasonOIDCMalformed, nil},
		{"exp not a number", func() string { return p.rs.Token(map[string]any{"exp": "9999999999"}) }, auth.ReasonOIDCMalformed, nil},
		{"nbf in the future", func() string { return p.rs.Token(map[string]any{"nbf": now(2 * time.Minute)}) }, auth.ReasonOIDCNotYetValid, nil},
		{"nbf within leeway", func() string { return p.rs.Token(map[string]any{"nbf": now(10 * time.Second)}) }, "", nil},
		{"iat in the future", func() string { return p.rs.Token(map[string]any{"iat": now(2 * time.Minute)}) }, auth.ReasonOIDCNotYetValid, nil},
		{"unconfigured issuer", func() string { return p.other.Token(nil) }, auth.ReasonOIDCUnknownIssuer, nil},
		{"iss rewritten to another configured issuer", func() string {
			return tamper(p.rs.Token(nil), func(c map[string]any) { c["iss"] = p.es.URL })
		}, auth.ReasonOIDCUnknownKey, nil}, // es's keys are used, and none has rs's kid
		{"issuer with trailing slash", func() string { return p.rs.Token(map[string]any{"iss": p.rs.URL + "/"}) }, auth.ReasonOIDCUnknownIssuer, nil},
		{"no iss", func() string { return p.rs.Token(map[string]any{"iss": nil}) }, auth.ReasonOIDCMalformed, nil},
		{"wrong audience", func() string { return p.rs.Token(map[string]any{"aud": "someone-else"}) }, auth.ReasonOIDCWrongAudience, nil},
		{"no audience", func() string { return p.rs.Token(map[string]any{"aud": nil}) }, auth.ReasonOIDCWrongAudience, nil},
		{"aud array with ours", func() string { return p.rs.Token(map[string]any{"aud": []string{"api://other", "warden"}}) }, "", nil},
		{"aud array without ours", func() string { return p.rs.Token(map[string]any{"aud": []string{"api://other", "warden2"}}) }, auth.ReasonOIDCWrongAudience, nil},
		{"alg none", func() string {
			return seg(map[string]any{"alg": "none", "typ": "JWT"}) + "." + seg(p.claims(p.rs.URL)) + "."
		}, auth.ReasonOIDCAlgNotAllowed, nil},
		{"alg None with kid", func() string {
			return seg(map[string]any{"alg": "None", "kid": p.rs.SigningKID()}) + "." + seg(p.claims(p.rs.URL)) + "."
		}, auth.ReasonOIDCAlgNotAllowed, nil},
		{"HS256 keyed with RSA public key PEM (PKIX)", func() string { return hs256(hsHeader, p.claims(p.rs.URL), pkixPEM) }, auth.ReasonOIDCAlgNotAllowed, nil},
		{"HS256 keyed with RSA public key DER (PKIX)", func() string { return hs256(hsHeader, p.claims(p.rs.URL), pkix) }, auth.ReasonOIDCAlgNotAllowed, nil},
		{"HS256 keyed with RSA public key PEM (PKCS1)", func() string { return hs256(hsHeader, p.claims(p.rs.URL), pkcs1PEM) }, auth.ReasonOIDCAlgNotAllowed, nil},
		{"HS256 keyed with RSA public key DER (PKCS1)", func() string { return hs256(hsHeader, p.claims(p.rs.URL), pkcs1) }, auth.ReasonOIDCAlgNotAllowed, nil},
		{"signed by a key not in the JWKS", func() string { return p.rs.Token(nil, wardentest.WithKey(p.unpub)) }, auth.ReasonOIDCUnknownKey, nil},
		{"unknown key claiming a published kid", func() string {
			return p.rs.Token(nil, wardentest.WithKey(p.unpub), wardentest.WithHeader("kid", p.rs.SigningKID()))
		}, auth.ReasonOIDCBadSignature, nil},
		{"missing kid, several keys", func() string { return p.rs.Token(nil, wardentest.WithoutKID()) }, auth.ReasonOIDCMissingKid, nil},
		{"missing kid, one key", func() string { return p.es.Token(nil, wardentest.WithoutKID()) }, "", nil},
		{"tampered payload", func() string {
			return tamper(p.rs.Token(nil), func(c map[string]any) { c["groups"] = []string{"admin"} })
		}, auth.ReasonOIDCBadSignature, nil},
		{"tampered signature", func() string {
			tok := p.es.Token(nil)
			i := strings.LastIndexByte(tok, '.') + 1
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i:])
			sig[len(sig)/2] ^= 0x01
			return tok[:i] + b64(sig)
		}, auth.ReasonOIDCBadSignature, nil},
		{"signature of another token", func() string {
			a, b := p.rs.Token(nil), p.rs.Token(map[string]any{"sub": "root"})
			return b[:strings.LastIndexByte(b, '.')] + a[strings.LastIndexByte(a, '.'):]
		}, auth.ReasonOIDCBadSignature, nil},
		{"alg outside the issuer's allowlist", func() string { return p.rs.Token(nil, wardentest.WithKey(p.psKid)) }, auth.ReasonOIDCAlgNotAllowed, nil},
		{"RS256 header on an EC key (JWK without alg)", func() string {
			return p.es.Token(nil, wardentest.WithHeader("alg", "RS256"))
		}, auth.ReasonOIDCKeyMismatch, nil},
		{"RS384 header on an RS256 JWK", func() string {
			return p.rs.Token(nil, wardentest.WithHeader("alg", "RS384"))
		}, auth.ReasonOIDCKeyMismatch, nil},
		{"ES384 header on a P-256 key", func() string {
			return p.es.Token(nil, wardentest.WithHeader("alg", "ES384"))
		}, auth.ReasonOIDCKeyMismatch, nil},
		{"crit header", func() string { return p.rs.Token(nil, wardentest.WithHeader("crit", []string{"exp"})) }, auth.ReasonOIDCMalformed, nil},
		{"embedded jwk header is ignored", func() string {
			return p.rs.Token(nil, wardentest.WithKey(p.unpub), wardentest.WithHeader("jwk", wardentest.JWK(p.rs.PublicKey(p.unpub), p.unpub, "RS256")),
				wardentest.WithHeader("jku", p.other.URL+"/jwks"))
		}, auth.ReasonOIDCUnknownKey, nil},
		{"no Authorization", func() string { return "" }, auth.ReasonNoCredentials, nil},
		{"API key", func() string { return auth.NewKey() }, auth.ReasonNoCredentials, nil},
		{"two segments", func() string { t := p.rs.Token(nil); return t[:strings.LastIndexByte(t, '.')] }, auth.ReasonNoCredentials, nil},
		{"JWE (five segments)", func() string { return "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d" }, auth.ReasonNoCredentials, nil},
		{"bad base64", func() string { return "eyJ!!!.eyJ@@@.###" }, auth.ReasonOIDCMalformed, nil},
		{"padded base64", func() string { t := p.rs.Token(nil); return strings.Replace(t, ".", "=.", 1) }, auth.ReasonOIDCMalformed, nil},
		{"empty segments", func() string { return ".." }, auth.ReasonOIDCMalformed, nil},
		{"header not JSON", func() string { return seg("x")[:2] + "." + seg(p.claims(p.rs.URL)) + ".c2ln" }, auth.ReasonOIDCMalformed, nil},
		{"header a JSON array", func() string { return seg([]string{"alg"}) + "." + seg(p.claims(p.rs.URL)) + ".c2ln" }, auth.ReasonOIDCMalformed, nil},
		{"payload a JSON array", func() string { return seg(map[string]any{"alg": "RS256"}) + "." + seg([]int{1}) + ".c2ln" }, auth.ReasonOIDCMalformed, nil},
		{"huge token", func() string {
			return seg(map[string]any{"alg": "RS256"}) + "." + strings.Repeat("A", auth.MaxTokenBytes) + ".c2ln"
		}, auth.ReasonOIDCMalformed, nil},
		{"nested groups realm_access.roles", func() string {
			return p.es.Token(map[string]any{"realm_access": map[string]any{"roles": []string{"legal", "offline_access"}}, "groups": []string{"ignored"}})
		}, "", groups("legal", "offline_access")},
		{"groups as a single string", func() string { return p.rs.Token(map[string]any{"groups": "legal"}) }, "", groups("legal")},
		{"groups missing", func() string { return p.rs.Token(nil) }, "", groups()},
		{"groups of the wrong type", func() string { return p.rs.Token(map[string]any{"groups": map[string]any{"a": 1}}) }, auth.ReasonOIDCMalformed, nil},
		{"groups with a non-string", func() string { return p.rs.Token(map[string]any{"groups": []any{"legal", 7}}) }, auth.ReasonOIDCMalformed, nil},
		{"nested groups path through a non-object", func() string { return p.es.Token(map[string]any{"realm_access": "legal"}) }, "", groups()},
		{"claim name containing dots", func() string {
			return p.ed.Token(map[string]any{"oid": "o-1", "https://warden.example/groups": []string{"legal"}})
		}, "", groups("legal")},
		{"subject missing", func() string { return p.rs.Token(map[string]any{"sub": nil}) }, auth.ReasonOIDCNoSubject, nil},
		{"subject empty", func() string { return p.rs.Token(map[string]any{"sub": ""}) }, auth.ReasonOIDCNoSubject, nil},
		{"subject not a string", func() string { return p.rs.Token(map[string]any{"sub": 42}) }, auth.ReasonOIDCNoSubject, nil},
		{"configured subject claim missing", func() string { return p.ed.Token(nil) }, auth.ReasonOIDCNoSubject, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := expect(t, p.a, tt.tok(), tt.want)
			if tt.check != nil {
				tt.check(t, id)
			}
		})
	}
}

func TestOIDCDiscoveryIssuerMismatch(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{DiscoveryIssuer: "https://login.example.com/"})
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	expect(t, a, idp.Token(nil), auth.ReasonOIDCWrongIssuer)
	if idp.JWKSFetches() != 0 {
		t.Fatal("fetched the keys of an issuer whose discovery document names another")
	}
}

func TestOIDCJWKSURLSkipsDiscovery(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{Alg: "PS256", DiscoveryIssuer: "https://unused.example"})
	c := idp.Config()
	c.JWKSURL = idp.URL + "/jwks"
	a := newOIDC(t, clk, []config.OIDC{c}, auth.OIDCOptions{})
	expect(t, a, idp.Token(nil), "")
	if idp.DiscoveryFetches() != 0 || idp.JWKSFetches() != 1 {
		t.Fatalf("discovery %d, jwks %d fetches", idp.DiscoveryFetches(), idp.JWKSFetches())
	}
}

func TestOIDCTLSIdP(t *testing.T) {
	clk := newClock()
	idp := newIdP(t, clk, wardentest.IdPOptions{TLS: true, Alg: "ES384"})
	if !strings.HasPrefix(idp.URL, "https://") || idp.CertPool() == nil {
		t.Fatalf("URL %s", idp.URL)
	}
	a := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{Client: idp.Client()})
	expect(t, a, idp.Token(nil), "")

	// Without trusting the IdP's certificate there are no keys: fail closed.
	untrusting := newOIDC(t, clk, []config.OIDC{idp.Config()}, auth.OIDCOptions{})
	expect(t, untrusting, idp.Token(nil), auth.ReasonUnavailable)
}

func TestOIDCExtraJWKsIgnored(t *testing.T) {
	clk := newClock()
	secret := []byte("0123456789abcdef0123456789abcdef")
	idp := newIdP(t, clk, wardentest.IdPOptions{ExtraJWKs: []map[string]any{
		{"kty": "oct", "kid": "hmac", "k": b64(secret)},
		{"kty": "EC", "kid": "offcurve", "crv": "P-256", "x": b64(bytes.Repeat([]byte{1}, 32)), "y": b64(bytes.Repeat([]byte{2}, 32))},
		{"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": b64(make([]byte, 32))},
	}})
	encKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	encJWK := wardentest.JWK(encKey.Public(), "enc", "")
	encJWK["use"] = "enc"
	idp2 := newIdP(t, clk, wardentest.IdPOptions{ExtraJWKs: []map[string]any{encJWK}})
	c := idp.Config()
	a := newOIDC(t, clk, []config.OIDC{c, idp2.Config()}, auth.OIDCOptions{})
	expect(t, a, idp.Token(nil), "")
	claims := map[string]any{"iss": idp.URL, "aud": "warden", "sub": "x", "exp": clk.Unix(time.Hour)}
	expect(t, a, hs256(map[string]any{"alg": "HS256", "kid": "hmac"}, claims, secret), auth.ReasonOIDCAlgNotAllowed)
	// An encryption key does not verify signatures even if a token names it.
	tok, _ := wardentest.SignJWT(map[string]any{"alg": "RS256", "kid": "enc"},
		map[string]any{"iss": idp2.URL, "aud": "warden", "sub": "x", "exp": clk.Unix(time.Hour)}, "RS256", encKey)
	expect(t, a, tok, auth.ReasonOIDCUnknownKey)
}

func TestNewOIDCRejects(t *testing.T) {
	good := config.OIDC{Issuer: "https://idp.example.com", Audience: "warden"}
	for name, cfgs := range map[string][]config.OIDC{
		"none":            nil,
		"HS256":           {{Issuer: good.Issuer, Audience: "warden", Algorithms: []string{"RS256", "HS256"}}},
		"alg none":        {{Issuer: good.Issuer, Audience: "warden", Algorithms: []string{"none"}}},
		"no audience":     {{Issuer: good.Issuer}},
		"no issuer":       {{Audience: "warden"}},
		"duplicate":       {good, good},
		"negative leeway": {{Issuer: good.Issuer, Audience: "warden", Leeway: -1}},
	} {
		if _, err := auth.NewOIDC(cfgs, auth.OIDCOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
