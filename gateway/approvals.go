package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/admin"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/store"
)

// approvalRoutes serves the approvals of the admin API (approve).
func (s *Server) approvalRoutes(mux *http.ServeMux) {
	for _, a := range []struct {
		pattern, name string
		h             pipeline.Handler
	}{
		{"GET /admin/v1/approvals", "admin.approvals.list", s.listApprovals},
		{"GET /admin/v1/approvals/{id}", "admin.approvals.get", s.getApproval},
		{"POST /admin/v1/approvals/{id}/approve", "admin.approvals.approve", s.decideApproval(true)},
		{"POST /admin/v1/approvals/{id}/deny", "admin.approvals.deny", s.decideApproval(false)},
	} {
		mux.Handle(a.pattern, pipeline.Serve(s.env, pipeline.Endpoint{Name: a.name, Capability: policy.CapApprove}, pipeline.Admin(a.h), s.observe))
	}
}

// listApprovals answers GET /admin/v1/approvals: the pending ones, or with
// ?status=all every one of the last ?days (default 7).
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	days := 7
	if d, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && d > 0 && d <= 366 {
		days = d
	}
	now := s.opts.Now()
	var list []store.Approval
	var err error
	if r.URL.Query().Get("status") == "all" {
		list, err = s.opts.Store.ListApprovals(r.Context(), now.AddDate(0, 0, -days), 1000)
	} else {
		list, err = s.opts.Store.ListPending(r.Context(), now) // every one: bounded by approvals.max_pending per principal
	}
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	list = slices.DeleteFunc(list, func(a store.Approval) bool { return !mayDecide(x, a) })
	if err := s.previews().OpenPreviews(r.Context(), list); err != nil {
		return errPreview(err)
	}
	data := []map[string]any{}
	for _, a := range list {
		data = append(data, a.View(now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	return nil
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	a, err := s.opts.Store.GetApproval(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httperr.New(http.StatusNotFound, "approval_not_found", "no such approval")
	case err != nil:
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	if !mayDecide(x, a) {
		return errApprovalOutOfReach(x, "approvals.get", a)
	}
	if err := s.previews().OpenPreview(r.Context(), &a); err != nil {
		return errPreview(err)
	}
	writeJSON(w, http.StatusOK, a.View(s.opts.Now()))
	return nil
}

// mayDecide reports whether the caller's roles reach the model an approval
// is for: the same policy decision as a request to that model (its models,
// namespace, addresses, and the credential's own scope), with approve as
// the capability. An approver sees, and decides on, only the requests it
// could reach; an approval for a model no longer configured is reached by
// no one (it lapses).
func mayDecide(x *pipeline.Exchange, a store.Approval) bool {
	return reachApproval(x, a).Allow
}

func reachApproval(x *pipeline.Exchange, a store.Approval) policy.Decision {
	rt := x.Env.Routes.Lookup(a.Model)
	if rt == nil {
		return policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInRole}}
	}
	return x.Env.Policy.Authorize(x.Identity, policy.Model{Name: rt.Name, Namespace: rt.Namespace}, x.ClientIP, policy.CapApprove)
}

// maxIssuerChain bounds the walk of sameParty: keys made by keys made
// by keys, deeper than any real use.
const maxIssuerChain = 64

// sameParty reports whether principals a and b are one party for
// self-approval: the same principal, or one holds the other's secret
// because it issued it (made the key, or rotated it) through the admin
// API, directly or down a chain of keys made with keys. So a requester
// cannot approve its own request with a key it minted (or was minted
// with), whichever of the two asked.
func (s *Server) sameParty(ctx context.Context, a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	for _, pair := range [2][2]string{{a, b}, {b, a}} {
		found, err := s.issuedBy(ctx, pair[0], pair[1])
		if found || err != nil {
			return found, err
		}
	}
	return false, nil
}

// issuedBy reports whether some chain of issuers of p's live secrets (the
// issuers of an API key's secrets, theirs if they are keys, and so on)
// reaches principal by.
func (s *Server) issuedBy(ctx context.Context, p, by string) (bool, error) {
	now := s.opts.Now()
	seen := map[string]bool{p: true}
	queue := []string{p}
	for len(queue) > 0 && len(seen) <= maxIssuerChain {
		k, ok := strings.CutPrefix(queue[0], "apikey:")
		queue = queue[1:]
		if !ok {
			continue
		}
		issuers, err := s.opts.Store.SecretIssuers(ctx, k, now)
		if err != nil {
			return false, err
		}
		for _, i := range issuers {
			if i == by {
				return true, nil
			}
			if !seen[i] {
				seen[i] = true
				queue = append(queue, i)
			}
		}
	}
	return len(queue) > 0, nil // a chain too long to follow counts as one party
}

// decidingRole is the decision of a role among approvers (any role, if
// approvers is empty) that reaches approval a as reachApproval does.
func decidingRole(x *pipeline.Exchange, a store.Approval, approvers []string) policy.Decision {
	rt := x.Env.Routes.Lookup(a.Model)
	if rt == nil {
		return policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInRole}}
	}
	return x.Env.Policy.AuthorizeAmong(x.Identity, approvers, policy.Model{Name: rt.Name, Namespace: rt.Namespace}, x.ClientIP, policy.CapApprove)
}

// errApprovalOutOfReach refuses an approval beyond the caller's reach; the
// act's record names it and carries the policy's reasons.
func errApprovalOutOfReach(x *pipeline.Exchange, action string, a store.Approval) error {
	x.Decision = reachApproval(x, a)
	x.AuditAdmin(action, a.ID, "refused: model="+a.Model)
	return httperr.New(http.StatusForbidden, "approval_not_allowed", "your role does not reach the model this approval is for")
}

// previews opens the sealed previews of approvals.
func (s *Server) previews() *retention.Keeper {
	return &retention.Keeper{Sealer: s.deps.Sealer, Store: s.opts.Store}
}

// errPreview answers a preview that could not be opened.
func errPreview(err error) error {
	return httperr.Wrap(http.StatusServiceUnavailable, "preview_unavailable", "an approval's preview cannot be opened now (is the KMS reachable?)", err)
}

// decideApproval answers POST /admin/v1/approvals/{id}/approve and /deny
// (optional body {"reason": "..."}): by an approver (approvals.approvers,
// if set), never by the principal who asked (unless self_approval).
func (s *Server) decideApproval(approve bool) pipeline.Handler {
	action := "approvals.deny"
	if approve {
		action = "approvals.approve"
	}
	return func(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
		id := r.PathValue("id")
		x.AuditAdmin(action, id, "")
		var req struct {
			Reason string `json:"reason"`
		}
		if err := admin.Decode(r, &req); err != nil {
			return err
		}
		cfg := s.State().Config.Approvals
		ctx := r.Context()
		a, err := s.opts.Store.GetApproval(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return httperr.New(http.StatusNotFound, "approval_not_found", "no such approval")
		case err != nil:
			return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
		}
		if !mayDecide(x, a) {
			return errApprovalOutOfReach(x, action, a)
		}
		// The role that reaches the approval must itself be an approver:
		// another role of the same principal (OIDC groups) does not lend
		// it its place among approvals.approvers.
		d := decidingRole(x, a, cfg.Approvers)
		if !d.Allow {
			x.Decision = d
			x.AuditAdmin(action, a.ID, "refused: not an approver for model="+a.Model)
			return httperr.New(http.StatusForbidden, "not_an_approver", "no role of yours that reaches this approval is one of approvals.approvers")
		}
		x.Decision = d
		if !cfg.SelfApproval {
			switch same, err := s.sameParty(ctx, x.Identity.ID, a.Principal); {
			case err != nil:
				return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
			case same:
				return httperr.New(http.StatusForbidden, "self_approval", "you cannot decide on your own request, nor on one made with a key whose secret you issued or that issued yours")
			}
		}
		now := s.opts.Now()
		validTo := now.Add(cfg.TTL.D(time.Hour)) // an approval lets the request through, a denial refuses it, until then
		err = s.opts.Store.DecideApproval(ctx, id, approve, x.Identity.ID, req.Reason, now, validTo)
		switch {
		case errors.Is(err, store.ErrDecided):
			return httperr.New(http.StatusConflict, "approval_decided", "the approval was decided already, or has lapsed")
		case err != nil:
			return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
		}
		x.AuditAdmin(action, id, fmt.Sprintf("principal=%s model=%s", a.Principal, a.Model))
		a, _ = s.opts.Store.GetApproval(ctx, id)
		s.previews().OpenPreview(ctx, &a) // decided already: an unreadable preview is shown empty
		writeJSON(w, http.StatusOK, a.View(now))
		return nil
	}
}
