// Package gateway is the Warden server: it compiles a Config into an
// immutable State, serves the data plane and operations endpoints against
// whichever State is current, and swaps in a new State atomically when the
// configuration is reloaded.
package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
	"github.com/wardenhq/warden/upstream"
)

// State is one compiled configuration. It is never modified once built.
type State struct {
	Config *config.Config
	Env    *pipeline.Env
}

// Deps are what compiled states share across reloads: process-wide
// handles a config version does not own.
type Deps struct {
	APIKeys *auth.APIKeys      // nil when auth.api_keys is off
	Limiter ratelimit.Limiter  // counters survive reloads
	OIDC    *oidcCache         // keeps key sets and verified tokens across reloads
	Audit   *auditlog.Recorder // nil: exchanges are not audited
	Sealer  *seal.Sealer       // nil: nothing is kept (no key ring)
	Store   *store.DB
	Writer  *retention.Writer // stores kept payloads by group commit
	// ContentKey keys the content controls' hash action.
	ContentKey []byte
	// ApprovalKey keys the binding of an approval to its request.
	ApprovalKey []byte
	// AuditAct records a system act (an approval being requested).
	AuditAct func(action, target, detail string)
	// Notify tells approvers of a new approval request (nil: nobody).
	Notify func(a store.Approval)
	Now    func() time.Time
}

// oidcCache hands out one *auth.OIDC per auth.oidc configuration, so a
// reload that leaves auth.oidc alone keeps its JWKS and token caches.
type oidcCache struct {
	mu   sync.Mutex
	cfgs []config.OIDC
	oidc *auth.OIDC
}

// get returns the OIDC for cfgs: the current one if cfgs are unchanged, or
// a new one, which becomes current only when commit is called (after the
// whole configuration compiled), so a refused reload keeps the old caches.
func (c *oidcCache) get(cfgs []config.OIDC, now func() time.Time) (o *auth.OIDC, commit func(), err error) {
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.oidc != nil && reflect.DeepEqual(c.cfgs, cfgs) {
			return c.oidc, func() {}, nil
		}
	}
	if o, err = auth.NewOIDC(cfgs, auth.OIDCOptions{Now: now}); err != nil {
		return nil, nil, err
	}
	return o, func() {
		if c != nil {
			c.mu.Lock()
			c.cfgs, c.oidc = cfgs, o
			c.mu.Unlock()
		}
	}, nil
}

// Compile builds a State from a validated config: credentials checkers,
// policy, routes, addresses. Every problem found (such as an unset secret or
// an unreadable CRL) is returned, joined.
func Compile(c *config.Config, deps Deps) (*State, error) {
	var errs []error
	routes, err := upstream.Build(c.Models, nil)
	if err != nil {
		errs = append(errs, err)
	}
	trusted, err := config.ParsePrefixes(c.Server.TrustedProxies)
	if err != nil {
		errs = append(errs, err)
	}
	ipAllow, err := config.ParsePrefixes(c.Auth.IPAllow)
	if err != nil {
		errs = append(errs, err)
	}
	authenticators, commit, err := authenticators(c, deps)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	commit()
	return &State{
		Config: c,
		Env: &pipeline.Env{
			Authenticators: authenticators,
			Limiter:        deps.Limiter,
			Policy:         policy.Compile(c.Roles),
			Routes:         routes,
			MaxBodyBytes:   c.Server.MaxBodyBytes,
			TrustedProxies: trusted,
			IPAllow:        ipAllow,
			WriteStall:     c.Server.Timeouts.WriteStall.D(DefaultWriteStall),
			Audit:          deps.Audit,
			Keeper:         keeper(c, deps),
			NoHashes:       noHashes(c),
			ClassRank:      classRank(c),
			RoleClass:      roleClass(c),
			Content:        newContentPolicies(c, deps.ContentKey),
			Approvals:      approvals(c, deps),
			Tracing:        c.Telemetry.OTLP != nil,
		},
	}, nil
}

// noHashes lists the classifications whose records carry no content hashes.
func noHashes(c *config.Config) map[string]bool {
	m := map[string]bool{}
	for _, cl := range c.Classifications {
		if cl.Store == config.StoreNone {
			m[cl.Name] = true
		}
	}
	return m
}

func classRank(c *config.Config) map[string]int {
	m := make(map[string]int, len(c.Classifications))
	for i, cl := range c.Classifications {
		m[cl.Name] = i
	}
	return m
}

func roleClass(c *config.Config) map[string]string {
	m := map[string]string{}
	for _, r := range c.Roles {
		if r.Classification != "" {
			m[r.Name] = r.Classification
		}
	}
	return m
}

// keeper keeps payloads as the config's classifications say; nil when no
// classification keeps any.
func keeper(c *config.Config, deps Deps) *retention.Keeper {
	if deps.Sealer == nil || deps.Store == nil {
		return nil
	}
	for _, cl := range c.Classifications {
		if cl.Store == config.StoreFull {
			return &retention.Keeper{Sealer: deps.Sealer, Store: deps.Store, Writer: deps.Writer, Classes: c.Classifications, Now: deps.Now}
		}
	}
	return nil
}

// authenticators lists the credential checkers in the order they are tried:
// bearer credentials (API keys by their wdn_ prefix, OIDC tokens by their
// JWT shape) before client certificates.
func authenticators(c *config.Config, deps Deps) ([]auth.Authenticator, func(), error) {
	var list []auth.Authenticator
	commit := func() {}
	if deps.APIKeys != nil {
		list = append(list, deps.APIKeys)
	}
	if len(c.Auth.OIDC) > 0 {
		o, cm, err := deps.OIDC.get(c.Auth.OIDC, deps.Now)
		if err != nil {
			return nil, nil, fmt.Errorf("auth.oidc: %w", err)
		}
		list, commit = append(list, o), cm
	}
	if c.Auth.MTLS.Enabled {
		m, err := auth.NewMTLS(c.Auth.MTLS, c.Server.TLS.ClientCAFile)
		if err != nil {
			return nil, nil, err
		}
		list = append(list, m)
	}
	return list, commit, nil
}

// restartOnly lists settings a reload cannot change; they are bound to the
// listener, the store or the keys when the process starts.
func restartOnly(old, new *config.Config) error {
	var errs []error
	check := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			errs = append(errs, fmt.Errorf("%s changed: restart warden to apply it", name))
		}
	}
	check("data_dir", old.DataDir, new.DataDir)
	check("server.listen", old.Server.Listen, new.Server.Listen)
	check("server.metrics_listen", old.Server.MetricsListen, new.Server.MetricsListen)
	check("server.tls", old.Server.TLS, new.Server.TLS)
	check("server.timeouts", old.Server.Timeouts, new.Server.Timeouts)
	check("storage", old.Storage, new.Storage)
	check("kms", old.KMS, new.KMS)
	check("auth.api_keys", old.Auth.APIKeys.On(), new.Auth.APIKeys.On())
	check("ratelimit", old.RateLimit, new.RateLimit)
	check("log", old.Log, new.Log)
	check("audit", old.Audit, new.Audit)
	check("approvals.notify", old.Approvals.Notify, new.Approvals.Notify)
	check("alerts", old.Alerts, new.Alerts)
	check("telemetry", old.Telemetry, new.Telemetry)
	return errors.Join(errs...)
}

// approvals compiles approvals.* and models[].approval (nil if no request
// can need approval, or there is no store to keep approvals in).
func approvals(c *config.Config, deps Deps) *pipeline.Approvals {
	a := &pipeline.Approvals{Required: map[string]bool{}, TTL: c.Approvals.TTL.D(time.Hour), Hold: c.Approvals.Hold.D(0),
		MaxPending: cmp.Or(c.Approvals.MaxPending, 10), Key: deps.ApprovalKey, Record: deps.AuditAct, Notify: deps.Notify, Now: deps.Now}
	for _, m := range c.Models {
		if m.Approval.Required {
			a.Required[m.Name] = true
		}
	}
	for _, r := range c.Approvals.Rules {
		rule := pipeline.ApprovalRule{Name: r.Name, Models: r.Models, Namespaces: r.Namespaces, Roles: r.Roles,
			Entities: content.ExpandEntities(r.Entities), Injection: r.Injection, MinPromptTokens: r.MinPromptTokens}
		for _, cp := range r.Capabilities {
			rule.Capabilities = append(rule.Capabilities, policy.Capability(cp))
		}
		a.Rules = append(a.Rules, rule)
	}
	if len(a.Rules) == 0 && len(a.Required) == 0 || deps.Store == nil {
		return nil
	}
	a.Store = deps.Store
	if deps.Sealer != nil {
		a.Previews = &retention.Keeper{Sealer: deps.Sealer, Store: deps.Store, Classes: c.Classifications, Now: deps.Now}
	}
	return a
}
