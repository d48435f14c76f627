package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/wardenhq/warden/auth"
)

// SessionCookie names the console's session cookie. The __Host- prefix
// makes browsers insist on Secure, Path=/ and no Domain.
const SessionCookie = "__Host-warden_console"

// Session is one signed-in person's server-side session. The cookie holds
// only a random id; the store keys sessions by its SHA-256.
type Session struct {
	Identity auth.Identity // ID (IdP issuer#subject), Type (oidc, saml), Name, Groups
	MFA      bool          // the sign-in carried a second factor
	CSRF     string        // the token every state-changing form must return
	Created  time.Time
	LastSeen time.Time
}

// Sessions keeps console sessions in memory (a restart signs everyone
// out). Idle and absolute timeouts are enforced on every lookup. It is an
// auth.Authenticator for the console's routes (never the API's): a
// session cookie is a credential only there.
type Sessions struct {
	Idle, MaxAge time.Duration
	Now          func() time.Time

	mu sync.Mutex
	m  map[[32]byte]*Session
}

var _ auth.Authenticator = (*Sessions)(nil)

// NewSessions returns an empty store with the given timeouts.
func NewSessions(idle, maxAge time.Duration, now func() time.Time) *Sessions {
	return &Sessions{Idle: idle, MaxAge: maxAge, Now: now, m: map[[32]byte]*Session{}}
}

// ReasonNoSession is the audit reason of a console request whose session
// is unknown, expired or signed out.
const ReasonNoSession auth.Reason = "console.session_invalid"

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Start creates a session for id and sets its cookie on w.
func (s *Sessions) Start(w http.ResponseWriter, id auth.Identity, mfa bool) *Session {
	now := s.Now()
	token := randomToken()
	sess := &Session{Identity: id, MFA: mfa, CSRF: randomToken(), Created: now, LastSeen: now}
	s.mu.Lock()
	s.sweep(now)
	s.m[sha256.Sum256([]byte(token))] = sess
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.MaxAge / time.Second)})
	return sess
}

// Lookup returns the request's live session, refreshing its idle timer.
func (s *Sessions) Lookup(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	key := sha256.Sum256([]byte(c.Value))
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[key]
	if sess == nil {
		return nil, false
	}
	if !now.Before(sess.LastSeen.Add(s.Idle)) || !now.Before(sess.Created.Add(s.MaxAge)) {
		delete(s.m, key)
		return nil, false
	}
	sess.LastSeen = now
	cp := *sess
	return &cp, true
}

// End removes the request's session and clears its cookie.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.mu.Lock()
		delete(s.m, sha256.Sum256([]byte(c.Value)))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// sweep drops expired sessions; s.mu is held.
func (s *Sessions) sweep(now time.Time) {
	for k, v := range s.m {
		if !now.Before(v.LastSeen.Add(s.Idle)) || !now.Before(v.Created.Add(s.MaxAge)) {
			delete(s.m, k)
		}
	}
}

// Authenticate implements auth.Authenticator: the session cookie's
// person, or ErrNoCredentials without one.
func (s *Sessions) Authenticate(_ context.Context, r *http.Request) (*auth.Identity, error) {
	if _, err := r.Cookie(SessionCookie); err != nil {
		return nil, auth.ErrNoCredentials
	}
	sess, ok := s.Lookup(r)
	if !ok {
		return nil, &auth.Error{Reason: ReasonNoSession, Msg: "your console session has ended; sign in again"}
	}
	id := sess.Identity
	return &id, nil
}

// CheckCSRF reports whether the form's csrf field is the session's token.
func CheckCSRF(sess *Session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return sess != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}
