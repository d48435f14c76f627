// Package auth turns a request's credentials into an Identity. Each way of
// authenticating (Warden API keys today; OIDC and mTLS later) is an
// Authenticator; failures are *Error values carrying a typed Reason that goes
// into the audit record, and a message safe to show the client.
package auth

import (
	"context"
	"net/http"
	"strings"
)

// Identity is an authenticated principal.
type Identity struct {
	ID     string   // stable principal id, e.g. "apikey:key_0a1b..."
	Type   string   // "api_key"
	KeyID  string   // the API key's id, for api_key principals
	Name   string   // human label (the key's name)
	Role   string   // role granted
	Groups []string // IdP groups (none for API keys)
	Models []string // optional globs narrowing the role (API key scope)
}

// Authenticator checks one kind of credential. It returns ErrNoCredentials
// when the request carries none of its kind, so another may be tried.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (*Identity, error)
}

// Reason says why authentication failed; it is recorded, never shown raw.
type Reason string

// Reasons for authentication failure.
const (
	ReasonNoCredentials Reason = "auth.no_credentials"
	ReasonMalformed     Reason = "auth.malformed_key"
	ReasonUnknownKey    Reason = "auth.unknown_key"
	ReasonExpired       Reason = "auth.key_expired"
	ReasonRevoked       Reason = "auth.key_revoked"
	ReasonRotatedOut    Reason = "auth.secret_rotated_out"
	ReasonUnavailable   Reason = "auth.backend_unavailable"
)

// Error is an authentication failure.
type Error struct {
	Reason Reason
	Msg    string // safe for the client
	Err    error  // cause, for the log
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Reason) + ": " + e.Err.Error()
	}
	return string(e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNoCredentials: the request carries no credential this authenticator reads.
var ErrNoCredentials = &Error{Reason: ReasonNoCredentials, Msg: "missing credentials: send Authorization: Bearer <key>"}

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}
