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
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
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
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Prefix  string   `json:"prefix"`
	Models  []string `json:"models"`
	IPAllow []string `json:"ip_allow"`
	RPM     int      `json:"rpm"`
	TPM     int      `json:"tpm"`
	// The key's other limits, narrowing its role's (0: the role's).
	TokensPerDay    int64      `json:"tokens_per_day"`
	TokensPerMonth  int64      `json:"tokens_per_month"`
	MaxPromptTokens int64      `json:"max_prompt_tokens"`
	MaxTokens       int64      `json:"max_tokens"`
	CreatedBy       string     `json:"created_by"` // principal id; "" if unrecorded
	CreatedAt       time.Time  `json:"created_at"`
	ExpiresAt       *time.Time `json:"expires_at"`
	LastUsedAt      *time.Time `json:"last_used_at"`
	Revoked         bool       `json:"revoked"`
	RevokedAt       *time.Time `json:"revoked_at"`
}

// NewKeyInfo describes k.
func NewKeyInfo(k store.APIKey) KeyInfo {
	ki := KeyInfo{ID: k.ID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, Models: k.Models, IPAllow: k.IPAllow, RPM: k.RPM, TPM: k.TPM,
		TokensPerDay: k.TokensPerDay, TokensPerMonth: k.TokensPerMonth, MaxPromptTokens: k.MaxPromptTokens,
		MaxTokens: k.MaxTokens, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, ExpiresAt: optTime(k.ExpiresAt), LastUsedAt: optTime(k.LastUsedAt),
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

// List handles GET /admin/v1/keys: the keys the caller may manage
// (manage), revoked and expired ones included.
func (a *Keys) List(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	keys, err := a.Store.ListKeys(r.Context())
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	out := []KeyInfo{}
	for _, k := range keys {
		if a.manage(x, k) == "" {
			out = append(out, NewKeyInfo(k))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
}

// Bounds on a create request's lists, so deciding its scope stays cheap.
const (
	maxScopeItems = 64
	maxGlobLen    = 256
)

type createRequest struct {
	Name            string   `json:"name"`
	Role            string   `json:"role"`
	Models          []string `json:"models"`
	IPAllow         []string `json:"ip_allow"`
	RPM             int      `json:"rpm"`
	TPM             int      `json:"tpm"`
	TokensPerDay    int64    `json:"tokens_per_day"`
	TokensPerMonth  int64    `json:"tokens_per_month"`
	MaxPromptTokens int64    `json:"max_prompt_tokens"`
	MaxTokens       int64    `json:"max_tokens"`
	ExpiresIn       string   `json:"expires_in"`
}

// spec checks req and returns the key it describes, its lifetime unset.
func (req *createRequest) spec(cfg *config.Config) (auth.KeySpec, error) {
	s := auth.KeySpec{Name: req.Name, Role: req.Role, Models: req.Models, RPM: req.RPM, TPM: req.TPM,
		TokensPerDay: req.TokensPerDay, TokensPerMonth: req.TokensPerMonth,
		MaxPromptTokens: req.MaxPromptTokens, MaxTokens: req.MaxTokens}
	for _, c := range req.IPAllow {
		p, err := config.ParsePrefix(c)
		if err != nil {
			return s, badRequest("ip_allow: " + err.Error())
		}
		s.IPAllow = append(s.IPAllow, p.String())
	}
	if req.RPM < 0 || req.TPM < 0 || req.TokensPerDay < 0 || req.TokensPerMonth < 0 || req.MaxPromptTokens < 0 || req.MaxTokens < 0 {
		return s, badRequest("limits (rpm, tpm, tokens_per_day, tokens_per_month, max_prompt_tokens, max_tokens) must not be negative")
	}
	switch {
	case req.Name == "" || req.Role == "":
		return s, badRequest("name and role are required")
	case !cfg.HasRole(req.Role):
		return s, badRequest("role is not defined in the configuration")
	}
	if len(req.Models) > maxScopeItems || len(req.IPAllow) > maxScopeItems {
		return s, badRequest(fmt.Sprintf("models and ip_allow take at most %d entries each", maxScopeItems))
	}
	for _, m := range req.Models {
		if m == "" || len(m) > maxGlobLen {
			return s, badRequest(fmt.Sprintf("models: each pattern must have 1 to %d bytes", maxGlobLen))
		}
	}
	return s, nil
}

// Create handles POST /admin/v1/keys. The key reaches no further than
// its maker in any dimension (reach.beyond): a dimension the request
// leaves open, where the key's role alone would reach further, takes the
// maker's bound (inherit, listed in the answer's "inherited"); one the
// request sets beyond the maker's is refused with 403 key_scope_exceeded.
func (a *Keys) Create(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var req createRequest
	if err := Decode(r, &req); err != nil {
		return err
	}
	cfg := a.Config()
	spec, err := req.spec(cfg)
	if err != nil {
		return err
	}
	now := a.Now().UTC()
	var expires time.Time
	if req.ExpiresIn != "" {
		d, err := config.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return badRequest("expires_in: want a positive duration such as 90d or 12h")
		}
		expires = now.Add(d)
	}
	mine, myRole, why := a.maker(x)
	if why != "" {
		return scopeExceeded("a key you create cannot reach further than you: " + why)
	}
	role := cfg.Role(spec.Role)
	mineModels := x.Identity.Models
	if len(mineModels) == 0 {
		mineModels = myRole.Models
	}
	inherited := inherit(&spec, role, mine, mineModels, &expires)
	why = keyReach(role, spec, expires).beyond(mine)
	if why == "" {
		why = controlsBeyond(cfg, role, myRole)
	}
	if why != "" {
		return scopeExceeded("a key you create cannot reach further than you: " + why)
	}
	spec.ExpiresAt = expires
	spec.Issuer = auth.Issuer{By: x.Identity.ID, In: x.AuditID}
	secret, k, err := auth.IssueKey(r.Context(), a.Store, a.Hasher, spec, now)
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	x.AuditAdmin("keys.create", k.ID, "role="+k.Role)
	if inherited == nil {
		inherited = []string{}
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "key": secret, "inherited": inherited})
}

// Rotate handles POST /admin/v1/keys/{id}/rotate with {"grace": "24h"}.
// A new secret is handed to the caller: only for a key it may manage.
func (a *Keys) Rotate(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	var req struct {
		Grace string `json:"grace"`
	}
	id := r.PathValue("id")
	x.AuditAdmin("keys.rotate", id, "")
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
	if err := a.mayManage(r, x, id, "take over"); err != nil {
		return err
	}
	secret, err := auth.RotateKey(r.Context(), a.Store, a.Hasher, id, grace, a.Now(), auth.Issuer{By: x.Identity.ID, In: x.AuditID})
	if err != nil {
		return keyError(err)
	}
	return writeJSON(w, http.StatusOK, NewKey{ID: id, Key: secret})
}

// Revoke handles POST /admin/v1/keys/{id}/revoke, for a key the caller
// may manage.
func (a *Keys) Revoke(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	id := r.PathValue("id")
	x.AuditAdmin("keys.revoke", id, "")
	if err := a.mayManage(r, x, id, "revoke"); err != nil {
		return err
	}
	if err := a.Store.RevokeKey(r.Context(), id, a.Now().UTC()); err != nil {
		return keyError(err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true})
}

// mayManage loads key id and returns nil if the caller may manage it, or
// the error to answer (404, 403 key_scope_exceeded, 503).
func (a *Keys) mayManage(r *http.Request, x *pipeline.Exchange, id, verb string) error {
	k, err := a.Store.GetKey(r.Context(), id)
	if err != nil {
		return keyError(err)
	}
	if why := a.manage(x, k); why != "" {
		return scopeExceeded("you may not " + verb + " this key: " + why)
	}
	return nil
}

// manage says why the caller of x may not manage key k ("" if it may).
// Every key act (list, rotate, revoke) applies it: the key must reach no
// further than the caller (reach.beyond), and the caller must have created
// it or be a full key administrator (reach.full). Keys created before
// their creator was recorded, or by the operator's CLI, are a full
// administrator's alone; so are keys whose role is no longer defined.
func (a *Keys) manage(x *pipeline.Exchange, k store.APIKey) string {
	mine, myRole, why := a.maker(x)
	if why != "" {
		return why
	}
	full := mine.full()
	cfg := a.Config()
	role := cfg.Role(k.Role)
	if role == nil {
		if full {
			return ""
		}
		return "its role is not defined; only a full key administrator manages it"
	}
	if why := keyReach(role, specOf(k), k.ExpiresAt).beyond(mine); why != "" {
		return why
	}
	if why := controlsBeyond(cfg, role, myRole); why != "" {
		return why
	}
	if !full && (k.CreatedBy == "" || k.CreatedBy != x.Identity.ID) {
		return "you did not create it, and only its creator or a full key administrator (every capability, model and namespace) manages it"
	}
	return ""
}

// maker returns the reach of the caller of x and its role, or why it has
// none.
func (a *Keys) maker(x *pipeline.Exchange) (reach, *config.Role, string) {
	role := a.Config().Role(x.Decision.Role)
	if role == nil || x.Identity == nil {
		return reach{}, nil, "your role is not defined"
	}
	return makerReach(role, x.Identity), role, ""
}

// specOf is the scope of a stored key.
func specOf(k store.APIKey) auth.KeySpec {
	return auth.KeySpec{Role: k.Role, Models: k.Models, IPAllow: k.IPAllow, RPM: k.RPM, TPM: k.TPM,
		TokensPerDay: k.TokensPerDay, TokensPerMonth: k.TokensPerMonth,
		MaxPromptTokens: k.MaxPromptTokens, MaxTokens: k.MaxTokens}
}

func scopeExceeded(msg string) error {
	return httperr.New(http.StatusForbidden, "key_scope_exceeded", msg)
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
