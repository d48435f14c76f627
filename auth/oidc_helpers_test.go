package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// fakeClock is a settable clock shared by an IdP and the authenticator.
type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time             { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration)        { c.ns.Add(int64(d)) }
func (c *fakeClock) Unix(d time.Duration) int64 { return c.Now().Add(d).Unix() }

func newIdP(t testing.TB, clk *fakeClock, o wardentest.IdPOptions) *wardentest.IdP {
	o.Now = clk.Now
	return wardentest.NewIdP(t, o)
}

func newOIDC(t testing.TB, clk *fakeClock, cfgs []config.OIDC, o auth.OIDCOptions) *auth.OIDC {
	t.Helper()
	o.Now = clk.Now
	a, err := auth.NewOIDC(cfgs, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

func authn(a auth.Authenticator, tok string) (*auth.Identity, error) {
	return a.Authenticate(context.Background(), bearer(tok))
}

// reason is the Reason of an authentication outcome, "" for success.
func reason(t testing.TB, id *auth.Identity, err error) auth.Reason {
	t.Helper()
	if err == nil {
		if id == nil {
			t.Fatal("no identity and no error")
		}
		return ""
	}
	if id != nil {
		t.Fatalf("identity %+v returned with error %v", id, err)
	}
	var ae *auth.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	return ae.Reason
}

// expect authenticates tok and checks the outcome's Reason ("" = accepted)
// and that no part of the token leaks into the error.
func expect(t testing.TB, a auth.Authenticator, tok string, want auth.Reason) *auth.Identity {
	t.Helper()
	id, err := authn(a, tok)
	if got := reason(t, id, err); got != want {
		t.Fatalf("reason %q, want %q (err: %v)", got, want, err)
	}
	if err != nil {
		noLeak(t, err, tok)
	}
	return id
}

// noLeak fails if the error's client message or log text carries a
// token segment long enough to matter.
func noLeak(t testing.TB, err error, tok string) {
	t.Helper()
	var ae *auth.Error
	errors.As(err, &ae)
	for _, seg := range strings.Split(tok, ".") {
		if len(seg) < 16 {
			continue
		}
		if strings.Contains(ae.Msg, seg) || strings.Contains(err.Error(), seg) {
			t.Fatalf("error echoes the token: msg %q, err %q", ae.Msg, err)
		}
	}
}
