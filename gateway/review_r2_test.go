package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// Regression tests for variations of issue 14's findings on the admin
// side (authorization), found by the second review before its re-review.

// TestFinding2VariantHoldsOutsideScope: legal holds are bounded like keys
// (finding 2's sibling). A namespace-scoped administrator released a hold
// a full administrator had placed over another namespace (so the next
// purge would take what the hold kept), placed holds over records it does
// not reach, and listed every hold. Now each is refused with 403
// hold_scope_exceeded and the list shows only the holds it may release;
// its own hold in its own namespace it places, lists and releases.
func TestFinding2VariantHoldsOutsideScope(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(wardentest.DefaultRoles(),
		config.Role{Name: "fin-admin", Models: []string{"*"}, Namespaces: []string{"finance"}, Capabilities: []string{"admin", "chat"}})})
	root := g.NewKey(t, wardentest.KeyOptions{}).Secret
	fin := g.NewKey(t, wardentest.KeyOptions{Role: "fin-admin"}).Secret

	place := func(secret, body string, want int) string {
		t.Helper()
		code, b := status(send(t, g, http.MethodPost, "/admin/v1/holds", secret, body))
		if code != want || want == http.StatusForbidden && errorCode(b) != "hold_scope_exceeded" {
			t.Fatalf("place %s: %d %s, want %d", body, code, b, want)
		}
		var h struct{ ID string }
		json.Unmarshal(b, &h)
		return h.ID
	}
	listed := func(secret string) string {
		t.Helper()
		code, b := status(send(t, g, http.MethodGet, "/admin/v1/holds", secret, ""))
		if code != http.StatusOK {
			t.Fatalf("list: %d %s", code, b)
		}
		return string(b)
	}
	legal := place(root, `{"case":"CASE-LEGAL","namespace":"legal"}`, http.StatusCreated)
	everyone := place(root, `{"case":"CASE-ALL","principal":"apikey:key_x"}`, http.StatusCreated)
	finByRoot := place(root, `{"case":"CASE-FIN-ROOT","namespace":"finance"}`, http.StatusCreated)

	for _, id := range []string{legal, everyone, finByRoot} {
		code, b := status(send(t, g, http.MethodPost, "/admin/v1/holds/"+id+"/release", fin, ""))
		if code != http.StatusForbidden || errorCode(b) != "hold_scope_exceeded" {
			t.Errorf("finance admin releases %s: %d %s, want 403 hold_scope_exceeded", id, code, b)
		}
	}
	if l := listed(fin); strings.Contains(l, "CASE-") {
		t.Errorf("finance admin lists others' holds: %s", l)
	}
	place(fin, `{"case":"X","namespace":"legal"}`, http.StatusForbidden)
	place(fin, `{"case":"X","principal":"apikey:key_x"}`, http.StatusForbidden)
	own := place(fin, `{"case":"CASE-FIN","namespace":"finance"}`, http.StatusCreated)
	if l := listed(fin); !strings.Contains(l, own) || strings.Contains(l, "CASE-LEGAL") {
		t.Errorf("finance admin's list: %s, want only its own hold %s", l, own)
	}
	if code, b := status(send(t, g, http.MethodPost, "/admin/v1/holds/"+own+"/release", fin, "")); code != http.StatusOK {
		t.Errorf("finance admin releases its own hold: %d %s", code, b)
	}
	// The full administrator sees and releases every hold; the refused
	// releases left the others in force.
	if l := listed(root); !strings.Contains(l, legal) || !strings.Contains(l, own) || strings.Count(l, `"active":true`) != 3 {
		t.Errorf("full admin's list: %s, want every hold, three active", l)
	}
	if code, b := status(send(t, g, http.MethodPost, "/admin/v1/holds/"+legal+"/release", root, "")); code != http.StatusOK {
		t.Errorf("full admin releases the legal hold: %d %s", code, b)
	}
}

// TestFinding3VariantRoleControls: a key reaches no further than its
// maker in the controls the configuration ties to a role by name, too
// (finding 3's sibling: the dimensions compared were models, namespaces,
// capabilities, addresses, limits and expiry). A key administrator whose
// requests have IP addresses redacted, are held for approval by a rule
// naming its role, and are classified confidential minted keys of roles
// with the same models and fewer capabilities but none of those controls
// ("secops", whose content policy lets addresses through; "plain", held by
// no rule; "approver", one of approvals.approvers; "public", classified
// lower), through which it could do what its own role may not. Now each is
// refused with 403 key_scope_exceeded naming the control, and a key of
// such a role is not the lead's to manage; a key of its own role it still
// makes.
func TestFinding3VariantRoleControls(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	mk := func(name string, caps ...string) config.Role {
		return config.Role{Name: name, Models: []string{"gpt-*"}, Capabilities: caps}
	}
	lead := mk("lead", "admin", "chat", "approve")
	lead.Classification = "confidential"
	secops := mk("secops", "chat")
	secops.Classification = "confidential"
	secops.Content = &config.ContentOverride{Request: config.ContentStage{PII: map[string]string{"ip_address": "allow"}}}
	plain := mk("plain", "chat")
	plain.Classification = "confidential"
	approver := mk("approver", "approve")
	approver.Classification = "confidential"
	public := mk("public", "chat")
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u,
		Roles: append(wardentest.DefaultRoles(), lead, secops, plain, approver, public),
		Configure: func(c *config.Config) {
			c.Classifications = []config.Classification{{Name: "public", Store: config.StoreHashOnly}, {Name: "confidential", Store: config.StoreNone}}
			c.Content.Request = config.ContentStage{PII: map[string]string{"ip_address": "redact"}}
			c.Approvals = config.Approvals{Approvers: []string{"admin", "approver"},
				Rules: []config.ApprovalRule{{Name: "leads", Roles: []string{"lead", "approver"}, MinPromptTokens: 1000}}}
		}})
	leadKey := g.NewKey(t, wardentest.KeyOptions{Role: "lead"}).Secret

	for role, why := range map[string]string{
		"secops":   "content",
		"plain":    "approval rule leads",
		"approver": "approvals.approvers",
		"public":   "classification",
	} {
		_, key := createKey(t, g, leadKey, `{"name":"k-`+role+`","role":"`+role+`"}`, http.StatusForbidden, why)
		if key != "" {
			t.Errorf("a %s key was made", role)
		}
	}
	id, key := createKey(t, g, leadKey, `{"name":"own","role":"lead"}`, http.StatusCreated)
	if key == "" || listKeys(t, g, leadKey)[id] == nil {
		t.Fatalf("a key of the maker's own role: %q, listed %v", id, listKeys(t, g, leadKey))
	}
	// A key of another role the full administrator made with the same
	// controls the lead may not take over either.
	sec := g.NewKey(t, wardentest.KeyOptions{Role: "secops"})
	if res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+sec.ID+"/rotate", leadKey, ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("lead rotates a secops key: %s %s", res.Status, b)
	}
}

// TestFinding7VariantApproverOtherRole: approvals.approvers is checked
// against the role that reaches the approval (finding 7's sibling). A
// principal whose groups grant two roles with the approve capability, one
// among approvals.approvers (reaching only the finance namespace) and one
// not (reaching legal), passed the approvers check on the first and
// approved a legal request on the second. Now it is refused (403
// not_an_approver) and the request stays held, while the approvers role
// still decides what it reaches.
func TestFinding7VariantApproverOtherRole(t *testing.T) {
	t.Parallel()
	idp := wardentest.NewIdP(t, wardentest.IdPOptions{})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(wardentest.DefaultRoles(),
		config.Role{Name: "fin-approver", Groups: []string{"fin"}, Models: []string{"*"}, Namespaces: []string{"finance"}, Capabilities: []string{"approve"}},
		config.Role{Name: "legal-reader", Groups: []string{"legal"}, Models: []string{"*"}, Namespaces: []string{"legal"}, Capabilities: []string{"approve"}}),
		Configure: func(c *config.Config) {
			c.Auth.OIDC = []config.OIDC{idp.Config()}
			c.Models[0].Namespace, c.Models[0].Approval.Required = "legal", true   // gpt-test
			c.Models[1].Namespace, c.Models[1].Approval.Required = "finance", true // gpt-other
			c.Approvals = config.Approvals{TTL: config.Duration(time.Hour), Approvers: []string{"admin", "fin-approver"}}
		}})
	user := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	both := idp.Token(map[string]any{"sub": "mallory", "groups": []string{"fin", "legal"}})

	held := func(model string) string {
		t.Helper()
		res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody(model, "Settle the Smith case", false))
		id := res.Header.Get("X-Warden-Approval-Id")
		if res.StatusCode != http.StatusForbidden || id == "" {
			t.Fatalf("%s held: %s (id %q)", model, res.Status, id)
		}
		return id
	}
	legal, fin := held("gpt-test"), held("gpt-other")
	if res, b := send(t, g, http.MethodPost, "/admin/v1/approvals/"+legal+"/approve", both, `{}`); res.StatusCode != http.StatusForbidden || errorCode(b) != "not_an_approver" {
		t.Fatalf("the legal approval, decided through a role that is no approver: %s %s, want 403 not_an_approver", res.Status, b)
	}
	if res, b := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "Settle the Smith case", false)); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the legal request after the refused approval: %s %s, want still held", res.Status, b)
	}
	if res, v := decide(t, g, both, fin, "approve"); res.StatusCode != http.StatusOK || v.Status != "approved" {
		t.Fatalf("the finance approval, by the approvers role: %s %+v", res.Status, v)
	}
}

// TestFinding10VariantSelfApprovalMintedKey: a requester cannot approve its
// own request through a key it minted (finding 10's sibling: a key issued
// through the admin API is held by its issuer too). A lead, an approver
// that may make keys of its own role, had a request held, minted a second
// key and approved the request with it, as another principal; the other
// way round too (asking with the minted key, approving with its own), and
// down a chain of keys made with keys. Now each is refused with 403
// self_approval, while an approver who issued neither secret decides.
func TestFinding10VariantSelfApprovalMintedKey(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(wardentest.DefaultRoles(),
		config.Role{Name: "lead", Models: []string{"gpt-*"}, Capabilities: []string{"admin", "chat", "approve"}}),
		Configure: func(c *config.Config) {
			c.Models[0].Approval.Required = true // gpt-test
			c.Approvals = config.Approvals{TTL: config.Duration(time.Hour), Approvers: []string{"lead"}}
		}})
	lead := g.NewKey(t, wardentest.KeyOptions{Role: "lead"}).Secret
	peer := g.NewKey(t, wardentest.KeyOptions{Role: "lead"}).Secret
	_, minted := createKey(t, g, lead, `{"name":"second","role":"lead"}`, http.StatusCreated)
	_, grand := createKey(t, g, minted, `{"name":"third","role":"lead"}`, http.StatusCreated)

	held := func(secret, text string) string {
		t.Helper()
		res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", secret, chatBody("gpt-test", text, false))
		id := res.Header.Get("X-Warden-Approval-Id")
		if res.StatusCode != http.StatusForbidden || id == "" {
			t.Fatalf("held: %s (id %q)", res.Status, id)
		}
		return id
	}
	for _, c := range []struct{ name, asker, approver string }{
		{"asked by the lead, approved with its minted key", lead, minted},
		{"asked with the minted key, approved by the lead", minted, lead},
		{"asked by the lead, approved with a key its key minted", lead, grand},
		{"asked with the grandchild key, approved by the lead", grand, lead},
	} {
		id := held(c.asker, c.name)
		if res, b := send(t, g, http.MethodPost, "/admin/v1/approvals/"+id+"/approve", c.approver, `{}`); res.StatusCode != http.StatusForbidden || errorCode(b) != "self_approval" {
			t.Errorf("%s: %s %s, want 403 self_approval", c.name, res.Status, b)
		}
	}
	id := held(lead, "for the peer")
	if res, v := decide(t, g, peer, id, "approve"); res.StatusCode != http.StatusOK || v.Status != "approved" {
		t.Fatalf("a peer approver: %s %+v", res.Status, v)
	}
}

// TestFinding3VariantRotatedOutSecret: a key's expiry, as a bound on the
// keys it makes, is when the secret presented stops working (finding 3's
// sibling). A key administrator's key was rotated with a grace period (its
// old secret leaked, say): with the old secret, in the grace period, a key
// could be minted that never expires, outliving the rotation. Now the
// minted key inherits the old secret's end, and a later expiry is refused.
func TestFinding3VariantRotatedOutSecret(t *testing.T) {
	t.Parallel()
	g := keyGateway(t)
	root := g.NewKey(t, wardentest.KeyOptions{Name: "root", Role: "admin"}).Secret
	ka := g.NewKey(t, wardentest.KeyOptions{Name: "ka", Role: "keyadmin"})
	res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+ka.ID+"/rotate", root, `{"grace":"1h"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("rotate: %s %s", res.Status, b)
	}
	old := ka.Secret
	createKey(t, g, old, `{"name":"late","role":"chat-only","expires_in":"30d"}`, http.StatusForbidden, "expire no later")
	id, _ := createKey(t, g, old, `{"name":"open","role":"chat-only"}`, http.StatusCreated)
	k := listKeys(t, g, root)[id]
	exp, _ := k["expires_at"].(string)
	at, err := time.Parse(time.RFC3339Nano, exp)
	if err != nil || at.After(time.Now().Add(time.Hour+time.Minute)) {
		t.Fatalf("the key made with the rotated-out secret expires at %q (%v), want within the hour of grace", exp, err)
	}
}
