package console

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/console/audit?principal=x": "/console/audit?principal=x",
		"/console/":                  "/console/",
		"":                           "/console/",
		"https://evil.example/":      "/console/",
		"//evil.example/console/":    "/console/",
		"/\\evil.example":            "/console/",
		"/console/\\evil":            "/console/",
		"/console/../admin/v1/keys":  "/console/",
		"/console/..":                "/console/",
		"/consolex":                  "/console/",
		"/admin/v1/keys":             "/console/",
		"/console/a\r\nSet-Cookie:x": "/console/",
		"javascript:alert(1)":        "/console/",
	} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// clock is a settable time for session tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestSessionTimeouts(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	s := NewSessions(30*time.Minute, 2*time.Hour, c.now)
	start := func() *http.Request {
		w := httptest.NewRecorder()
		s.Start(w, auth.Identity{ID: "idp#alice", Type: "oidc"}, false)
		r := httptest.NewRequest(http.MethodGet, "/console/", nil)
		for _, ck := range w.Result().Cookies() {
			r.AddCookie(ck)
		}
		return r
	}
	// Idle: a session unused for 30 minutes is gone.
	r := start()
	c.t = c.t.Add(29 * time.Minute)
	if _, ok := s.Lookup(r); !ok {
		t.Fatal("session ended before its idle timeout")
	}
	c.t = c.t.Add(30 * time.Minute)
	if _, ok := s.Lookup(r); ok {
		t.Fatal("session outlived its idle timeout")
	}
	if _, err := s.Authenticate(r.Context(), r); err == nil || err == auth.ErrNoCredentials {
		t.Fatalf("expired session authenticated: %v", err)
	}
	// Absolute: kept busy, it still ends after 2 hours.
	r = start()
	for range 5 { // 100 minutes, never idle
		c.t = c.t.Add(20 * time.Minute)
		if _, ok := s.Lookup(r); !ok {
			t.Fatal("busy session ended early")
		}
	}
	c.t = c.t.Add(20 * time.Minute)
	if _, ok := s.Lookup(r); ok {
		t.Fatal("session outlived its absolute timeout")
	}
	// No cookie: no credentials, for the next authenticator.
	if _, err := s.Authenticate(r.Context(), httptest.NewRequest(http.MethodGet, "/", nil)); err != auth.ErrNoCredentials {
		t.Fatalf("no cookie: %v", err)
	}
}

func TestCheckCSRF(t *testing.T) {
	sess := &Session{CSRF: "token-1"}
	for body, want := range map[string]bool{"csrf=token-1": true, "csrf=token-2": false, "": false, "csrf=": false} {
		r := httptest.NewRequest(http.MethodPost, "/console/logout", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := CheckCSRF(sess, r); got != want {
			t.Errorf("CheckCSRF(%q) = %v", body, got)
		}
	}
}

func TestEntryBytes(t *testing.T) {
	entry := `{"id":"aud_1","kind":"request","time":"2026-12-07T00:00:00Z"}`
	got, err := entryBytes([]byte(`{"index":7,"origin":"warden.example/log",` + entry[1:]))
	if err != nil || string(got) != entry {
		t.Fatalf("entryBytes = %q, %v", got, err)
	}
	if _, err := entryBytes([]byte(`{"origin":"x","index":7,"id":"a"}`)); err == nil {
		t.Fatal("fields out of order accepted")
	}
}

func TestPendingBounded(t *testing.T) {
	var ps pendings
	now := time.Now()
	for i := range maxPending {
		if err := ps.put(httptest.NewRecorder(), strconv.Itoa(i), pending{}, now, http.SameSiteLaxMode); err != nil {
			t.Fatalf("sign-in %d refused: %v", i, err)
		}
	}
	if err := ps.put(httptest.NewRecorder(), "one more", pending{}, now, http.SameSiteLaxMode); err != errBusy {
		t.Fatalf("sign-in beyond the bound: %v", err)
	}
	// Expired ones make room.
	if err := ps.put(httptest.NewRecorder(), "later", pending{}, now.Add(loginTTL+time.Second), http.SameSiteLaxMode); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}
