package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

// payloadRoutes serves the stored payloads (audit.decrypt) and the
// retention run (admin).
func (s *Server) payloadRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/v1/audit/records/{index}/payload", pipeline.Serve(s.env,
		pipeline.Endpoint{Name: "admin.audit.decrypt", Capability: policy.CapAuditDecrypt, Durable: true}, pipeline.Admin(s.decryptPayload), s.observe))
	mux.Handle("POST /admin/v1/retention/run", pipeline.Serve(s.env,
		pipeline.Endpoint{Name: "admin.retention.run", Capability: policy.CapAdmin}, pipeline.Admin(s.retentionRun), s.observe))
}

// decryptPayload answers GET /admin/v1/audit/records/{index}/payload
// [?origin=O]: the prompt and response kept for a record, opened. Every
// call is itself an audited act (audit.decrypt, target origin/index).
func (s *Server) decryptPayload(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 63)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "index: want a leaf index")
	}
	origin := r.URL.Query().Get("origin")
	if origin == "" {
		origin = s.audit.Log().Origin()
	}
	x.AuditAdmin("audit.decrypt", fmt.Sprintf("%s/%d", origin, idx), "")
	row, err := s.opts.Store.AuditRecord(r.Context(), origin, idx)
	if errors.Is(err, store.ErrNotFound) {
		return httperr.New(http.StatusNotFound, "record_not_found", "no such record (or not indexed yet)")
	}
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	if err := mayDecrypt(x, row); err != nil {
		return err
	}
	k := &retention.Keeper{Sealer: s.deps.Sealer, Store: s.opts.Store}
	prompt, response, err := k.Open(r.Context(), row.ID)
	switch {
	case errors.Is(err, retention.ErrNotKept):
		return httperr.New(http.StatusNotFound, "payload_not_kept", "no payload is kept for this record (its classification keeps none, or it was purged)")
	case errors.Is(err, seal.ErrShredded):
		return httperr.New(http.StatusGone, "payload_shredded", "the payload's retention ended and its key was destroyed")
	case err != nil:
		return httperr.Wrap(http.StatusInternalServerError, "payload_unreadable", "the payload cannot be opened", err)
	}
	out := map[string]any{"index": idx, "origin": origin, "record_id": row.ID,
		"prompt": jsonOrString(prompt), "response": nil}
	if response != nil {
		out["response"] = jsonOrString(response)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// mayDecrypt confines audit.decrypt to what the caller's roles reach: the
// record's model and namespace must be ones a role granting audit.decrypt
// allows, from the caller's address, within its credential's own scope
// (an API key's models and addresses) — the same policy decision as a
// request to that model, with audit.decrypt as the capability. A record
// with no model (an administrative act) concerns none, and no role
// reaches it: it has no payload. A refusal is answered 403
// decrypt_not_allowed, and its reasons go into the audit.decrypt record
// (which names the target, and the model and namespace it holds). The
// record's existence is not hidden: leaf indexes are sequential and the
// checkpoint gives the log's size.
func mayDecrypt(x *pipeline.Exchange, row store.AuditRow) error {
	d := x.Env.Policy.Authorize(x.Identity, policy.Model{Name: row.Model, Namespace: row.Namespace}, x.ClientIP, policy.CapAuditDecrypt)
	if row.Model == "" {
		d = policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInRole}}
	}
	if d.Allow {
		return nil
	}
	x.Decision = d
	x.AuditAdmin("audit.decrypt", fmt.Sprintf("%s/%d", row.Origin, row.Index), fmt.Sprintf("refused: model=%s namespace=%s", row.Model, row.Namespace))
	return httperr.New(http.StatusForbidden, "decrypt_not_allowed", "your role does not allow opening records of this model or namespace")
}

// jsonOrString embeds a payload as JSON when it is JSON (request bodies
// and answers are), else as a string.
func jsonOrString(b []byte) any {
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}

// retentionRun answers POST /admin/v1/retention/run.
func (s *Server) retentionRun(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	rep, err := s.runRetention(r)
	x.AuditAdmin("retention.run", "", rep.Detail())
	if err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "retention_failed", "the retention run failed part way; run it again", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys_destroyed": nonNil(rep.Keys), "payloads_deleted": rep.Payloads, "keys_held": nonNil(rep.Held)})
	return nil
}

func (s *Server) runRetention(r *http.Request) (retention.Report, error) {
	k := &retention.Keeper{Sealer: s.deps.Sealer, Store: s.opts.Store, Classes: s.State().Config.Classifications, Now: s.opts.Now}
	return k.Run(context.WithoutCancel(r.Context())) // a run is not abandoned midway
}

// retentionLoop purges what is past retention every interval, recording
// each run that did something as a system act.
func (s *Server) retentionLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		k := &retention.Keeper{Sealer: s.deps.Sealer, Store: s.opts.Store, Classes: s.State().Config.Classifications, Now: s.opts.Now}
		rep, err := k.Run(ctx)
		if err != nil {
			s.log.Error("retention run failed", "err", err)
		}
		if len(rep.Refused) > 0 {
			s.log.Warn("retention: key names on stored payloads that are not KEKs past their period; not destroyed (has the database been edited?)", "keys", rep.Refused)
		}
		if len(rep.Keys) > 0 || len(rep.Refused) > 0 || rep.Approvals > 0 || rep.Previews > 0 || err != nil {
			status := http.StatusOK
			if err != nil {
				status = http.StatusInternalServerError
			}
			s.auditSystem("retention.run", "", rep.Detail(), status)
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
