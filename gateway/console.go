package gateway

import (
	"context"
	"net/http"

	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/console"
)

// consoleRoutes mounts the web console at /console/ when console.*
// configures a sign-in. The console calls the admin API's own handlers
// (search, proof, approvals), so it applies the same policy and writes the
// same audit records. Its sign-in configuration is read at start; a
// reload changes roles (and require_mfa) but not console.* itself.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	cfg := s.State().Config.Console
	if !cfg.On() {
		return
	}
	c, err := console.New(context.Background(), console.Options{Config: cfg, Now: s.opts.Now}, console.Backend{
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
	})
	if err != nil {
		// Fail closed: the console answers 503 until the cause is fixed.
		s.log.Error("console: not started", "err", err)
		mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the console is unavailable; see the gateway's log", http.StatusServiceUnavailable)
		})
		return
	}
	mux.Handle("/console/", c.Handler())
}
