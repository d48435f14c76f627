// Package console is Warden's web console at /console/: server-rendered
// pages (html/template, embedded) for auditors and approvers, signed in
// with OIDC (authorisation code + PKCE) or SAML 2.0. It grows no policy
// of its own: its pages run through the gateway's pipeline (address
// allowlist, authentication by the console session, the role's
// capability, one audit record per request with the person's IdP subject
// and groups), and read and change data by calling the same handlers the
// admin API serves (Backend).
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Backend is what the console needs of the gateway: its current Env and
// observer, its configuration, and the admin API's handlers, which the
// console calls as they are (their JSON is what it renders).
type Backend struct {
	Env     func() *pipeline.Env
	Observe pipeline.Observer
	Config  func() *config.Config
	// Search is GET /admin/v1/audit/records (query parameters in, JSON out).
	Search pipeline.Handler
	// Proof is GET /admin/v1/audit/proof/{index}.
	Proof pipeline.Handler
	// Approvals is GET /admin/v1/approvals (the pending ones in reach).
	Approvals pipeline.Handler
	// Decide is POST /admin/v1/approvals/{id}/approve or /deny.
	Decide func(approve bool) pipeline.Handler
	// LogSize is the audit log's latest checkpoint: size and origin.
	LogSize func(ctx context.Context) (uint64, string, error)
}

// Options configure a Console.
type Options struct {
	Config config.Console
	Now    func() time.Time // default time.Now
	Client *http.Client     // for the IdPs (discovery, tokens, metadata)
}

// Console serves /console/.
type Console struct {
	b        Backend
	now      func() time.Time
	sessions *Sessions
	pending  pendings
	oidc     *OIDC // nil: no OIDC sign-in
	saml     *SAML // nil: no SAML sign-in
	tmpl     map[string]*template.Template
	handler  http.Handler
}

// New builds the console for opts.Config (console.On() must be true).
func New(ctx context.Context, opts Options, b Backend) (*Console, error) {
	cfg := opts.Config
	if !cfg.On() {
		return nil, errors.New("console: no sign-in configured")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Console{b: b, now: opts.Now,
		sessions: NewSessions(cfg.Session.IdleTimeout.D(30*time.Minute), cfg.Session.MaxAge.D(12*time.Hour), opts.Now)}
	var err error
	if cfg.OIDC != nil {
		if c.oidc, err = NewOIDC(*cfg.OIDC, cfg.URL, opts.Client, opts.Now); err != nil {
			return nil, err
		}
	}
	if cfg.SAML != nil {
		if c.saml, err = NewSAML(ctx, *cfg.SAML, cfg.URL, opts.Client); err != nil {
			return nil, err
		}
	}
	if c.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	c.handler = secure(c.routes())
	return c, nil
}

// Sessions is the console's session store.
func (c *Console) Sessions() *Sessions { return c.sessions }

// Handler serves every path under /console/.
func (c *Console) Handler() http.Handler { return c.handler }

func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := p[len("templates/") : len(p)-len(".html")]
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", p)
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/console/static/", http.FileServerFS(static))
	mux.Handle("GET /console/static/", c.public("console.static", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	mux.Handle("GET /console/login", c.public("console.login", c.loginPage))
	mux.Handle("GET /console/login/oidc", c.signIn("console.sign_in.oidc", c.startOIDC))
	mux.Handle("GET /console/oidc/callback", c.signIn("console.sign_in.oidc", c.oidcCallback))
	mux.Handle("GET /console/login/saml", c.signIn("console.sign_in.saml", c.startSAML))
	mux.Handle("POST /console/saml/acs", c.signIn("console.sign_in.saml", c.samlACS))
	mux.Handle("GET /console/saml/metadata", c.public("console.saml.metadata", c.samlMetadata))
	mux.Handle("POST /console/logout", c.page("console.sign_out", "", c.csrf(c.logout)))

	mux.Handle("GET /console/{$}", c.page("console.overview", "", c.overview))
	mux.Handle("GET /console/audit", c.page("console.audit.search", policy.CapAuditRead, c.auditSearch))
	mux.Handle("GET /console/audit/{index}", c.page("console.audit.record", policy.CapAuditRead, c.auditRecord))
	mux.Handle("GET /console/approvals", c.page("console.approvals.list", policy.CapApprove, c.approvals))
	mux.Handle("POST /console/approvals/{id}/approve", c.page("console.approvals.approve", policy.CapApprove, c.csrf(c.decide(true))))
	mux.Handle("POST /console/approvals/{id}/deny", c.page("console.approvals.deny", policy.CapApprove, c.csrf(c.decide(false))))
	mux.Handle("/console/", c.unknown())
	return mux
}

// public serves a page anyone may fetch (the sign-in page, static files,
// the SP metadata) behind the global address allowlist, unrecorded
// unless refused.
func (c *Console) public(name string, h http.HandlerFunc) http.Handler {
	serve := func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		h(w, r)
		return nil
	}
	return htmlErrors(c, pipeline.Serve(c.anonEnv, pipeline.Endpoint{Name: name, Unaudited: true}, pipeline.Unrouted(serve), c.b.Observe))
}

// unknown answers a path under /console/ that no page has (or a method it
// does not take): 404, recorded as the API records unknown endpoints,
// with the route's class, never the path.
func (c *Console) unknown() http.Handler {
	answer := pipeline.Unrouted(func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		return httperr.New(http.StatusNotFound, "unknown_url", "unknown console page")
	})
	return htmlErrors(c, pipeline.Serve(c.anonEnv, pipeline.Unknown, func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
			http.MethodOptions, http.MethodConnect, http.MethodTrace:
		default:
			method = "OTHER"
		}
		x.AskedRoute = method + " /console/*"
		return answer(w, r, x)
	}, c.b.Observe))
}

// env is the gateway's Env with the console session as the only
// authenticator: API credentials are not accepted here, and the session
// cookie is accepted nowhere else.
func (c *Console) env() *pipeline.Env {
	e := *c.b.Env()
	e.Authenticators = []auth.Authenticator{c.sessions}
	return &e
}

// anonEnv authenticates no one: sign-in endpoints set the identity
// themselves once the IdP has vouched for it.
func (c *Console) anonEnv() *pipeline.Env {
	e := *c.b.Env()
	e.Authenticators = nil
	return &e
}
