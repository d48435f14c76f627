package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/internal/reqjson"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/store"
	"github.com/wardenhq/warden/tokens"
)

// Approval reasons, recorded on the exchanges approvals touch.
const (
	ReasonApprovalRequired policy.Reason = "approval.required" // held: no decision (yet)
	ReasonApprovalDenied   policy.Reason = "approval.denied"
	ReasonApprovalUsed     policy.Reason = "approval.used" // let through by an approval
)

// ApprovalStore keeps approvals (the store package's DB).
type ApprovalStore interface {
	CreateApproval(ctx context.Context, a store.Approval) (store.Approval, error)
	LatestApproval(ctx context.Context, binding string) (store.Approval, error)
	CountPending(ctx context.Context, principal string, now time.Time) (int, error)
	GetApproval(ctx context.Context, id string) (store.Approval, error)
	UseApproval(ctx context.Context, id string, at time.Time) error
}

// Approvals are the compiled approval configuration.
type Approvals struct {
	Rules    []ApprovalRule
	Required map[string]bool // models whose every request needs approval
	TTL      time.Duration   // how long a decision stands (and a request waits, pending)
	Hold     time.Duration   // how long a held request waits for a decision
	// MaxPending bounds the approvals one principal may have waiting, so
	// that a flood of held requests cannot bury others' (0: no bound).
	MaxPending int
	Store      ApprovalStore
	Key        []byte                              // keys the binding of an approval to its request
	Record     func(action, target, detail string) // audits an approval being requested
	Notify     func(a store.Approval)              // tells approvers (nil: nobody)
	Poll       time.Duration                       // how often a held request looks for a decision (default 200ms)
	Now        func() time.Time                    // default time.Now

	// Previews seals an approval's preview before it is stored
	// (retention.Keeper.SealPreview); nil: no preview is stored.
	Previews PreviewSealer
}

// PreviewSealer seals an approval's Preview into its SealedPreview (under
// the key of its Classification's period), so that the store never holds
// it in clear.
type PreviewSealer interface {
	SealPreview(ctx context.Context, a *store.Approval) error
}

// request stores a new pending approval for x, its preview sealed.
func (a *Approvals) request(ctx context.Context, x *Exchange, why []string, binding string, now time.Time) (store.Approval, error) {
	p := store.Approval{ID: store.NewApprovalID(), Binding: binding, Principal: x.Identity.ID, Model: x.Route.Name, Reasons: why,
		Classification: x.Classification, Preview: preview(x.Body), RequestID: x.ID, CreatedAt: now, ExpiresAt: now.Add(a.TTL)}
	if a.Previews != nil {
		if err := a.Previews.SealPreview(ctx, &p); err != nil {
			return store.Approval{}, err
		}
	}
	return a.Store.CreateApproval(ctx, p)
}

// ApprovalRule is one approvals.rules entry, or a model's approval.required.
type ApprovalRule struct {
	Name            string
	Models          []string
	Namespaces      []string
	Capabilities    []policy.Capability
	Roles           []string
	Entities        []string
	Injection       bool
	MinPromptTokens int64
}

// previewPolicy redacts every entity: an approver sees what a request is
// about, not the values in it.
var previewPolicy = content.NewPolicy(content.PolicyOptions{Actions: map[content.Entity]content.Action{
	content.Email: content.Redact, content.Phone: content.Redact, content.CreditCard: content.Redact, content.USSSN: content.Redact,
	content.IBAN: content.Redact, content.IPAddress: content.Redact, content.Secret: content.Redact}})

// reasons returns why x needs approval ("model", "rule:<name>"), or none.
func (a *Approvals) reasons(x *Exchange) []string {
	var out []string
	if a.Required[x.Route.Name] {
		out = append(out, "model")
	}
	var prompt int64 = -1
	for _, r := range a.Rules {
		if len(r.Models) > 0 && !slices.ContainsFunc(r.Models, func(g string) bool { return policy.Match(g, x.Route.Name) }) ||
			len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, x.Route.Namespace) ||
			len(r.Capabilities) > 0 && !slices.Contains(r.Capabilities, x.Endpoint.Capability) ||
			len(r.Roles) > 0 && !slices.Contains(r.Roles, x.Decision.Role) {
			continue
		}
		if len(r.Entities) > 0 && !slices.ContainsFunc(x.Filters, func(f auditlog.Filter) bool { return f.Type == "pii" && slices.Contains(r.Entities, f.Entity) }) {
			continue
		}
		// An injection recorded in shadow mode holds nothing: shadow
		// changes nothing for the client.
		if r.Injection && !slices.ContainsFunc(x.Filters, func(f auditlog.Filter) bool { return f.Type == "injection" && f.Action != "shadow" }) {
			continue
		}
		if r.MinPromptTokens > 0 {
			if prompt < 0 {
				var err error
				if prompt, _, err = tokens.Estimate(x.Body, 0); err != nil {
					// A body the estimate cannot read ("max_tokens":"5",
					// which a Python server reads as 5) is not a prompt of
					// no tokens: the rule holds it.
					prompt = math.MaxInt64
				}
			}
			if prompt < r.MinPromptTokens {
				continue
			}
		}
		out = append(out, "rule:"+r.Name)
	}
	return out
}

// binding is what an approval is bound to: the principal, the endpoint,
// the model and the request body as forwarded (a changed prompt, or any
// changed parameter, is another request).
func (a *Approvals) binding(x *Exchange) string {
	m := hmac.New(sha256.New, a.Key)
	m.Write([]byte(x.Identity.ID))
	m.Write([]byte{0})
	m.Write([]byte(x.Endpoint.Name))
	m.Write([]byte{0})
	m.Write([]byte(x.Route.Name))
	m.Write([]byte{0})
	m.Write(x.Body)
	return hex.EncodeToString(m.Sum(nil))
}

func (a *Approvals) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// approve holds a request that approvals.rules or the model's
// approval.required name until an approver decides: an approval of the
// identical request by the same principal, still valid, lets it through
// (and counts a use); a denial refuses it (403 approval_denied); otherwise
// an approval is requested (or the pending one reused) and the request
// waits up to approvals.hold for the decision, then is answered 403
// approval_required with the approval's id.
func approve(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		a := x.Env.Approvals
		if a == nil || x.Identity == nil {
			return next(w, r, x)
		}
		why := a.reasons(x)
		if len(why) == 0 {
			return next(w, r, x)
		}
		ctx := r.Context()
		binding := a.binding(x)
		now := a.now()
		cur, err := a.Store.LatestApproval(ctx, binding)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "approvals cannot be checked now", err)
		}
		if err != nil || cur.State(now) == store.ApprovalExpired {
			if a.MaxPending > 0 {
				n, err := a.Store.CountPending(ctx, x.Identity.ID, now)
				if err != nil {
					return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "approvals cannot be checked now", err)
				}
				if n >= a.MaxPending {
					x.ApprovalReason = ReasonApprovalRequired
					return httperr.New(http.StatusTooManyRequests, "too_many_pending_approvals",
						fmt.Sprintf("you have %d requests waiting for approval; wait for decisions before sending more that need one", n))
				}
			}
			cur, err = a.request(ctx, x, why, binding, now)
			if err != nil {
				return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "approvals cannot be requested now", err)
			}
			if a.Record != nil {
				a.Record("approvals.request", cur.ID, fmt.Sprintf("principal=%s model=%s reasons=%s request_id=%s", cur.Principal, cur.Model, strings.Join(why, ","), x.ID))
			}
			if a.Notify != nil {
				a.Notify(cur)
			}
		}
		x.ApprovalID = cur.ID
		w.Header().Set("X-Warden-Approval-Id", cur.ID)
		cur, err = a.wait(ctx, cur)
		if err != nil {
			return err
		}
		switch cur.State(a.now()) {
		case store.ApprovalApproved:
			if err := a.Store.UseApproval(ctx, cur.ID, a.now()); err == nil {
				x.ApprovalReason = ReasonApprovalUsed
				return next(w, r, x)
			}
			fallthrough // lapsed between the check and the use
		case store.ApprovalExpired, store.ApprovalPending:
			x.ApprovalReason = ReasonApprovalRequired
			return httperr.New(http.StatusForbidden, "approval_required",
				fmt.Sprintf("this request needs approval (approval %s); send it again, unchanged, once it is approved", cur.ID))
		default:
			x.ApprovalReason = ReasonApprovalDenied
			return httperr.New(http.StatusForbidden, "approval_denied", fmt.Sprintf("an approver denied this request (approval %s)", cur.ID))
		}
	}
}

// wait returns cur once it is decided, or when the hold is over.
func (a *Approvals) wait(ctx context.Context, cur store.Approval) (store.Approval, error) {
	if cur.State(a.now()) != store.ApprovalPending || a.Hold <= 0 {
		return cur, nil
	}
	poll := a.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	deadline := time.NewTimer(a.Hold)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return cur, ctx.Err()
		case <-deadline.C:
			return cur, nil
		case <-tick.C:
			got, err := a.Store.GetApproval(ctx, cur.ID)
			if err != nil {
				continue // the store is away a moment: keep waiting
			}
			if cur = got; cur.State(a.now()) != store.ApprovalPending {
				return cur, nil
			}
		}
	}
}

// Preview limits: the prompt (messages, prompt, input) and the rest a
// model reads (tool descriptions, schema text, ...), each cut to its share.
const (
	previewPrompt = 600
	previewOther  = 400
)

// preview is what an approver sees of a request: its prompt, then every
// other string a model reads as text (previewed: tool descriptions, schema
// descriptions, image URLs, ...) and every object key the table does not
// list that is not a bare word (a schema's property names, a document's
// keys), labelled with its path (a tool description can carry
// instructions too), each value and label redacted, and a note when it
// was cut. Roles, names and ids match a grammar and are not shown.
func preview(body []byte) string {
	s := previewPolicy.NewSession()
	var prompt, other strings.Builder
	cut := false
	show := func(p content.Path, key bool, text []byte) {
		b, limit := &other, previewOther
		if !key && len(p) > 0 && (p[0] == "messages" || p[0] == "prompt" || p[0] == "input" || p[0] == "content") {
			b, limit = &prompt, previewPrompt
		}
		if b.Len() >= limit {
			cut = true
			return
		}
		if b.Len() > 0 {
			b.WriteString(" | ")
		}
		if b == &other {
			// Keys in the path are the client's text too.
			b.WriteString("[")
			b.Write(s.Filter([]byte(pathString(p))))
			if key {
				b.WriteString(" key")
			}
			b.WriteString("] ")
		}
		b.Write(s.Filter(text))
	}
	content.Visitor{
		Value: func(p content.Path, text []byte) []byte {
			if previewed(p, text) {
				show(p, false, text)
			} else if reqjson.KindAt(p) == reqjson.Data {
				if t, ok := reqjson.DataText(text); ok {
					show(p, false, t) // a text file, decoded
				}
			}
			return text
		},
		Key: func(p content.Path, key []byte) {
			if !reqjson.Listed(p, key) && !reqjson.Valid(reqjson.Name, key) {
				show(p, true, key)
			}
		},
	}.Rewrite(body)
	out := shorten(prompt.String(), previewPrompt, &cut)
	if o := shorten(other.String(), previewOther, &cut); o != "" {
		if out != "" {
			out += " | "
		}
		out += o
	}
	if cut {
		out += fmt.Sprintf(" … (cut; the request is %d bytes)", len(body))
	}
	return out
}

// shorten cuts s to at most n bytes at a character boundary.
func shorten(s string, n int, cut *bool) string {
	if len(s) <= n {
		return s
	}
	*cut = true
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// pathString writes p as tools[0].function.description.
func pathString(p content.Path) string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 && !strings.HasPrefix(e, "[") {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}
