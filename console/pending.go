package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// loginCookie binds a sign-in in progress to the browser that started
// it. It must come back on the IdP's cross-site redirect (OIDC, a GET) or
// POST (SAML), so it is SameSite=None; it carries no authority by itself.
const loginCookie = "__Secure-warden_login"

// loginTTL bounds how long a sign-in may take at the IdP.
const loginTTL = 10 * time.Minute

// pending is a sign-in in progress: what the callback must find again.
type pending struct {
	binding  [32]byte // SHA-256 of the login cookie's value
	Nonce    string   // OIDC nonce
	Verifier string   // OIDC PKCE code verifier
	Next     string   // the local console path to land on
	Expires  time.Time
}

// pendings holds sign-ins in progress by their state (OIDC) or request id
// (SAML); each is taken once.
type pendings struct {
	mu sync.Mutex
	m  map[string]pending
}

// maxPending bounds the sign-ins in progress, so that starting sign-ins
// without finishing them cannot fill the gateway's memory.
const maxPending = 10000

// errBusy: too many sign-ins are in progress; try again in a while.
var errBusy = errors.New("console: too many sign-ins in progress")

// put records p under key and sets the binding cookie.
func (ps *pendings) put(w http.ResponseWriter, key string, p pending, now time.Time, sameSite http.SameSite) error {
	token := randomToken()
	p.binding, p.Expires = sha256.Sum256([]byte(token)), now.Add(loginTTL)
	ps.mu.Lock()
	if ps.m == nil {
		ps.m = map[string]pending{}
	}
	for k, v := range ps.m {
		if now.After(v.Expires) {
			delete(ps.m, k)
		}
	}
	if len(ps.m) >= maxPending {
		ps.mu.Unlock()
		return errBusy
	}
	ps.m[key] = p
	ps.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/console/", Secure: true, HttpOnly: true,
		SameSite: sameSite, MaxAge: int(loginTTL / time.Second)})
	return nil
}

// take removes and returns the sign-in key names if the request carries
// its binding cookie and it has not expired.
func (ps *pendings) take(r *http.Request, key string, now time.Time) (pending, bool) {
	ps.mu.Lock()
	p, ok := ps.m[key]
	delete(ps.m, key)
	ps.mu.Unlock()
	if !ok || now.After(p.Expires) {
		return pending{}, false
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return pending{}, false
	}
	sum := sha256.Sum256([]byte(c.Value))
	return p, subtle.ConstantTimeCompare(sum[:], p.binding[:]) == 1
}

// keys returns the keys of the sign-ins the request's binding cookie
// started (SAML request ids the response may answer).
func (ps *pendings) keys(r *http.Request, now time.Time) []string {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256([]byte(c.Value))
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []string
	for k, v := range ps.m {
		if v.binding == sum && !now.After(v.Expires) {
			out = append(out, k)
		}
	}
	return out
}

// LocalPath returns next if it is a path within the console (so a
// redirect to it cannot leave the site), else "/console/". It refuses
// scheme-relative and backslash tricks ("//evil", "/\evil"), and any
// scheme or host.
func LocalPath(next string) string {
	const home = "/console/"
	if !strings.HasPrefix(next, home) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") ||
		strings.Contains(next, "/../") || strings.HasSuffix(next, "/..") {
		return home
	}
	return next
}
