package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/config"
)

// MaxTokenBytes bounds the size of a bearer JWT; larger ones are refused
// before any decoding.
const MaxTokenBytes = 16 << 10

// OIDC authenticates bearer JWTs (OIDC access or ID tokens) signed by one
// of several configured issuers.
//
// The token's unverified iss only selects which issuer's keys and rules
// apply; everything is then verified: the signature with a key from that
// issuer's JWKS (alg from the issuer's allowlist and fitting the key; no
// "none", no HMAC), iss exactly, aud containing the configured audience,
// exp (required), nbf and iat, with the configured leeway.
//
// The Identity it returns has ID issuer + "#" + subject (an issuer URL has
// no fragment, so the first "#" splits it), Type "oidc", Name the token's
// preferred_username, else email, else the subject (a label only), Groups
// from the groups claim, and no Role: roles come from roles[].groups.
//
// Verified tokens are cached by SHA-256 of the token until their exp, for
// at most CacheTTL, so a token reused on every request is verified once.
// Each call returns its own copy of the Identity; its Groups slice is
// shared between copies and must not be modified in place.
type OIDC struct {
	issuers map[string]*oidcIssuer
	now     func() time.Time
	cache   *tokenCache

	verifications atomic.Uint64
	fetches       atomic.Uint64
}

// OIDCOptions tune an OIDC authenticator; the zero value is production-ready.
type OIDCOptions struct {
	// Client fetches discovery documents and key sets. Default: a client
	// with a 10 s timeout.
	Client *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// CacheSize bounds the verified-token cache. 0 means 10000; negative
	// disables the cache.
	CacheSize int
	// RefetchInterval is the least time between two key set fetches for
	// one issuer (unknown kids, failures). Default 30 s.
	RefetchInterval time.Duration
	// KeyMaxAge is the age after which a key set is refreshed in the
	// background, so keys the IdP withdrew stop verifying. Default 1 h.
	KeyMaxAge time.Duration
}

// CacheTTL is the longest a verified token is served from the cache.
const CacheTTL = 5 * time.Minute

// OIDCStats are counters for tests and metrics.
type OIDCStats struct {
	Verifications uint64 // signature verifications attempted
	Fetches       uint64 // HTTP requests to IdPs (discovery and JWKS)
}

type oidcIssuer struct {
	cfg    config.OIDC
	algs   map[string]bool
	leeway time.Duration
	keys   *issuerKeys
}

var _ Authenticator = (*OIDC)(nil)

// NewOIDC returns an authenticator for the issuers cfgs configures. It
// fetches nothing yet: keys are fetched on first use (or by Prefetch).
func NewOIDC(cfgs []config.OIDC, opts OIDCOptions) (*OIDC, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("oidc: no issuers configured")
	}
	o := &OIDC{issuers: map[string]*oidcIssuer{}, now: opts.Now}
	if o.now == nil {
		o.now = time.Now
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout, CheckRedirect: noDowngrade}
	}
	interval, maxAge := opts.RefetchInterval, opts.KeyMaxAge
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	switch {
	case opts.CacheSize == 0:
		o.cache = newTokenCache(10000)
	case opts.CacheSize > 0:
		o.cache = newTokenCache(opts.CacheSize)
	}
	for i, c := range cfgs {
		if err := checkOIDCConfig(c); err != nil {
			return nil, fmt.Errorf("oidc[%d]: %w", i, err)
		}
		if o.issuers[c.Issuer] != nil {
			return nil, fmt.Errorf("oidc[%d]: duplicate issuer %q", i, c.Issuer)
		}
		is := newOIDCIssuer(c)
		is.keys = &issuerKeys{
			issuer: c.Issuer, jwksURL: c.JWKSURL, client: client, now: o.now,
			interval: interval, maxAge: maxAge, fetches: &o.fetches,
		}
		o.issuers[c.Issuer] = is
	}
	return o, nil
}

// newOIDCIssuer applies the defaults config validation would (for callers
// that skip it) to a copy of c.
func newOIDCIssuer(c config.OIDC) *oidcIssuer {
	c.Algorithms = slices.Clone(c.Algorithms)
	if len(c.Algorithms) == 0 {
		c.Algorithms = slices.Clone(config.JWSAlgorithms)
	}
	if c.SubjectClaim == "" {
		c.SubjectClaim = "sub"
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	is := &oidcIssuer{cfg: c, algs: map[string]bool{}, leeway: time.Duration(c.Leeway)}
	for _, a := range c.Algorithms {
		is.algs[a] = true
	}
	return is
}

// noDowngrade follows at most 5 redirects, none from https to http: the
// keys' integrity rests on TLS.
func noDowngrade(req *http.Request, via []*http.Request) error {
	switch {
	case len(via) >= 5:
		return errors.New("stopped after 5 redirects")
	case via[0].URL.Scheme == "https" && req.URL.Scheme != "https":
		return errors.New("refused redirect from https to " + req.URL.Scheme)
	}
	return nil
}

func checkOIDCConfig(c config.OIDC) error {
	switch {
	case c.Issuer == "":
		return errors.New("issuer is required")
	case c.Audience == "":
		return errors.New("audience is required")
	case c.Leeway < 0:
		return errors.New("leeway must not be negative")
	}
	for _, a := range c.Algorithms {
		if _, ok := jwsAlgs[a]; !ok {
			return fmt.Errorf("algorithm %q not supported (asymmetric JWS algorithms only)", a)
		}
	}
	return nil
}

// Prefetch fetches every issuer's keys now, so the first requests need not
// wait; it returns what failed. Authentication works without it.
func (o *OIDC) Prefetch(ctx context.Context) error {
	var errs []error
	for _, is := range o.issuers {
		if _, err := is.keys.current(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stats returns the authenticator's counters.
func (o *OIDC) Stats() OIDCStats {
	return OIDCStats{Verifications: o.verifications.Load(), Fetches: o.fetches.Load()}
}

// LooksLikeJWT reports whether a bearer token has the shape of a JWS
// compact serialization (three dot-separated parts) and so is OIDC's to
// judge. Warden API keys ("wdn_...") never do.
func LooksLikeJWT(tok string) bool {
	return tok != "" && !strings.HasPrefix(tok, KeyPrefix) && strings.Count(tok, ".") == 2
}

// Authenticate implements Authenticator. Requests without a JWT-shaped
// bearer token get ErrNoCredentials, for the next authenticator.
func (o *OIDC) Authenticate(ctx context.Context, r *http.Request) (*Identity, error) {
	tok := BearerToken(r)
	if !LooksLikeJWT(tok) {
		return nil, ErrNoCredentials
	}
	if len(tok) > MaxTokenBytes {
		return nil, oidcErr(ReasonOIDCMalformed, "token too large", nil)
	}
	now := o.now()
	var sum [sha256.Size]byte
	if o.cache != nil {
		sum = tokenHash(tok)
		if id := o.cache.get(&sum, now); id != nil {
			return oidcShare(id), nil
		}
	}
	id, until, err := o.verify(ctx, tok, now)
	if err != nil {
		return nil, err
	}
	if o.cache != nil && now.Before(until) {
		o.cache.put(&sum, id, until, now)
	}
	return oidcShare(id), nil
}

// oidcShare returns a copy of a cached Identity whose Groups cannot be
// appended to in place.
func oidcShare(id *Identity) *Identity {
	c := *id
	c.Groups = c.Groups[:len(c.Groups):len(c.Groups)]
	return &c
}

// oidcErr builds a refusal. msg is shown to the client and must not carry
// token content; cause goes to the log.
func oidcErr(reason Reason, msg string, cause error) *Error {
	return &Error{Reason: reason, Msg: "invalid bearer token: " + msg, Err: cause}
}
