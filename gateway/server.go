package gateway

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenhq/warden/admin"
	"github.com/wardenhq/warden/alert"
	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/sink"
	"github.com/wardenhq/warden/store"
	"github.com/wardenhq/warden/telemetry"
)

// Options are a Server's process-wide dependencies, wired by main.
type Options struct {
	Store  *store.DB
	KMS    kms.Provider
	Logger *slog.Logger
	// ConfigPath is reread on Reload; empty disables reloading.
	ConfigPath string
	// Listen, if set, overrides server.listen (warden serve --listen), in
	// the first config and in every reloaded one.
	Listen string
	// Limiter holds rate-limit counters (default: in memory). main builds
	// the one ratelimit.driver names.
	Limiter ratelimit.Limiter
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeyCheckInterval is how often API keys are checked for alerts.key_expiry
	// rules (default 1m).
	KeyCheckInterval time.Duration
	// Version is Warden's version, for traces' service.version.
	Version string
}

// Server serves the data plane, the operations endpoints and reloads.
type Server struct {
	opts    Options
	log     *slog.Logger
	usage   *auth.Usage
	hasher  *auth.Hasher
	tls     *tls.Config // nil: plain HTTP
	deps    Deps
	metrics *metrics
	state   atomic.Pointer[State]
	reload  sync.Mutex // one reload at a time
	handler http.Handler

	audit    *auditlog.Recorder
	notifier *notify.Notifier    // approvals.notify (nil: none)
	alerts   *alert.Engine       // alerts (nil: none)
	closers  []func()            // notifiers of alert rules, the trace exporter
	tracer   *telemetry.Exporter // nil: no traces
	shippers []*sink.Shipper     // audit.sinks
	archives []*sink.S3Archive   // audit.sinks of type s3
	auditKey auditlog.Key
	indexer  *auditlog.Indexer
}

// New compiles cfg and returns a Server ready to serve it.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Listen != "" {
		cfg.Server.Listen = opts.Listen
	}
	s := &Server{opts: opts, log: opts.Logger, usage: auth.NewUsage(), metrics: newMetrics(),
		hasher: auth.NewHasher(opts.KMS.DeriveKey(kms.PurposeAPIKeyHash))}
	s.deps = Deps{Limiter: opts.Limiter, OIDC: &oidcCache{}, Now: opts.Now, ContentKey: opts.KMS.DeriveKey(kms.PurposeContentHash),
		ApprovalKey: opts.KMS.DeriveKey(kms.PurposeApprovalBinding)}
	if s.deps.Limiter == nil {
		s.deps.Limiter = ratelimit.NewMemory()
	}
	if cfg.Auth.APIKeys.On() {
		s.deps.APIKeys = &auth.APIKeys{Keys: opts.Store, Hasher: s.hasher, Usage: s.usage, Now: opts.Now, Version: opts.Store.KeysVersion}
	}
	var err error
	if s.tls, err = TLSConfig(cfg.Server.TLS); err != nil {
		return nil, err
	}
	if err := s.openAudit(cfg); err != nil {
		return nil, err
	}
	s.deps.Audit = s.audit
	if err := s.openNotifier(cfg); err != nil {
		s.closeAudit()
		return nil, err
	}
	if err := s.openSinks(cfg); err != nil {
		s.notifier.Close()
		s.closeAudit()
		return nil, err
	}
	if err := s.openAlerts(cfg); err != nil {
		s.notifier.Close()
		s.closeAudit()
		return nil, err
	}
	if err := s.openTelemetry(cfg); err != nil {
		s.notifier.Close()
		s.closeAudit()
		return nil, err
	}
	s.deps.AuditAct = func(action, target, detail string) { s.auditSystem(action, target, detail, 0) }
	s.deps.Sealer, s.deps.Store = &seal.Sealer{Ring: opts.KMS.KeyRing()}, opts.Store
	s.deps.Writer = retention.NewWriter(opts.Store)
	s.metrics.watchAudit(s.audit)
	st, err := Compile(cfg, s.deps)
	if err != nil {
		s.closeAudit()
		return nil, err
	}
	s.state.Store(st)
	s.handler = s.routes()
	return s, nil
}

// State returns the current compiled state.
func (s *Server) State() *State { return s.state.Load() }

func (s *Server) env() *pipeline.Env { return s.state.Load().Env }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	inference := pipeline.Inference()
	mux.Handle("POST /v1/chat/completions", pipeline.Serve(s.env, pipeline.ChatCompletions, inference, s.observe))
	mux.Handle("POST /v1/completions", pipeline.Serve(s.env, pipeline.Completions, inference, s.observe))
	mux.Handle("POST /v1/embeddings", pipeline.Serve(s.env, pipeline.Embeddings, inference, s.observe))
	iface := pipeline.Interface()
	mux.Handle("POST /v1/responses", pipeline.Serve(s.env, pipeline.Responses, iface, s.observe))
	mux.Handle("POST /v1/messages", pipeline.Serve(s.env, pipeline.Messages, iface, s.observe))
	mux.Handle("POST /v1/messages/count_tokens", pipeline.Serve(s.env, pipeline.MessagesCountTokens, pipeline.CountTokens(), s.observe))
	mux.Handle("GET /v1/models", pipeline.Serve(s.env, pipeline.Models, pipeline.ListModels(), s.observe))
	mux.Handle("GET /v1/models/{id...}", pipeline.Serve(s.env, pipeline.Models, pipeline.GetModel(), s.observe))
	keys := &admin.Keys{Store: s.opts.Store, Hasher: s.hasher, Now: s.opts.Now,
		Config: func() *config.Config { return s.State().Config }}
	for _, a := range []struct {
		pattern string
		name    string
		h       pipeline.Handler
	}{
		{"GET /admin/v1/keys", "admin.keys.list", keys.List},
		{"POST /admin/v1/keys", "admin.keys.create", keys.Create},
		{"POST /admin/v1/keys/{id}/rotate", "admin.keys.rotate", keys.Rotate},
		{"POST /admin/v1/keys/{id}/revoke", "admin.keys.revoke", keys.Revoke},
	} {
		ep := pipeline.Endpoint{Name: a.name, Capability: policy.CapAdmin}
		mux.Handle(a.pattern, pipeline.Serve(s.env, ep, pipeline.Admin(a.h), s.observe))
	}
	s.auditRoutes(mux)
	s.payloadRoutes(mux)
	s.holdRoutes(mux)
	s.approvalRoutes(mux)
	s.sinkRoutes(mux)
	s.consoleRoutes(mux) // /console/ (gateway/console.go)
	mux.Handle("GET /admin/v1/audit/proof/{index}", pipeline.Serve(s.env,
		pipeline.Endpoint{Name: "admin.audit.proof", Capability: policy.CapAuditRead}, pipeline.Admin(s.auditProof), s.observe))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.State().Config.Server.MetricsListen == "" {
		// On the main listener, the global allowlist applies to metrics as
		// to everything else (a separate metrics_listen is better still).
		// A scrape is not recorded, but a refused one is, as any request
		// from outside the allowlist is (endpoint unknown, route "GET
		// /metrics"): probing leaves a trace.
		metrics := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
		refused := pipeline.Unrouted(func(http.ResponseWriter, *http.Request, *pipeline.Exchange) error {
			// Reached only if a reload allowed the address meanwhile.
			return httperr.New(http.StatusForbidden, "ip_not_allowed", "requests from your address are not allowed")
		})
		refuse := pipeline.Serve(s.env, pipeline.Unknown, func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
			x.AskedRoute = "GET /metrics"
			return refused(w, r, x)
		}, s.observe)
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			env := s.env()
			if len(env.IPAllow) > 0 && !policy.Contains(env.IPAllow, pipeline.ClientIP(r, env.TrustedProxies)) {
				refuse.ServeHTTP(w, r)
				return
			}
			metrics.ServeHTTP(w, r)
		})
	}
	rt := &router{mux: mux}
	rt.unrouted = rt.unroutedHandler(s.env, pipeline.Unknown, s.observe)
	rt.unroutedAnthropic = rt.unroutedHandler(s.env, pipeline.UnknownAnthropic, s.observe)
	return withRequestID(rt)
}

// metricsHandler serves /metrics alone, for server.metrics_listen.
func (s *Server) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// withRequestID gives every response an X-Request-Id, including those that
// never reach the pipeline (health, metrics); the pipeline uses the same id
// for its exchange.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", pipeline.NewRequestID())
		// Clear a write deadline left on a kept-alive connection by the
		// previous request's stream (see pipeline's write stall).
		http.NewResponseController(w).SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.opts.Store.Ping(ctx); err != nil {
		s.log.Warn("not ready: storage unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "storage": "unreachable"})
		return
	}
	if err := s.audit.Ready(); err != nil {
		s.log.Warn("not ready: the audit log cannot take records", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "audit": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// observe records metrics and the access log line for a finished exchange.
// Neither carries request or response content.
func (s *Server) observe(x *pipeline.Exchange) {
	end := time.Now()
	total := end.Sub(x.Start)
	s.trace(x, end)
	s.metrics.observe(x, total.Seconds())
	s.alertEvents(x)
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("request_id", x.ID),
		slog.String("endpoint", x.Endpoint.Name),
		slog.Int("status", x.Status),
		slog.String("decision", string(x.Outcome())),
		slog.String("client_ip", x.ClientIP.String()),
		slog.Float64("duration_ms", float64(total.Microseconds())/1000),
	)
	if x.AuditID != "" {
		attrs = append(attrs, slog.String("audit_id", x.AuditID))
	}
	if idx, ok := x.AuditIndex(); ok {
		attrs = append(attrs, slog.Uint64("audit_index", idx))
	}
	if x.Identity != nil {
		attrs = append(attrs, slog.String("principal", x.Identity.ID))
		if role := cmp.Or(x.Decision.Role, x.Identity.Role); role != "" {
			attrs = append(attrs, slog.String("role", role))
		}
	}
	if x.Route != nil {
		attrs = append(attrs, slog.String("model", x.Route.Name))
	}
	if x.AskedRoute != "" {
		attrs = append(attrs, slog.String("route", x.AskedRoute)) // bounded, never the raw path
	}
	if len(x.Decision.Reasons) > 0 {
		attrs = append(attrs, slog.Any("reasons", x.Decision.Reasons))
	}
	if x.AuthReason != "" {
		attrs = append(attrs, slog.String("auth_reason", string(x.AuthReason)))
	}
	if o := x.Upstream; o != nil {
		if !o.Headers.IsZero() {
			attrs = append(attrs, slog.Float64("upstream_ms", float64(o.Headers.Sub(o.Start).Microseconds())/1000))
		}
		if o.Err != nil {
			attrs = append(attrs, slog.String("upstream_error", o.Err.Error()))
		}
	}
	level := slog.LevelInfo
	if x.Aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if x.ClientGone {
		attrs = append(attrs, slog.Bool("client_gone", true))
	}
	if x.Err != nil {
		attrs = append(attrs, slog.String("error_code", x.Err.Code))
		if x.Err.Status >= 500 {
			level = slog.LevelWarn
			if x.Err.Err != nil {
				attrs = append(attrs, slog.String("error", x.Err.Err.Error()))
			}
		}
	}
	s.log.LogAttrs(context.Background(), level, "request", attrs...)
}

// Reload rereads the config file, validates and compiles it, and swaps it in.
// On any problem the current state keeps serving and the error is returned.
func (s *Server) Reload() error {
	s.reload.Lock()
	defer s.reload.Unlock()
	if s.opts.ConfigPath == "" {
		return errors.New("reload: no config file (dev mode)")
	}
	err := s.reloadLocked()
	if err != nil {
		s.metrics.reloads.WithLabelValues("refused").Inc()
		s.log.Error("config reload refused; the previous configuration keeps serving", "file", s.opts.ConfigPath, "err", err)
		return err
	}
	s.auditSystem("config.reload", s.opts.ConfigPath, "", http.StatusOK)
	s.metrics.reloads.WithLabelValues("applied").Inc()
	s.log.Info("config reloaded", "file", s.opts.ConfigPath)
	return nil
}

func (s *Server) reloadLocked() error {
	cfg, err := config.Load(s.opts.ConfigPath)
	if err != nil {
		return err
	}
	if s.opts.Listen != "" {
		cfg.Server.Listen = s.opts.Listen
	}
	old := s.state.Load()
	if err := restartOnly(old.Config, cfg); err != nil {
		return err
	}
	st, err := Compile(cfg, s.deps)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	s.state.Store(st)
	old.Env.Routes.CloseIdleConnections()
	return nil
}

// PrefetchOIDC fetches every configured issuer's keys now, so the first
// token of each does not wait for discovery; failures are logged, and the
// keys are fetched again on first use.
func (s *Server) PrefetchOIDC(ctx context.Context) {
	for _, a := range s.env().Authenticators {
		if o, ok := a.(*auth.OIDC); ok {
			if err := o.Prefetch(ctx); err != nil {
				s.log.Warn("could not fetch OIDC keys at start; will retry on first use", "err", err)
			}
		}
	}
}

// FlushUsage writes batched key usage times to the store.
func (s *Server) FlushUsage(ctx context.Context) error {
	return s.usage.Flush(ctx, s.opts.Store.TouchKeys)
}
