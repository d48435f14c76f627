package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// jwsHeader is the part of a JWS protected header Warden reads. Header
// parameters that would name a key by reference or value (jku, x5u, jwk,
// x5c) are ignored: keys come only from the configured issuer's JWKS.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// verify checks a JWT-shaped token completely and returns its Identity and
// how long it may be cached.
func (o *OIDC) verify(ctx context.Context, tok string, now time.Time) (*Identity, time.Time, error) {
	hdrPart, rest, _ := strings.Cut(tok, ".")
	payPart, sigPart, _ := strings.Cut(rest, ".")
	hdrJSON, err1 := b64(hdrPart)
	payJSON, err2 := b64(payPart)
	sig, err3 := b64(sigPart)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, time.Time{}, oidcErr(ReasonOIDCMalformed, "not a valid JWT", fmt.Errorf("oidc: base64: %w", err))
	}
	var hdr jwsHeader
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil || !isObject(hdrJSON) {
		return nil, time.Time{}, oidcErr(ReasonOIDCMalformed, "not a valid JWT", fmt.Errorf("oidc: header: %v", err))
	}
	if hdr.Crit != nil {
		return nil, time.Time{}, oidcErr(ReasonOIDCMalformed, "unsupported critical header", errors.New("oidc: header has crit"))
	}
	var claims map[string]any
	if err := json.Unmarshal(payJSON, &claims); err != nil || claims == nil {
		return nil, time.Time{}, oidcErr(ReasonOIDCMalformed, "not a valid JWT", fmt.Errorf("oidc: claims: %v", err))
	}
	iss, ok := claims["iss"].(string)
	if !ok {
		return nil, time.Time{}, oidcErr(ReasonOIDCMalformed, "no iss claim", errors.New("oidc: no string iss"))
	}
	is := o.issuers[iss]
	if is == nil {
		return nil, time.Time{}, oidcErr(ReasonOIDCUnknownIssuer, "issuer not trusted", fmt.Errorf("oidc: iss %.200q is not configured", iss))
	}
	if !is.algs[hdr.Alg] {
		return nil, time.Time{}, oidcErr(ReasonOIDCAlgNotAllowed, "signature algorithm not allowed", fmt.Errorf("oidc: %s: alg %.40q not allowed", iss, hdr.Alg))
	}
	key, err := is.key(ctx, hdr)
	if err != nil {
		return nil, time.Time{}, err
	}
	o.verifications.Add(1)
	if err := verifySignature(hdr.Alg, key.pub, tok[:len(hdrPart)+1+len(payPart)], sig); err != nil {
		return nil, time.Time{}, oidcErr(ReasonOIDCBadSignature, "signature does not verify", fmt.Errorf("oidc: %s: kid %.100q: %w", iss, hdr.Kid, err))
	}
	return is.identity(claims, now)
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// key finds the verification key hdr names, refetching the key set (rate
// limited) when the kid is unknown.
func (is *oidcIssuer) key(ctx context.Context, hdr jwsHeader) (verifyKey, error) {
	ks, ferr := is.keys.current(ctx)
	if ks == nil {
		// No key set was ever fetched, and fetching one just failed
		// (current has refreshed already).
		return verifyKey{}, keysUnavailable(ferr)
	}
	k, err := ks.lookup(hdr.Kid, hdr.Alg)
	if err == errKeyNotFound {
		if ks, ferr = is.keys.refresh(ctx); ks != nil {
			k, err = ks.lookup(hdr.Kid, hdr.Alg)
		}
		if err == errKeyNotFound && (ks == nil || ferr != nil) {
			return k, keysUnavailable(ferr)
		}
	}
	switch err {
	case nil:
		return k, nil
	case errMissingKid:
		return k, oidcErr(ReasonOIDCMissingKid, "token has no kid", fmt.Errorf("oidc: %s: %w", is.cfg.Issuer, err))
	case errKeyMismatch:
		return k, oidcErr(ReasonOIDCKeyMismatch, "signature algorithm does not fit the key", fmt.Errorf("oidc: %s: kid %.100q alg %s: %w", is.cfg.Issuer, hdr.Kid, hdr.Alg, err))
	default:
		return k, oidcErr(ReasonOIDCUnknownKey, "signing key not known", fmt.Errorf("oidc: %s: kid %.100q: %w", is.cfg.Issuer, hdr.Kid, err))
	}
}

// keysUnavailable is the error of a token whose key could not be looked up
// because the IdP's key set could not be fetched (ferr, possibly nil):
// authentication fails closed, as unavailable, or as misconfigured when the
// IdP names another issuer.
func keysUnavailable(ferr error) error {
	var fe *fetchError
	if !errors.As(ferr, &fe) {
		fe = &fetchError{ReasonUnavailable, errNoKeys}
	}
	if fe.reason == ReasonOIDCWrongIssuer {
		return oidcErr(fe.reason, "issuer misconfigured", fe)
	}
	return &Error{Reason: ReasonUnavailable, Msg: "identity provider unavailable; try again later", Err: fe}
}

// identity checks the verified claims and builds the Identity; it also
// returns until when it may be cached: exp, at most CacheTTL from now.
func (is *oidcIssuer) identity(claims map[string]any, now time.Time) (*Identity, time.Time, error) {
	c := &is.cfg
	fail := func(r Reason, msg string, cause error) (*Identity, time.Time, error) {
		return nil, time.Time{}, oidcErr(r, msg, fmt.Errorf("oidc: %s: %w", c.Issuer, cause))
	}
	if !hasAudience(claims["aud"], c.Audience) {
		return fail(ReasonOIDCWrongAudience, "audience not accepted", fmt.Errorf("aud lacks %q", c.Audience))
	}
	exp, ok, err := numericDate(claims, "exp")
	switch {
	case err != nil:
		return fail(ReasonOIDCMalformed, "exp is not a number", err)
	case !ok:
		return fail(ReasonOIDCMalformed, "token has no exp", errors.New("no exp"))
	case !now.Before(exp.Add(is.leeway)):
		return fail(ReasonOIDCExpired, "token expired", fmt.Errorf("expired at %s", exp.UTC().Format(time.RFC3339)))
	}
	for _, name := range [...]string{"nbf", "iat"} {
		t, ok, err := numericDate(claims, name)
		switch {
		case err != nil:
			return fail(ReasonOIDCMalformed, name+" is not a number", err)
		case ok && t.After(now.Add(is.leeway)):
			return fail(ReasonOIDCNotYetValid, "token not yet valid", fmt.Errorf("%s %s is in the future", name, t.UTC().Format(time.RFC3339)))
		}
	}
	v, _ := claimAt(claims, c.SubjectClaim)
	sub, _ := v.(string)
	if sub == "" {
		return fail(ReasonOIDCNoSubject, "token has no subject", fmt.Errorf("no string claim %q", c.SubjectClaim))
	}
	groups, err := groupsOf(claims, c.GroupsClaim)
	if err != nil {
		return fail(ReasonOIDCMalformed, "groups claim has the wrong type", err)
	}
	name := sub
	for _, k := range [...]string{"preferred_username", "email"} {
		if s, _ := claims[k].(string); s != "" {
			name = s
			break
		}
	}
	id := &Identity{ID: c.Issuer + "#" + sub, Type: "oidc", Name: name, Groups: groups}
	until := now.Add(CacheTTL)
	if exp.Before(until) {
		until = exp
	}
	return id, until, nil
}

// hasAudience reports whether aud (a string or an array of strings)
// contains want.
func hasAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

// numericDate reads a NumericDate claim (seconds since the epoch, maybe
// fractional). ok is false when the claim is absent.
func numericDate(claims map[string]any, name string) (t time.Time, ok bool, err error) {
	v, present := claims[name]
	if !present {
		return time.Time{}, false, nil
	}
	f, isNum := v.(float64)
	if !isNum {
		return time.Time{}, false, fmt.Errorf("%s is not a number", name)
	}
	f = max(min(f, 1e12), -1e12) // keep within time.Time's exact range
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// claimAt returns the claim named path: a top-level claim of that exact
// name if there is one (claim names such as "https://example.com/groups"
// contain dots), else the value at the dotted path through nested objects
// ("realm_access.roles").
func claimAt(claims map[string]any, path string) (any, bool) {
	if v, ok := claims[path]; ok {
		return v, true
	}
	var cur any = claims
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// groupsOf reads the groups claim: absent or null means no groups, a
// string is one group, an array must hold only strings.
func groupsOf(claims map[string]any, path string) ([]string, error) {
	v, _ := claimAt(claims, path)
	switch g := v.(type) {
	case nil:
		return nil, nil
	case string:
		if g == "" {
			return nil, nil
		}
		return []string{g}, nil
	case []any:
		out := make([]string, 0, len(g))
		for _, e := range g {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("claim %q holds a %T, want strings", path, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("claim %q is a %T, want a string or an array of strings", path, v)
}
