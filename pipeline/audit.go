package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/upstream"
)

// Every exchange gets exactly one audit record, committed once at the
// moment its response is about to be released (docs/audit.md, audit.durability):
//
//   - Warden's own answers (errors, admin results): in Serve, just before
//     the answer is written;
//   - upstream answers: by the upstream package through Outcome.Release,
//     once a non-stream answer has been read whole, or before a stream's
//     final [DONE];
//   - anything not released by then (client gone, stream cut, panic): in
//     Serve's deferred observer, after the fact.

// errAuditUnavailable answers a request refused because the audit log
// cannot take records (audit.fail_mode closed).
var errAuditUnavailable = upstream.ErrorFor(upstream.ErrAuditUnavailable)

// AuditAdmin marks the exchange as an administrative act: its record's
// kind is "admin", with this action (e.g. "key.create") and target.
func (x *Exchange) AuditAdmin(action, target, detail string) {
	x.admin = &auditlog.Admin{Action: action, Target: auditlog.Opt(target), Detail: auditlog.Opt(detail)}
}

// AuditIndex returns the exchange's record's leaf index, if it is known
// (committed with durability sync).
func (x *Exchange) AuditIndex() (uint64, bool) { return x.auditIndex, x.audited }

// release commits the exchange's record, once; status and e are what is
// about to be sent. With durability sync it waits for the record and sets
// X-Warden-Audit-Index on h (if h is not nil), returning the index. An
// error means the record could not be written and fail_mode is closed:
// the response must be withheld.
func (x *Exchange) release(ctx context.Context, status int, e *httperr.Error, h http.Header) (string, error) {
	if x.released {
		return x.releasedIndex, x.releaseErr
	}
	x.released = true
	rec := x.Env.Audit
	if rec == nil || (x.Endpoint.Unaudited && !refusedCredentials(e)) {
		return "", nil
	}
	keepErr := x.keep(ctx, status)
	if keepErr != nil && !rec.FailOpen() {
		status, e = errAuditUnavailable.Status, errAuditUnavailable
	}
	var idx uint64
	var durable bool
	var err error
	if x.Endpoint.Durable {
		idx, err = rec.WriteDurable(ctx, x.record(rec.Hasher(), status, e))
		durable = err == nil
	} else {
		idx, durable, err = rec.Write(ctx, x.record(rec.Hasher(), status, e))
	}
	if keepErr != nil && !rec.FailOpen() {
		x.releaseErr = keepErr
		return "", keepErr
	}
	if err != nil {
		if errors.Is(err, auditlog.ErrUnavailable) {
			if e != nil && x.Upstream == nil {
				// Warden's own refusal releases nothing: it is sent as
				// it is (Serve), not replaced by 503 + Retry-After when
				// the response is written, which would have clients
				// retry what can never succeed.
				return "", err
			}
			x.releaseErr = err
		}
		return "", x.releaseErr
	}
	if h != nil && x.Endpoint.Unaudited {
		h.Set("X-Warden-Audit-Id", x.AuditID) // a refusal, recorded after all
	}
	if durable {
		x.auditIndex, x.audited = idx, true
		x.releasedIndex = strconv.FormatUint(idx, 10)
		if h != nil {
			h.Set("X-Warden-Audit-Index", x.releasedIndex)
		}
	}
	return x.releasedIndex, nil
}

// keep seals and stores the exchange's prompt and response when its
// model's classification keeps them (store: full).
func (x *Exchange) keep(ctx context.Context, status int) error {
	k, u := x.Env.Keeper, x.Upstream
	if k == nil || u == nil || status >= 400 || !k.Keeps(x.Classification) {
		return nil
	}
	err := k.Keep(context.WithoutCancel(ctx), x.AuditID, x.Classification, x.Start, x.Body, u.Body)
	if err != nil {
		slog.Error("payload not kept", "audit_id", x.AuditID, "classification", x.Classification, "err", err)
		return errors.Join(auditlog.ErrUnavailable, err)
	}
	return nil
}

// class is the exchange's classification: as classified, or, for one
// refused before that, its model's.
func (x *Exchange) class() string {
	if x.Classification == "" && x.Route != nil {
		return x.Route.Classification
	}
	return x.Classification
}

// record describes the exchange as it stands.
func (x *Exchange) record(h *auditlog.Hasher, status int, e *httperr.Error) *auditlog.Record {
	now := time.Now()
	r := &auditlog.Record{
		ID:        x.AuditID,
		Time:      auditlog.Time(x.Start),
		Kind:      auditlog.KindRequest,
		Endpoint:  auditlog.Opt(x.Endpoint.Name),
		Decision:  string(x.Outcome()),
		Status:    status,
		Stream:    x.Request.Stream,
		RequestID: auditlog.Opt(x.ID),
		LatencyMS: &auditlog.Latency{Total: auditlog.Millis(now.Sub(x.Start))},
	}
	if x.admin != nil {
		r.Kind, r.Admin = auditlog.KindAdmin, x.admin
	} else if action, ok := strings.CutPrefix(x.Endpoint.Name, "admin."); ok {
		r.Kind, r.Admin = auditlog.KindAdmin, &auditlog.Admin{Action: action}
	}
	if a := r.Admin; a != nil && a.Target == "" && x.target != "" {
		// An act refused, or failed, before it named its target: the
		// target is the one its route names.
		named := *a
		named.Target = auditlog.Opt(x.target)
		r.Admin = &named
	}
	r.Route = auditlog.Opt(x.AskedRoute)
	if x.ClientIP.IsValid() {
		r.SourceIP = auditlog.Opt(x.ClientIP.String())
	}
	if id := x.Identity; id != nil {
		r.Principal = &auditlog.Principal{ID: id.ID, Type: id.Type, KeyID: auditlog.Opt(id.KeyID), Groups: id.Groups,
			IssuedBy: auditlog.Opt(id.Issuer.By), IssuedIn: auditlog.Opt(id.Issuer.In)}
	}
	if rt := x.Route; rt != nil {
		r.Model = &auditlog.Model{Name: rt.Name, Version: auditlog.Opt(rt.Version), Digest: auditlog.Opt(rt.Digest)}
		r.Namespace = auditlog.Opt(rt.Namespace)
		r.Classification = auditlog.Opt(x.class())
	}
	if x.AuthReason != "" {
		r.Reasons = append(r.Reasons, string(x.AuthReason))
	}
	for _, reason := range x.Decision.Reasons {
		r.Reasons = append(r.Reasons, string(reason))
	}
	if x.Blocked != "" {
		r.Reasons = append(r.Reasons, "content."+x.Blocked)
	}
	if x.ApprovalReason != "" {
		r.Reasons = append(r.Reasons, string(x.ApprovalReason))
	}
	r.Filters = x.Filters
	if u := x.Upstream; u != nil && u.Filter != nil {
		r.Filters = appendFilters(slices.Clip(r.Filters), "response", u.Filter.Counts())
		if u.Blocked != "" {
			r.Reasons = append(r.Reasons, "content."+u.Blocked)
		}
	}
	noHashes := x.Env.NoHashes[x.class()]
	if x.Request.Model != "" && !noHashes {
		r.PromptHash, r.ForwardedHash = x.promptHashes(h)
	}
	if u := x.Upstream; u != nil {
		if !u.Start.IsZero() {
			r.LatencyMS.Upstream = auditlog.Millis(now.Sub(u.Start))
		}
		if len(u.Response) > 0 && !noHashes {
			parts := make([]auditlog.HashedPart, len(u.Response))
			for i, p := range u.Response {
				parts[i] = auditlog.HashedPart{Role: p.Role, Text: p.Text}
			}
			r.ResponseHash = auditlog.Opt(h.SumHashed(parts))
		}
		if u.Usage != nil {
			r.Tokens = &auditlog.Tokens{Prompt: u.Usage.Prompt, Completion: u.Usage.Completion}
		}
	}
	if e == nil && x.Err != nil && status >= 400 {
		e = x.Err
	}
	if e == nil && (x.Aborted || x.ClientGone) {
		// Cut short after its status went out: the record must not read
		// as a complete answer.
		e = errUpstreamAborted
		if x.ClientGone {
			e = errClientClosed
		}
	}
	if e != nil {
		r.Error = &auditlog.ErrorInfo{Type: e.Type, Code: e.Code}
	}
	return r
}

// promptHashes returns the content hash of the prompt as the client sent
// it (Received, before Warden changed anything) and, if the exchange was
// forwarded with other content (redacted, masked, sanitised), the hash of
// the content forwarded. Warden's rewrites that are not content (the model
// name, an injected max_tokens) leave the hashes equal: no forwarded hash.
func (x *Exchange) promptHashes(h *auditlog.Hasher) (prompt, forwarded auditlog.Opt) {
	received, err := auditlog.PromptParts(x.Received)
	if len(x.Received) == 0 || err != nil {
		return "", ""
	}
	prompt = auditlog.Opt(h.Sum(received))
	if x.Upstream == nil || len(x.Body) == 0 || (len(x.Body) == len(x.Received) && &x.Body[0] == &x.Received[0]) {
		return prompt, "" // not forwarded, or forwarded as received
	}
	sent, err := auditlog.PromptParts(x.Body)
	if err != nil {
		return prompt, ""
	}
	if f := auditlog.Opt(h.Sum(sent)); f != prompt {
		forwarded = f
	}
	return prompt, forwarded
}

// refusedCredentials: an answer refusing who the caller is (401) or what
// they may do (403). Reads of the log itself are recorded only then, so
// that probing for audit access leaves a trace.
func refusedCredentials(e *httperr.Error) bool {
	return e != nil && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

// How a record says its exchange was cut short after the status was sent.
var (
	errClientClosed    = &httperr.Error{Type: "aborted", Code: "client_closed"}
	errUpstreamAborted = &httperr.Error{Type: "aborted", Code: "upstream_aborted"}
)

// auditReady refuses, before anything is forwarded, a request whose record
// could not be written (fail_mode closed and the log unhealthy).
func auditReady(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		if a := x.Env.Audit; a != nil && !x.Endpoint.Unaudited {
			if err := a.Ready(); err != nil {
				e := httperr.Wrap(errAuditUnavailable.Status, errAuditUnavailable.Code, errAuditUnavailable.Msg, err)
				e.RetryAfter = errAuditUnavailable.RetryAfter
				return e
			}
		}
		return next(w, r, x)
	}
}
