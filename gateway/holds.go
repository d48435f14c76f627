package gateway

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/wardenhq/warden/admin"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/store"
)

// holdRoutes serves the legal holds of the admin API (admin).
func (s *Server) holdRoutes(mux *http.ServeMux) {
	for _, a := range []struct {
		pattern, name string
		h             pipeline.Handler
	}{
		{"GET /admin/v1/holds", "admin.holds.list", s.listHolds},
		{"POST /admin/v1/holds", "admin.holds.create", s.createHold},
		{"POST /admin/v1/holds/{id}/release", "admin.holds.release", s.releaseHold},
	} {
		mux.Handle(a.pattern, pipeline.Serve(s.env, pipeline.Endpoint{Name: a.name, Capability: policy.CapAdmin}, pipeline.Admin(a.h), s.observe))
	}
}

func (s *Server) listHolds(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	holds, err := s.opts.Store.ListHolds(r.Context())
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	holds = slices.DeleteFunc(holds, func(h store.Hold) bool { return admin.HoldScope(s.State().Config, x, h, true) != "" })
	if holds == nil {
		holds = []store.Hold{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": holds})
	return nil
}

// createHold answers POST /admin/v1/holds {"case": ..., "principal": ...,
// "namespace": ..., "since": ..., "until": ...}.
func (s *Server) createHold(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var req struct {
		Case      string `json:"case"`
		Principal string `json:"principal"`
		Namespace string `json:"namespace"`
		Since     string `json:"since"`
		Until     string `json:"until"`
	}
	if err := admin.Decode(r, &req); err != nil {
		return err
	}
	if req.Case == "" {
		return httperr.New(http.StatusBadRequest, "invalid_request", `send {"case": "...", and optionally "principal", "namespace", "since", "until"}`)
	}
	h := store.Hold{Case: req.Case, Principal: req.Principal, Namespace: req.Namespace}
	var err error
	if h.Since, err = ParseTime(req.Since, time.Now()); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "since: "+err.Error())
	}
	if h.Until, err = ParseTime(req.Until, time.Now()); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "until: "+err.Error())
	}
	if x.Identity != nil {
		h.CreatedBy = x.Identity.ID
	}
	if why := admin.HoldScope(s.State().Config, x, h, false); why != "" {
		x.AuditAdmin("holds.create", "", "refused: namespace="+h.Namespace)
		return errHoldScope("you may not place this hold: " + why)
	}
	created, err := s.opts.Store.CreateHold(r.Context(), h)
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	x.AuditAdmin("holds.create", created.ID, "case="+created.Case)
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	id := r.PathValue("id")
	x.AuditAdmin("holds.release", id, "")
	by := ""
	if x.Identity != nil {
		by = x.Identity.ID
	}
	holds, err := s.opts.Store.ListHolds(r.Context())
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	i := slices.IndexFunc(holds, func(h store.Hold) bool { return h.ID == id })
	if i < 0 {
		return httperr.New(http.StatusNotFound, "hold_not_found", "no such hold")
	}
	if why := admin.HoldScope(s.State().Config, x, holds[i], true); why != "" {
		return errHoldScope("you may not release this hold: " + why)
	}
	err = s.opts.Store.ReleaseHold(r.Context(), id, by, s.opts.Now().UTC())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httperr.New(http.StatusNotFound, "hold_not_found", "no such hold")
	case errors.Is(err, store.ErrReleased):
		return httperr.New(http.StatusConflict, "hold_released", "the hold is released already")
	case err != nil:
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "released": true})
	return nil
}

// errHoldScope refuses a hold act beyond the caller's reach
// (admin.HoldScope).
func errHoldScope(msg string) error {
	return httperr.New(http.StatusForbidden, "hold_scope_exceeded", msg)
}
