package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/store"
)

// LogDir is where a data directory keeps its audit log.
func LogDir(dataDir string) string { return filepath.Join(dataDir, "audit", "log") }

// openAudit opens the audit log under data_dir and the recorder that
// writes to it as audit.durability and audit.fail_mode say.
func (s *Server) openAudit(cfg *config.Config) error {
	key, err := auditlog.LoadKey(cfg.Audit.SigningKeyFile)
	if err != nil {
		return err
	}
	dir := LogDir(cfg.DataDir)
	if err := auditlog.CheckOnDisk(context.Background(), dir, key.Verifier, s.storedCheckpoint(key.Signer.Name())); err != nil {
		return fmt.Errorf("%w\nThe audit log on disk does not match what this gateway signed; run `warden audit verify` and do not serve from this log", err)
	}
	l, err := auditlog.Open(context.Background(), auditlog.LogOptions{
		Dir: dir, Signer: key.Signer, Logger: s.log,
		CheckpointInterval: cfg.Audit.CheckpointInterval.D(time.Second),
	})
	if err != nil {
		return err
	}
	s.auditKey = key
	hasher := auditlog.NewHasher(s.opts.KMS.DeriveKey(kms.PurposeAuditContent))
	s.audit = auditlog.NewRecorder(l, hasher, cfg.Audit.Durability != config.DurabilityAsync, cfg.Audit.FailMode == config.FailOpen, s.log)
	s.indexer = &auditlog.Indexer{Origin: l.Origin(), Reader: l.Reader(), Store: s.opts.Store, Logger: s.log}
	return nil
}

// storedCheckpoint is the newest checkpoint of origin the store holds
// (nil if none): the log on disk must still contain it.
func (s *Server) storedCheckpoint(origin string) []byte {
	_, cp, err := s.opts.Store.AuditCheckpoint(context.Background(), origin)
	if err != nil {
		return nil
	}
	return cp
}

// closeAudit resolves queued records, waits for a checkpoint covering them
// and brings the search index up to date.
func (s *Server) closeAudit() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.audit.Log().Close(ctx); err != nil {
		s.log.Error("audit log: closing", "err", err)
	}
	if err := s.indexer.CatchUp(ctx); err != nil {
		s.log.Error("audit index: final catch-up", "err", err)
	}
}

// AuditLog is the server's audit log.
func (s *Server) AuditLog() *auditlog.Log { return s.audit.Log() }

// Audit records an administrative act done outside a request (a config
// reload): as the system, with action, target and detail.
func (s *Server) auditSystem(action, target, detail string, status int) {
	now := s.opts.Now()
	rec := &auditlog.Record{
		ID: auditlog.NewID(now), Time: auditlog.Time(now), Kind: auditlog.KindAdmin,
		Principal: &auditlog.Principal{ID: "system", Type: "system"},
		Decision:  auditlog.DecisionAllow, Status: status,
		Admin: &auditlog.Admin{Action: action, Target: auditlog.Opt(target), Detail: auditlog.Opt(detail)},
	}
	if status >= 400 {
		rec.Decision = auditlog.DecisionError
	}
	if _, _, err := s.audit.Write(context.Background(), rec); err != nil {
		s.log.Error("audit record of a system act not written", "action", action, "err", err)
	}
}

// auditRoutes serves the log (C2SP tlog-tiles under /audit/, audit.read),
// the verifier key (public) and the admin API's audit endpoints.
func (s *Server) auditRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /audit/key", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, s.auditKey.Verifier)
	})
	read := func(name string, h pipeline.Handler) http.Handler {
		ep := pipeline.Endpoint{Name: name, Capability: policy.CapAuditRead, Unaudited: true}
		return pipeline.Serve(s.env, ep, pipeline.Admin(h), s.observe)
	}
	mux.Handle("GET /audit/checkpoint", read("audit.checkpoint", s.serveCheckpoint))
	mux.Handle("GET /audit/tile/{path...}", read("audit.tile", s.serveTile))

	admin := func(name string, h pipeline.Handler) http.Handler {
		ep := pipeline.Endpoint{Name: name, Capability: policy.CapAuditRead}
		return pipeline.Serve(s.env, ep, pipeline.Admin(h), s.observe)
	}
	mux.Handle("GET /admin/v1/audit/records", admin("admin.audit.search", s.searchRecords))
	mux.Handle("POST /admin/v1/audit/hash", admin("admin.audit.hash", s.hashContent))
}

func (s *Server) serveCheckpoint(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	cp, err := s.audit.Log().Reader().ReadCheckpoint(r.Context())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return httperr.New(http.StatusNotFound, "no_checkpoint", "the log has no checkpoint yet")
		}
		return httperr.Wrap(http.StatusServiceUnavailable, "audit_unavailable", "cannot read the checkpoint", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(cp)
	return nil
}

// serveTile serves tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>].
// Full tiles never change and are cached for good; a partial that was
// collected falls back to the full tile, as C2SP allows.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	p := r.PathValue("path")
	notFound := httperr.New(http.StatusNotFound, "not_found", "no such tile")
	level, rest, ok := strings.Cut(p, "/")
	if !ok {
		return notFound
	}
	var (
		b       []byte
		err     error
		partial uint8
	)
	rd := s.audit.Log().Reader()
	if level == "entries" {
		var idx uint64
		if idx, partial, err = layout.ParseTileIndexPartial(rest); err != nil {
			return notFound
		}
		b, err = rd.ReadEntryBundle(r.Context(), idx, partial)
	} else {
		var l, idx uint64
		if l, idx, partial, err = layout.ParseTileLevelIndexPartial(level, rest); err != nil {
			return notFound
		}
		b, err = rd.ReadTile(r.Context(), l, idx, partial)
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return notFound
		}
		return httperr.Wrap(http.StatusServiceUnavailable, "audit_unavailable", "cannot read the tile", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if partial == 0 {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(b)
	return nil
}

// searchRecords answers GET /admin/v1/audit/records.
func (s *Server) searchRecords(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	q, err := AuditQuery(r.URL.Query())
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", err.Error())
	}
	page, err := s.opts.Store.SearchAudit(r.Context(), q)
	if err != nil {
		if errors.Is(err, store.ErrBadQuery) {
			return httperr.New(http.StatusBadRequest, "invalid_request", "invalid page token or limit")
		}
		return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
	}
	out := struct {
		Object string             `json:"object"`
		Data   []auditlog.Indexed `json:"data"`
		Next   string             `json:"next,omitempty"`
	}{Object: "list", Data: make([]auditlog.Indexed, len(page.Rows)), Next: page.Next}
	for i, row := range page.Rows {
		out.Data[i] = auditlog.Indexed{Index: row.Index, Origin: row.Origin, Entry: row.Entry}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// AuditQuery reads the search filters of /admin/v1/audit/records: origin,
// principal, key_id, model, namespace, decision, kind, request_id,
// prompt_hash, response_hash (exact), since and until (RFC 3339, or a
// duration back from now such as 24h), after (page token) and limit.
func AuditQuery(v map[string][]string) (store.AuditQuery, error) {
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	q := store.AuditQuery{
		Origin: get("origin"), Principal: get("principal"), KeyID: get("key_id"), Model: get("model"),
		Namespace: get("namespace"), Decision: get("decision"), Kind: get("kind"), RequestID: get("request_id"),
		PromptHash: get("prompt_hash"), ResponseHash: get("response_hash"), After: get("after"),
	}
	if q.Decision != "" && !slices.Contains(pipeline.DecisionNames, q.Decision) {
		return q, fmt.Errorf("decision: want one of %s", strings.Join(pipeline.DecisionNames, ", "))
	}
	if q.Kind != "" && !slices.Contains(auditlog.Kinds, q.Kind) {
		return q, fmt.Errorf("kind: want one of %s", strings.Join(auditlog.Kinds, ", "))
	}
	var err error
	if q.Since, err = ParseTime(get("since"), time.Now()); err != nil {
		return q, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = ParseTime(get("until"), time.Now()); err != nil {
		return q, fmt.Errorf("until: %w", err)
	}
	if l := get("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 1 {
			return q, errors.New("limit: want a positive number")
		}
	}
	return q, nil
}

// ParseTime reads a search bound: RFC 3339 ("2026-05-01T00:00:00Z"), a
// date ("2026-05-01", UTC midnight), or a duration back from now ("24h",
// "7d"). Empty is the zero time (unbounded).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := config.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, errors.New("want a time such as 2026-05-01T12:00:00Z, a date, or a duration such as 24h")
}

// hashContent answers POST /admin/v1/audit/hash: {"text": "...", "role":
// "user"}, or a request body ({"messages": [...]}, {"prompt": ...},
// {"input": ...}), gives {"hash": "hmac-sha256:..."}, the value records
// carry for that content.
func (s *Server) hashContent(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	body, err := readSmall(r, 4<<20)
	if err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "could not read the request body")
	}
	var req struct {
		Text     *string         `json:"text"`
		Role     string          `json:"role"`
		Messages json.RawMessage `json:"messages"`
		Prompt   json.RawMessage `json:"prompt"`
		Input    json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return httperr.New(http.StatusBadRequest, "invalid_request", "invalid JSON body")
	}
	var parts []auditlog.Part
	switch {
	case req.Text != nil && len(req.Messages) == 0:
		role := req.Role
		if role == "" {
			role = "user"
		}
		parts = []auditlog.Part{{Role: role, Text: *req.Text}}
	case req.Text == nil && len(req.Messages)+len(req.Prompt)+len(req.Input) > 0:
		// A request body (a chat's messages, a completion's prompt, an
		// embedding's input), hashed as the gateway hashes it.
		if parts, err = auditlog.PromptParts(body); err != nil {
			return httperr.New(http.StatusBadRequest, "invalid_request", "not an OpenAI request body (messages, prompt or input)")
		}
	default:
		return httperr.New(http.StatusBadRequest, "invalid_request", `send either "text" (with an optional "role") or a request body ("messages", "prompt" or "input")`)
	}
	writeJSON(w, http.StatusOK, map[string]string{"hash": s.audit.Hasher().Sum(parts)})
	return nil
}

// readSmall reads a request body of at most limit bytes.
func readSmall(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = errors.New("request body too large")
	}
	return b, err
}
