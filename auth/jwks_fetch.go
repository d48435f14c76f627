package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	maxKeyDocBytes = 1 << 20          // discovery document or JWKS
	fetchTimeout   = 10 * time.Second // one discovery + JWKS round
	noKeysRetry    = 5 * time.Second  // retry interval while no key set was ever fetched
)

// issuerKeys fetches and caches one issuer's signing keys. The key set is
// fetched on first use, again in the background once older than maxAge,
// and again when a token names an unknown kid (key rotation) — but never
// more often than once per interval, and concurrent misses share one fetch,
// so a flood of made-up kids cannot make Warden hammer the IdP. A failed
// fetch keeps the previous key set: tokens signed by known keys still
// verify while the IdP is down.
type issuerKeys struct {
	issuer   string
	jwksURL  string // configured; "" means discovery
	client   *http.Client
	now      func() time.Time
	interval time.Duration
	maxAge   time.Duration
	fetches  *atomic.Uint64 // HTTP requests made, shared by the OIDC

	keys atomic.Pointer[keySet] // nil until a fetch succeeds

	mu         sync.Mutex
	inflight   chan struct{} // closed when the running fetch ends
	last       time.Time     // start of the last fetch
	lastErr    error         // outcome of the last fetch
	discovered string        // jwks_uri from discovery; "" to discover again
}

// fetchError is a failure to obtain an issuer's keys.
type fetchError struct {
	reason Reason // ReasonUnavailable or ReasonOIDCWrongIssuer
	err    error
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// current returns the cached key set, fetching one if there is none yet
// (the error is then that fetch's), and starting a background refresh when
// it is older than maxAge.
func (i *issuerKeys) current(ctx context.Context) (*keySet, error) {
	if ks := i.keys.Load(); ks != nil {
		if i.now().Sub(ks.fetched) >= i.maxAge {
			i.mu.Lock()
			i.startLocked()
			i.mu.Unlock()
		}
		return ks, nil
	}
	return i.refresh(ctx)
}

// refresh fetches the key set again unless a fetch ran within the
// interval, waits for the running or new fetch, and returns the key set
// with the outcome of the latest fetch.
func (i *issuerKeys) refresh(ctx context.Context) (*keySet, error) {
	i.mu.Lock()
	done := i.inflight
	if done == nil {
		done = i.startLocked()
	}
	i.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return i.keys.Load(), &fetchError{ReasonUnavailable, fmt.Errorf("oidc: waiting for %s keys: %w", i.issuer, ctx.Err())}
		}
	}
	i.mu.Lock()
	err := i.lastErr
	i.mu.Unlock()
	return i.keys.Load(), err
}

// startLocked starts a fetch in the background unless one is running or
// the interval since the last has not passed; it returns the running
// fetch's channel, or nil if rate-limited. i.mu must be held.
func (i *issuerKeys) startLocked() chan struct{} {
	if i.inflight != nil {
		return i.inflight
	}
	now := i.now()
	wait := i.interval
	if i.keys.Load() == nil {
		wait = min(wait, noKeysRetry)
	}
	if !i.last.IsZero() && now.Sub(i.last) < wait {
		return nil
	}
	i.last = now
	done := make(chan struct{})
	i.inflight = done
	go i.fetch(done)
	return done
}

func (i *issuerKeys) fetch(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	ks, err := i.load(ctx)
	i.mu.Lock()
	i.lastErr = err
	if err == nil {
		i.keys.Store(ks)
	}
	i.inflight = nil
	i.mu.Unlock()
	close(done)
}

// load performs discovery if needed, then fetches and parses the JWKS.
func (i *issuerKeys) load(ctx context.Context) (*keySet, error) {
	u := i.jwksURL
	if u == "" {
		i.mu.Lock()
		u = i.discovered
		i.mu.Unlock()
		if u == "" {
			var err error
			if u, err = i.discover(ctx); err != nil {
				return nil, err
			}
			i.mu.Lock()
			i.discovered = u
			i.mu.Unlock()
		}
	}
	b, err := i.get(ctx, u)
	if err == nil {
		var ks *keySet
		var skipped []error
		if ks, skipped, err = parseJWKS(b); err == nil {
			for _, s := range skipped {
				slog.Debug("oidc: key skipped", "issuer", i.issuer, "err", s)
			}
			if len(ks.keys) == 0 {
				slog.Warn("oidc: issuer publishes no key Warden can use", "issuer", i.issuer, "skipped", errors.Join(skipped...))
			}
			ks.fetched = i.now()
			return ks, nil
		}
	}
	i.mu.Lock()
	i.discovered = "" // the jwks_uri may have moved: discover again next time
	i.mu.Unlock()
	return nil, &fetchError{ReasonUnavailable, fmt.Errorf("oidc: %s keys: %w", i.issuer, err)}
}

// discover reads the issuer's OpenID Provider metadata and returns its
// jwks_uri, after checking that the document names this very issuer
// (OpenID Connect Discovery §4.3).
func (i *issuerKeys) discover(ctx context.Context) (string, error) {
	b, err := i.get(ctx, strings.TrimSuffix(i.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", &fetchError{ReasonUnavailable, fmt.Errorf("oidc: discovery: %w", err)}
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", &fetchError{ReasonUnavailable, fmt.Errorf("oidc: discovery for %s: %w", i.issuer, err)}
	}
	if doc.Issuer != i.issuer {
		return "", &fetchError{ReasonOIDCWrongIssuer, fmt.Errorf("oidc: discovery for %s names issuer %.200q; they must be equal", i.issuer, doc.Issuer)}
	}
	if !i.allowedKeyURL(doc.JWKSURI) {
		return "", &fetchError{ReasonUnavailable, fmt.Errorf("oidc: discovery for %s: jwks_uri %.200q is not an https URL", i.issuer, doc.JWKSURI)}
	}
	return doc.JWKSURI, nil
}

// allowedKeyURL accepts https key URLs; plain http only when the issuer
// itself is http (which configuration allows on loopback only).
func (i *issuerKeys) allowedKeyURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && strings.HasPrefix(i.issuer, "http://"))
}

func (i *issuerKeys) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	i.fetches.Add(1)
	resp, err := i.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyDocBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(b) > maxKeyDocBytes {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxKeyDocBytes)
	}
	return b, nil
}

var errNoKeys = errors.New("oidc: no key set fetched yet")
