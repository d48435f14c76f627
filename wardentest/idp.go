package wardentest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
)

// IdPOptions configure a test identity provider.
type IdPOptions struct {
	// TLS serves HTTPS with httptest's certificate; reach it with Client()
	// or trust CertPool().
	TLS bool
	// Alg is the signing algorithm of the first key: RS256 (default),
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA.
	Alg string
	// Audience is the aud of tokens that set none; default "warden".
	Audience string
	// DiscoveryIssuer is the issuer the discovery document names; default
	// the IdP's own URL. Set it to test a mismatch.
	DiscoveryIssuer string
	// OmitJWKAlg leaves "alg" out of the published JWKs, as some IdPs do.
	OmitJWKAlg bool
	// ExtraJWKs are published after the IdP's own keys (e.g. encryption
	// or symmetric keys a verifier must ignore).
	ExtraJWKs []map[string]any
	// Now is the clock for default iat and exp; default time.Now.
	Now func() time.Time
}

// IdP is a fake OpenID Provider on httptest: it serves real discovery
// (/.well-known/openid-configuration) and a JWKS (/jwks) and signs JWTs
// with real keys. Its issuer is its URL. It is safe for concurrent use.
type IdP struct {
	// URL is the base URL and the issuer.
	URL string
	// Audience is the default aud of its tokens.
	Audience string

	srv  *httptest.Server
	opts IdPOptions

	mu      sync.Mutex
	keys    []*idpKey // in creation order
	signing *idpKey
	failing bool

	discoveryFetches, jwksFetches atomic.Int64
}

type idpKey struct {
	kid       string
	alg       string
	priv      crypto.Signer
	published bool
}

// NewIdP starts an IdP with one published signing key of opts.Alg; it is
// closed when the test ends.
func NewIdP(t testing.TB, opts IdPOptions) *IdP {
	t.Helper()
	if opts.Alg == "" {
		opts.Alg = "RS256"
	}
	if opts.Audience == "" {
		opts.Audience = "warden"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &IdP{opts: opts, Audience: opts.Audience}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // e.g. handshakes from clients that distrust it
	if opts.TLS {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	kid := p.AddKey(opts.Alg, true)
	p.mu.Lock()
	p.signing = p.find(kid)
	p.mu.Unlock()
	return p
}

// Config returns an auth.oidc entry trusting this IdP, with the defaults
// config validation would fill in.
func (p *IdP) Config() config.OIDC {
	return config.OIDC{
		Issuer: p.URL, Audience: p.Audience, SubjectClaim: "sub", GroupsClaim: "groups",
		Algorithms: append([]string(nil), config.JWSAlgorithms...), Leeway: config.Duration(30 * time.Second),
	}
}

// Client returns an HTTP client that trusts the IdP (for TLS).
func (p *IdP) Client() *http.Client { return p.srv.Client() }

// CertPool returns a pool trusting the IdP's TLS certificate (nil without TLS).
func (p *IdP) CertPool() *x509.CertPool {
	if p.srv.Certificate() == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.srv.Certificate())
	return pool
}

// Close shuts the IdP down: it becomes unreachable.
func (p *IdP) Close() { p.srv.Close() }

// SetFailing makes every endpoint answer 503 while on.
func (p *IdP) SetFailing(on bool) { p.mu.Lock(); p.failing = on; p.mu.Unlock() }

// DiscoveryFetches counts requests for the discovery document.
func (p *IdP) DiscoveryFetches() int { return int(p.discoveryFetches.Load()) }

// JWKSFetches counts requests for the key set.
func (p *IdP) JWKSFetches() int { return int(p.jwksFetches.Load()) }

// AddKey generates a key for alg (RSA 2048, ECDSA on the alg's curve, or
// Ed25519), publishes it in the JWKS if publish is set, and returns its
// kid. It does not make it the signing key; an unpublished key signs
// tokens no verifier should accept. It panics on an unknown alg.
func (p *IdP) AddKey(alg string, publish bool) string {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic(fmt.Sprintf("wardentest: IdP cannot sign %q", alg))
	}
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := &idpKey{kid: fmt.Sprintf("key-%d-%s", len(p.keys)+1, alg), alg: alg, priv: priv, published: publish}
	p.keys = append(p.keys, k)
	return k.kid
}

// Rotate adds a published key of the signing key's algorithm and makes it
// the signing key; the old key stays in the JWKS if keepOld is set. It
// returns the new kid.
func (p *IdP) Rotate(keepOld bool) string {
	p.mu.Lock()
	old := p.signing
	p.mu.Unlock()
	kid := p.AddKey(old.alg, true)
	p.mu.Lock()
	defer p.mu.Unlock()
	old.published = keepOld
	p.signing = p.find(kid)
	return kid
}

// SigningKID returns the kid of the key that signs tokens by default.
func (p *IdP) SigningKID() string { p.mu.Lock(); defer p.mu.Unlock(); return p.signing.kid }

// PublicKey returns the public key with kid (nil if there is none).
func (p *IdP) PublicKey(kid string) crypto.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.find(kid); k != nil {
		return k.priv.Public()
	}
	return nil
}

func (p *IdP) find(kid string) *idpKey {
	for _, k := range p.keys {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// TokenOption adjusts one token IdP.Token signs.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	kid    string
	header map[string]any
}

// WithKey signs with the key kid (published or not) instead of the
// signing key; the header names kid and the key's alg.
func WithKey(kid string) TokenOption { return func(s *tokenSpec) { s.kid = kid } }

// WithHeader sets a protected header field after the defaults (alg, kid,
// typ); a nil value removes the field. Setting "alg" changes only what the
// header claims: the signature is still made with the key's own algorithm.
func WithHeader(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.header[name] = value }
}

// WithoutKID omits kid from the header.
func WithoutKID() TokenOption { return WithHeader("kid", nil) }

// Token returns a JWT signed by the IdP. Claims iss (the IdP's URL), aud
// (Audience), sub ("user-1"), iat (now) and exp (now + 1h) are filled in
// unless claims sets them; a nil value in claims omits that claim. It
// panics if WithKey names no key of the IdP.
func (p *IdP) Token(claims map[string]any, opts ...TokenOption) string {
	now := p.opts.Now()
	c := map[string]any{"iss": p.URL, "aud": p.Audience, "sub": "user-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	p.mu.Lock()
	key := p.signing
	spec := tokenSpec{header: map[string]any{}}
	for _, o := range opts {
		o(&spec)
	}
	if spec.kid != "" {
		key = p.find(spec.kid)
	}
	p.mu.Unlock()
	if key == nil {
		panic(fmt.Sprintf("wardentest: IdP has no key %q", spec.kid))
	}
	h := map[string]any{"alg": key.alg, "kid": key.kid, "typ": "JWT"}
	for k, v := range spec.header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	tok, err := SignJWT(h, c, key.alg, key.priv)
	if err != nil {
		panic(err)
	}
	return tok
}

// SignJWT encodes header and claims and signs them with priv using alg (an
// asymmetric JWS algorithm; the header's own alg is not consulted).
func SignJWT(header, claims map[string]any, alg string, priv crypto.Signer) (string, error) {
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	sig, err := sign(alg, priv, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

func sign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	if k, ok := priv.(ed25519.PrivateKey); ok {
		return ed25519.Sign(k, input), nil
	}
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	default:
		return nil, fmt.Errorf("wardentest: cannot sign %s", alg)
	}
	var digest []byte
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(input)
		digest = d[:]
	case crypto.SHA384:
		d := sha512.Sum384(input)
		digest = d[:]
	default:
		d := sha512.Sum512(input)
		digest = d[:]
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			return rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, k, h, digest)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return sig, nil
	}
	return nil, fmt.Errorf("wardentest: cannot sign with %T", priv)
}

func (p *IdP) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	failing := p.failing
	p.mu.Unlock()
	if failing {
		http.Error(w, "identity provider unavailable", http.StatusServiceUnavailable)
		return
	}
	var doc any
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		p.discoveryFetches.Add(1)
		iss := p.opts.DiscoveryIssuer
		if iss == "" {
			iss = p.URL
		}
		doc = map[string]any{
			"issuer": iss, "jwks_uri": p.URL + "/jwks",
			"id_token_signing_alg_values_supported": config.JWSAlgorithms,
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
		}
	case "/jwks":
		p.jwksFetches.Add(1)
		doc = map[string]any{"keys": p.jwks()}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

// jwks returns the published keys as JWKs, then opts.ExtraJWKs.
func (p *IdP) jwks() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, k := range p.keys {
		if k.published {
			out = append(out, JWK(k.priv.Public(), k.kid, k.alg))
		}
	}
	if p.opts.OmitJWKAlg {
		for _, j := range out {
			delete(j, "alg")
		}
	}
	return append(out, p.opts.ExtraJWKs...)
}

// JWK returns pub as a public JWK with use "sig", kid and alg (alg omitted
// when empty).
func JWK(pub crypto.PublicKey, kid, alg string) map[string]any {
	enc := base64.RawURLEncoding.EncodeToString
	j := map[string]any{"kid": kid, "use": "sig"}
	if alg != "" {
		j["alg"] = alg
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		j["kty"], j["n"], j["e"] = "RSA", enc(k.N.Bytes()), enc(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		b, _ := k.Bytes() // 0x04 || X || Y
		j["kty"], j["crv"], j["x"], j["y"] = "EC", k.Curve.Params().Name, enc(b[1:1+size]), enc(b[1+size:])
	case ed25519.PublicKey:
		j["kty"], j["crv"], j["x"] = "OKP", "Ed25519", enc(k)
	}
	return j
}
