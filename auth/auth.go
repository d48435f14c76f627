// Package auth turns a request's credentials into an Identity. Each way of
// authenticating (Warden API keys, OIDC bearer tokens, mTLS client
// certificates) is an
// Authenticator; failures are *Error values carrying a typed Reason that goes
// into the audit record, and a message safe to show the client.
package auth

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
)

// Identity is an authenticated principal.
type Identity struct {
	ID     string   // stable principal id, e.g. "apikey:key_0a1b..."
	Type   string   // "api_key", "oidc" or "mtls"
	KeyID  string   // the API key's id, for api_key principals
	Name   string   // human label (the key's name)
	Role   string   // role granted
	Groups []string // IdP groups (none for API keys)
	Models []string // optional globs narrowing the role (API key scope)
	// IPAllow, if not empty, narrows where the credential may be used from
	// (an API key's own allowlist), within any role or global allowlist.
	IPAllow []netip.Prefix
	// Limits narrow the role's limits (an API key's own): each positive
	// one lowers the role's, or sets it where the role has none; zero
	// leaves the role's. They can never raise a role's limit.
	Limits config.Limits
	// ExpiresAt is when the credential stops working, if it is an API key
	// with an expiry or a secret rotated out (the earlier); zero otherwise.
	ExpiresAt time.Time
	// Issuer is who issued the API key secret presented, and in which
	// audited act (a create or a rotation); empty for other credentials
	// and for secrets issued before it was recorded.
	Issuer Issuer
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

// Reasons for refusing an OIDC bearer token (see OIDC). The IdP being
// unreachable with no cached key able to verify the token is
// ReasonUnavailable: the request fails closed with a 503.
const (
	ReasonOIDCMalformed     Reason = "auth.oidc_malformed"        // not a decodable JWS/JWT, too large, or a required claim has the wrong type
	ReasonOIDCUnknownIssuer Reason = "auth.oidc_unknown_issuer"   // iss names no configured issuer
	ReasonOIDCWrongIssuer   Reason = "auth.oidc_wrong_issuer"     // the issuer's discovery document names another issuer
	ReasonOIDCAlgNotAllowed Reason = "auth.oidc_alg_not_allowed"  // alg outside the issuer's allowlist (none and HS* always are)
	ReasonOIDCKeyMismatch   Reason = "auth.oidc_alg_key_mismatch" // alg does not fit the key's type, curve or declared alg
	ReasonOIDCMissingKid    Reason = "auth.oidc_missing_kid"      // no kid, and the issuer publishes more than one key
	ReasonOIDCUnknownKey    Reason = "auth.oidc_unknown_key"      // kid not in the issuer's key set, even after a refetch
	ReasonOIDCBadSignature  Reason = "auth.oidc_bad_signature"    // the signature does not verify
	ReasonOIDCExpired       Reason = "auth.oidc_expired"          // exp passed (beyond the leeway)
	ReasonOIDCNotYetValid   Reason = "auth.oidc_not_yet_valid"    // nbf or iat in the future (beyond the leeway)
	ReasonOIDCWrongAudience Reason = "auth.oidc_wrong_audience"   // aud lacks the configured audience
	ReasonOIDCNoSubject     Reason = "auth.oidc_no_subject"       // the subject claim is missing or not a non-empty string
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
