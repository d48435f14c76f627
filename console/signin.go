package console

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
)

// signIn serves a sign-in step through the pipeline (address allowlist,
// one audit record), with no authenticator: the step itself sets the
// identity once the IdP has vouched for it.
func (c *Console) signIn(name string, h pipeline.Handler) http.Handler {
	return htmlErrors(c, pipeline.Serve(c.anonEnv, pipeline.Endpoint{Name: name}, pipeline.Unrouted(h), c.b.Observe))
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	next := LocalPath(r.URL.Query().Get("next"))
	c.render(w, r, http.StatusOK, "login", nil, map[string]any{"OIDC": c.oidc != nil, "SAML": c.saml != nil, "Next": next})
}

var errNoOIDC = httperr.New(http.StatusNotFound, "not_found", "OIDC sign-in is not configured")

func (c *Console) startOIDC(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	if c.oidc == nil {
		return errNoOIDC
	}
	state, nonce, verifier := randomToken(), randomToken(), randomToken()
	u, err := c.oidc.AuthURL(r.Context(), state, nonce, verifier)
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "idp_unavailable", "the identity provider cannot be reached", err)
	}
	if err := c.pending.put(w, "oidc:"+state, pending{Nonce: nonce, Verifier: verifier, Next: LocalPath(r.URL.Query().Get("next"))},
		c.now(), http.SameSiteLaxMode); err != nil {
		return errTooMany(err)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	if c.oidc == nil {
		return errNoOIDC
	}
	q := r.URL.Query()
	p, ok := c.pending.take(r, "oidc:"+q.Get("state"), c.now())
	if !ok {
		x.AuditAdmin("console.sign_in", "", "refused: unknown, expired or foreign state")
		return httperr.New(http.StatusBadRequest, "sign_in_failed", "this sign-in is unknown or has expired; start again")
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		x.AuditAdmin("console.sign_in", "", "refused: the identity provider returned no code")
		return httperr.New(http.StatusUnauthorized, "sign_in_failed", "the identity provider did not sign you in")
	}
	claims, err := c.oidc.Exchange(r.Context(), q.Get("code"), p.Verifier, p.Nonce)
	if err != nil {
		x.AuditAdmin("console.sign_in", "", "refused: the ID token did not verify")
		return httperr.Wrap(http.StatusUnauthorized, "sign_in_failed", "the identity provider's answer did not verify", err)
	}
	return c.complete(w, r, x, claims, p.Next)
}

func (c *Console) startSAML(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	if c.saml == nil {
		return httperr.New(http.StatusNotFound, "not_found", "SAML sign-in is not configured")
	}
	relay := randomToken()
	u, id, err := c.saml.AuthURL(relay)
	if err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal_error", "cannot make a SAML request", err)
	}
	// The response comes back as a cross-site POST: only SameSite=None
	// brings the binding cookie with it.
	if err := c.pending.put(w, id, pending{Next: LocalPath(r.URL.Query().Get("next")), Nonce: relay}, c.now(), http.SameSiteNoneMode); err != nil {
		return errTooMany(err)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

func (c *Console) samlACS(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	if c.saml == nil {
		return httperr.New(http.StatusNotFound, "not_found", "SAML sign-in is not configured")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "unreadable form")
	}
	now := c.now()
	claims, answered, err := c.saml.Accept(r, c.pending.keys(r, now), now)
	if err != nil {
		x.AuditAdmin("console.sign_in", "", "refused: the SAML response did not verify")
		slog.Warn("console: SAML response refused", "request_id", x.ID, "err", err)
		return httperr.Wrap(http.StatusUnauthorized, "sign_in_failed", "the identity provider's answer did not verify", err)
	}
	next := "/console/"
	if answered != "" {
		p, ok := c.pending.take(r, answered, now)
		if !ok {
			x.AuditAdmin("console.sign_in", "", "refused: the SAML response answers no sign-in of this browser")
			return httperr.New(http.StatusUnauthorized, "sign_in_failed", "this sign-in is unknown or has expired; start again")
		}
		if r.PostFormValue("RelayState") != p.Nonce {
			x.AuditAdmin("console.sign_in", "", "refused: RelayState is not the sign-in's")
			return httperr.New(http.StatusUnauthorized, "sign_in_failed", "this sign-in is unknown or has expired; start again")
		}
		next = p.Next
	} else {
		next = LocalPath(r.PostFormValue("RelayState")) // IdP-initiated: RelayState, if any, is where to land
	}
	if claims.Identity.Name == "" {
		x.AuditAdmin("console.sign_in", "", "refused: the assertion names no subject")
		return httperr.New(http.StatusUnauthorized, "sign_in_failed", "the identity provider's answer names no one")
	}
	return c.complete(w, r, x, claims, next)
}

func (c *Console) samlMetadata(w http.ResponseWriter, r *http.Request) {
	if c.saml == nil {
		http.NotFound(w, r)
		return
	}
	b, err := c.saml.Metadata()
	if err != nil {
		http.Error(w, "metadata unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(b)
}

// complete ends a sign-in the IdP vouched for: the person's groups must
// grant a role, and every role they grant that has require_mfa needs a
// second factor. Then a session starts and the browser goes to next.
func (c *Console) complete(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange, cl Claims, next string) error {
	id := cl.Identity
	x.Identity = &id
	roles := rolesFor(c.b.Config(), id.Groups)
	if len(roles) == 0 {
		x.AuditAdmin("console.sign_in", "", "refused: no role for the person's groups")
		return httperr.New(http.StatusForbidden, "no_role", "no role grants you access")
	}
	for _, role := range roles {
		if role.RequireMFA && !cl.MFA {
			x.AuditAdmin("console.sign_in", "", "refused: role "+role.Name+" requires MFA and the sign-in carried none")
			return httperr.New(http.StatusForbidden, "mfa_required", "your role requires multi-factor authentication; sign in with a second factor")
		}
	}
	x.AuditAdmin("console.sign_in", "", "via="+id.Type+" mfa="+boolString(cl.MFA)+" roles="+strings.Join(roleNames(roles), ","))
	c.sessions.Start(w, id, cl.MFA)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/console/", Secure: true, HttpOnly: true, MaxAge: -1})
	// A page, not a redirect: the IdP started this navigation, and a
	// SameSite=Strict cookie is sent only on one the site starts itself.
	c.render(w, r, http.StatusOK, "landing", nil, map[string]any{"Next": LocalPath(next)})
	return nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// rolesFor are the roles the groups grant (roles[].groups, exact match).
func rolesFor(cfg *config.Config, groups []string) []config.Role {
	var out []config.Role
	for _, role := range cfg.Roles {
		if slices.ContainsFunc(role.Groups, func(g string) bool { return slices.Contains(groups, g) }) {
			out = append(out, role)
		}
	}
	return out
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	x.AuditAdmin("console.sign_out", "", "")
	c.sessions.End(w, r)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	return nil
}

// csrf refuses a state-changing form without the session's CSRF token.
func (c *Console) csrf(h pipeline.Handler) pipeline.Handler {
	return func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		sess, _ := c.sessions.Lookup(r)
		if !CheckCSRF(sess, r) {
			x.AuditAdmin(x.Endpoint.Name, "", "refused: missing or wrong CSRF token")
			return httperr.New(http.StatusForbidden, "csrf_failed", "the form is stale or forged (CSRF token missing or wrong); reload the page and try again")
		}
		return h(w, r, x)
	}
}

// page serves a signed-in page through the pipeline: the console session
// authenticates, the role must grant cap (any role, if cap is empty), and
// the request is recorded. A browser without a session is sent to sign in.
func (c *Console) page(name string, cap policy.Capability, h pipeline.Handler) http.Handler {
	ep := pipeline.Endpoint{Name: name, Capability: cap}
	var chain pipeline.Handler
	if cap == "" {
		chain = pipeline.Unrouted(c.anyRole(h))
	} else {
		chain = pipeline.Admin(h)
	}
	inner := htmlErrors(c, pipeline.Serve(c.env, ep, chain, c.b.Observe))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := c.sessions.Lookup(r); !ok && r.Method == http.MethodGet {
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(LocalPath(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// anyRole requires a signed-in person whose groups grant some role.
func (c *Console) anyRole(h pipeline.Handler) pipeline.Handler {
	return func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		if x.Identity == nil {
			x.AuthReason = auth.ReasonNoCredentials
			return httperr.New(http.StatusUnauthorized, "invalid_session", "sign in to the console")
		}
		if len(rolesFor(c.b.Config(), x.Identity.Groups)) == 0 {
			return httperr.New(http.StatusForbidden, "no_role", "no role grants you access")
		}
		return h(w, r, x)
	}
}

func roleNames(roles []config.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Name
	}
	return out
}

func errTooMany(err error) error {
	e := httperr.Wrap(http.StatusServiceUnavailable, "sign_in_busy", "too many sign-ins are in progress; try again in a minute", err)
	e.RetryAfter = 60
	return e
}
