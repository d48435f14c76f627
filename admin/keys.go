// Package admin is Warden's administrative HTTP API under /admin/v1/. Each
// route needs a capability (docs/operations.md, "Admin API"), checked by the pipeline before the
// handler runs; handlers return errors in OpenAI's shape like the data plane.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/store"
)

// KeyStore is what key administration needs from the store.
type KeyStore interface {
	auth.KeyStore
	ListKeys(ctx context.Context) ([]store.APIKey, error)
	GetKey(ctx context.Context, id string) (store.APIKey, error)
	RevokeKey(ctx context.Context, id string, at time.Time) error
}

// Keys serves /admin/v1/keys.
type Keys struct {
	Store  KeyStore
	Hasher *auth.Hasher
	Config func() *config.Config // the current configuration
	Now    func() time.Time
}

// KeyInfo is a key as the CLI and the admin API show it: never its secret.
type KeyInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Prefix     string     `json:"prefix"`
	Models     []string   `json:"models"`
	IPAllow    []string   `json:"ip_allow"`
	RPM        int        `json:"rpm"`
	TPM        int        `json:"tpm"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewKeyInfo describes k.
func NewKeyInfo(k store.APIKey) KeyInfo {
	ki := KeyInfo{ID: k.ID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, Models: k.Models, IPAllow: k.IPAllow, RPM: k.RPM, TPM: k.TPM,
		CreatedAt: k.CreatedAt, ExpiresAt: optTime(k.ExpiresAt), LastUsedAt: optTime(k.LastUsedAt),
		Revoked: k.Revoked(), RevokedAt: optTime(k.RevokedAt)}
	if ki.Models == nil {
		ki.Models = []string{}
	}
	if ki.IPAllow == nil {
		ki.IPAllow = []string{}
	}
	return ki
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// NewKey is the answer to a create or rotate: the secret, shown once.
type NewKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// List handles GET /admin/v1/keys.
func (a *Keys) List(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	keys, err := a.Store.ListKeys(r.Context())
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = NewKeyInfo(k)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
}

type createRequest struct {
	Name      string   `json:"name"`
	Role      string   `json:"role"`
	Models    []string `json:"models"`
	IPAllow   []string `json:"ip_allow"`
	RPM       int      `json:"rpm"`
	TPM       int      `json:"tpm"`
	ExpiresIn string   `json:"expires_in"`
}

// Create handles POST /admin/v1/keys.
func (a *Keys) Create(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var req createRequest
	if err := Decode(r, &req); err != nil {
		return err
	}
	spec := auth.KeySpec{Name: req.Name, Role: req.Role, Models: req.Models, RPM: req.RPM, TPM: req.TPM}
	for _, c := range req.IPAllow {
		p, err := config.ParsePrefix(c)
		if err != nil {
			return badRequest("ip_allow: " + err.Error())
		}
		spec.IPAllow = append(spec.IPAllow, p.String())
	}
	if req.RPM < 0 || req.TPM < 0 {
		return badRequest("rpm and tpm must not be negative")
	}
	switch {
	case req.Name == "" || req.Role == "":
		return badRequest("name and role are required")
	case !a.Config().HasRole(req.Role):
		return badRequest("role is not defined in the configuration")
	}
	for _, m := range req.Models {
		if m == "" {
			return badRequest("models must not contain empty patterns")
		}
	}
	if req.ExpiresIn != "" {
		d, err := config.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return badRequest("expires_in: want a positive duration such as 90d or 12h")
		}
		spec.ExpiresIn = d
	}
	if why := a.beyond(x, spec.Role, spec.Models, spec.IPAllow, spec.RPM, spec.TPM); why != "" {
		return httperr.New(http.StatusForbidden, "key_scope_exceeded", "a key you create cannot reach further than you: "+why)
	}
	secret, k, err := auth.IssueKey(r.Context(), a.Store, a.Hasher, spec, a.Now())
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	x.AuditAdmin("keys.create", k.ID, "role="+k.Role)
	return writeJSON(w, http.StatusCreated, NewKey{ID: k.ID, Key: secret})
}

// Rotate handles POST /admin/v1/keys/{id}/rotate with {"grace": "24h"}.
func (a *Keys) Rotate(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var req struct {
		Grace string `json:"grace"`
	}
	if err := Decode(r, &req); err != nil {
		return err
	}
	grace := 24 * time.Hour
	if req.Grace != "" {
		d, err := config.ParseDuration(req.Grace)
		if err != nil || d < 0 {
			return badRequest("grace: want a duration such as 0s, 1h or 7d")
		}
		grace = d
	}
	id := r.PathValue("id")
	// A new secret is handed to the caller: only for a key that reaches
	// no further than the caller does.
	k, err := a.Store.GetKey(r.Context(), id)
	if err != nil {
		return keyError(err)
	}
	if why := a.beyond(x, k.Role, k.Models, k.IPAllow, k.RPM, k.TPM); why != "" {
		return httperr.New(http.StatusForbidden, "key_scope_exceeded", "you may not take over a key that reaches further than you: "+why)
	}
	secret, err := auth.RotateKey(r.Context(), a.Store, a.Hasher, id, grace, a.Now())
	if err != nil {
		return keyError(err)
	}
	x.AuditAdmin("keys.rotate", id, "")
	return writeJSON(w, http.StatusOK, NewKey{ID: id, Key: secret})
}

// beyond says how a key of role, narrowed by models, ipAllow, rpm and tpm,
// would reach further than the caller of x may ("" if it would not): a
// capability the caller's role lacks, a model or namespace outside it, or
// an address, model or limit beyond the caller's own key scope. Without
// it, anyone with the admin capability could mint an auditor's or an
// approver's key, or an unscoped one from a scoped key. (The offline CLI
// is the operator's, and unbound.)
func (a *Keys) beyond(x *pipeline.Exchange, role string, models, ipAllow []string, rpm, tpm int) string {
	cfg := a.Config()
	target, mine := cfg.Role(role), cfg.Role(x.Decision.Role)
	if target == nil {
		return "the role is not defined"
	}
	if mine == nil || x.Identity == nil {
		return "your role is not defined"
	}
	for _, c := range target.Capabilities {
		if !slices.Contains(mine.Capabilities, c) {
			return "the role grants " + c + ", which yours does not"
		}
	}
	if len(mine.Namespaces) > 0 {
		if len(target.Namespaces) == 0 {
			return "the role grants every namespace"
		}
		for _, n := range target.Namespaces {
			if !slices.Contains(mine.Namespaces, n) {
				return "the role grants namespace " + n
			}
		}
	}
	// The models the key would reach: its own globs if it has them (each
	// within its role's), else its role's.
	reach := models
	if len(reach) == 0 {
		reach = target.Models
	}
	covered := func(globs []string, g string) bool {
		return slices.ContainsFunc(globs, func(p string) bool { return policy.Match(p, g) })
	}
	for _, g := range reach {
		if !covered(mine.Models, g) || len(x.Identity.Models) > 0 && !covered(x.Identity.Models, g) {
			return "it would reach models " + g
		}
	}
	if len(x.Identity.IPAllow) > 0 {
		if len(ipAllow) == 0 {
			return "it would work from every address, and your key does not"
		}
		for _, c := range ipAllow {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return "ip_allow " + c
			}
			if !slices.ContainsFunc(x.Identity.IPAllow, func(q netip.Prefix) bool { return q.Bits() <= p.Bits() && q.Contains(p.Addr()) }) {
				return "it would work from " + c
			}
		}
	}
	if x.Identity.RPM > 0 && (rpm <= 0 || int64(rpm) > x.Identity.RPM) {
		return fmt.Sprintf("its requests per minute must be at most yours (%d)", x.Identity.RPM)
	}
	if x.Identity.TPM > 0 && (tpm <= 0 || int64(tpm) > x.Identity.TPM) {
		return fmt.Sprintf("its tokens per minute must be at most yours (%d)", x.Identity.TPM)
	}
	return ""
}

// Revoke handles POST /admin/v1/keys/{id}/revoke.
func (a *Keys) Revoke(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	id := r.PathValue("id")
	if err := a.Store.RevokeKey(r.Context(), id, a.Now().UTC()); err != nil {
		return keyError(err)
	}
	x.AuditAdmin("keys.revoke", id, "")
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true})
}

func keyError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httperr.New(http.StatusNotFound, "key_not_found", "no such key")
	case errors.Is(err, store.ErrRevoked):
		return httperr.New(http.StatusConflict, "key_revoked", "the key is revoked")
	}
	return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
}

func badRequest(msg string) error { return httperr.New(http.StatusBadRequest, "invalid_request", msg) }

// decode reads a small JSON body strictly; an empty body is an empty object.
// Decode reads a JSON request body of at most 64 KiB into v, refusing
// unknown fields (413 when too large, 400 when malformed); an empty body
// leaves v as it is. Every admin endpoint that takes a body uses it.
func Decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return badRequest("could not read the request body")
	}
	if len(body) > 64<<10 {
		return httperr.New(http.StatusRequestEntityTooLarge, "request_too_large", "request body too large")
	}
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: " + jsonProblem(err))
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
