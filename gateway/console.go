package gateway

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/console"
)

// consoleRetry is the least time between two attempts to start a console
// that could not start (an IdP's metadata or discovery unreachable).
const consoleRetry = 30 * time.Second

// consoleRoutes mounts the web console at /console/ when console.*
// configures a sign-in. The console calls the admin API's own handlers
// (search, proof, approvals), so it applies the same policy and writes the
// same audit records. Its sign-in configuration is read at start; a
// reload changes roles (and require_mfa) but not console.* itself. A
// console that cannot start (the IdP's metadata unreachable) answers 503
// and is tried again at most every consoleRetry.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	cfg := s.State().Config.Console
	if !cfg.On() {
		return
	}
	var (
		mu   sync.Mutex
		c    *console.Console
		last time.Time
	)
	start := func(ctx context.Context) *console.Console {
		mu.Lock()
		defer mu.Unlock()
		if c != nil || (!last.IsZero() && time.Since(last) < consoleRetry) {
			return c
		}
		last = time.Now()
		var err error
		if c, err = console.New(ctx, console.Options{Config: cfg, Now: s.opts.Now}, s.consoleBackend()); err != nil {
			s.log.Error("console: not started; it answers 503 until it can start", "err", err)
		}
		return c
	}
	start(context.Background())
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c := start(r.Context())
		if c == nil {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "the console is unavailable; see the gateway's log", http.StatusServiceUnavailable)
			return
		}
		c.Handler().ServeHTTP(w, r)
	})
}

func (s *Server) consoleBackend() console.Backend {
	return console.Backend{
		Env:       s.env,
		Observe:   s.observe,
		Config:    func() *config.Config { return s.State().Config },
		Search:    s.searchRecords,
		Proof:     s.auditProof,
		Approvals: s.listApprovals,
		Decide:    s.decideApproval,
		LogSize: func(ctx context.Context) (uint64, string, error) {
			cp, err := verify.ReadCheckpoint(ctx, verify.Dir(s.audit.Log().Dir()), s.auditKey.Verifier)
			return cp.Size, cp.Origin, err
		},
	}
}
