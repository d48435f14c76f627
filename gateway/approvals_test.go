package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/wardentest"
)

// approvalGateway needs approval for every request to gpt-test and for
// requests to any model that carry an e-mail address; "security" approves.
func approvalGateway(t *testing.T, hold time.Duration) *wardentest.Gateway {
	return wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(auditRoles(),
		config.Role{Name: "security", Models: []string{"*"}, Capabilities: []string{"approve"}},
		config.Role{Name: "self-approver", Models: []string{"*"}, Capabilities: []string{"chat", "approve"}}),
		Configure: func(c *config.Config) {
			c.Models[0].Approval.Required = true
			c.Content.Request.PII = map[string]string{"email": "flag"}
			c.Approvals = config.Approvals{Approvers: []string{"security", "self-approver"}, TTL: config.Duration(time.Hour), Hold: config.Duration(hold),
				Rules: []config.ApprovalRule{{Name: "mail-addresses", Entities: []string{"email"}}}}
		}})
}

type approvalView struct {
	ID, Principal, Model, Preview, Status, Note string
	Reasons                                     []string
	Uses                                        int
}

func decide(t *testing.T, g *wardentest.Gateway, key, id, verb string) (*http.Response, approvalView) {
	t.Helper()
	res, b := send(t, g, http.MethodPost, "/admin/v1/approvals/"+id+"/"+verb, key, `{"reason":"checked with the team"}`)
	var v approvalView
	json.Unmarshal(b, &v)
	return res, v
}

// TestApprovals: a held request is refused with its approval's id and never
// reaches the upstream; the approver sees who, which model, why and a
// redacted preview; once approved the identical request passes (and a
// changed one is held again); a denial refuses; self-approval is refused;
// every step is in the audit log.
func TestApprovals(t *testing.T) {
	g := approvalGateway(t, 0)
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	security := g.NewKey(t, wardentest.KeyOptions{Role: "security"}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, admin)
	before := len(g.Upstream.Requests())

	body := chatBody("gpt-test", "Summarise the contract for jane@example.com", false)
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", user, body)
	id := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || errorCode(b) != "approval_required" || !strings.HasPrefix(id, "apr_") || !strings.Contains(string(b), id) {
		t.Fatalf("held: %s %s (id %q)", res.Status, b, id)
	}
	if rec := log.released(t, res); !strings.Contains(strings.Join(rec.Reasons, ","), "approval.required") {
		t.Errorf("held record: %s", rec.Entry)
	}
	if len(g.Upstream.Requests()) != before {
		t.Fatal("a held request reached the upstream")
	}
	// The same request again: the same pending approval.
	if res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", user, body); res.Header.Get("X-Warden-Approval-Id") != id {
		t.Fatalf("a second approval for the same request: %s", res.Header.Get("X-Warden-Approval-Id"))
	}

	res, b = send(t, g, http.MethodGet, "/admin/v1/approvals", security, "")
	var list struct{ Data []approvalView }
	json.Unmarshal(b, &list)
	if res.StatusCode != http.StatusOK || len(list.Data) != 1 {
		t.Fatalf("list: %s %s", res.Status, b)
	}
	a := list.Data[0]
	if a.ID != id || a.Model != "gpt-test" || !strings.HasPrefix(a.Principal, "apikey:") || a.Status != "pending" ||
		strings.Join(a.Reasons, ",") != "model,rule:mail-addresses" || a.Preview != "Summarise the contract for [EMAIL_1]" {
		t.Fatalf("approval: %+v", a)
	}
	if res, _ := send(t, g, http.MethodGet, "/admin/v1/approvals", user, ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a user listed approvals: %s", res.Status)
	}
	if res, _ := decide(t, g, admin, id, "approve"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("an admin outside approvals.approvers approved: %s", res.Status)
	}
	if res, v := decide(t, g, security, id, "approve"); res.StatusCode != http.StatusOK || v.Status != "approved" || v.Note != "checked with the team" {
		t.Fatalf("approve: %s %+v", res.Status, v)
	}
	if res, _ := decide(t, g, security, id, "deny"); res.StatusCode != http.StatusConflict {
		t.Fatalf("deciding twice: %s", res.Status)
	}

	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", user, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the approved request: %s %s", res.Status, b)
	}
	if rec := log.released(t, res); !strings.Contains(strings.Join(rec.Reasons, ","), "approval.used") {
		t.Errorf("used record: %s", rec.Entry)
	}
	res, _ = send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "Summarise the contract for bob@example.com", false))
	changed := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || changed == id || changed == "" {
		t.Fatalf("a changed prompt: %s %q", res.Status, changed)
	}
	if res, v := decide(t, g, security, changed, "deny"); res.StatusCode != http.StatusOK || v.Status != "denied" {
		t.Fatalf("deny: %s %+v", res.Status, v)
	}
	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "Summarise the contract for bob@example.com", false))
	if res.StatusCode != http.StatusForbidden || errorCode(b) != "approval_denied" {
		t.Fatalf("denied: %s %s", res.Status, b)
	}

	// Self-approval.
	self := g.NewKey(t, wardentest.KeyOptions{Role: "self-approver"}).Secret
	res, _ = send(t, g, http.MethodPost, "/v1/chat/completions", self, chatBody("gpt-other", "mail ops@example.com", false))
	own := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || own == "" {
		t.Fatalf("rule on another model: %s", res.Status)
	}
	if res, _ := decide(t, g, self, own, "approve"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("self-approval: %s", res.Status)
	}

	recs := log.all(t)
	actions := map[string]int{}
	for _, r := range recs {
		if r.Admin != nil {
			actions[r.Admin.Action]++
		}
	}
	if actions["approvals.request"] != 3 || actions["approvals.approve"] < 2 || actions["approvals.deny"] < 1 {
		t.Fatalf("audited acts: %v", actions)
	}
}

// TestApprovalHold: with approvals.hold, a held request waits, and an
// approval given meanwhile lets it through on the same connection.
func TestApprovalHold(t *testing.T) {
	g := approvalGateway(t, 10*time.Second)
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	security := g.NewKey(t, wardentest.KeyOptions{Role: "security"}).Secret
	var wg sync.WaitGroup
	var res *http.Response
	var b []byte
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, b = send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "hold me", false))
	}()
	var id string
	for deadline := time.Now().Add(5 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, lb := send(t, g, http.MethodGet, "/admin/v1/approvals", security, "")
		var list struct{ Data []approvalView }
		json.Unmarshal(lb, &list)
		if len(list.Data) == 1 {
			id = list.Data[0].ID
		}
	}
	if r, _ := decide(t, g, security, id, "approve"); r.StatusCode != http.StatusOK {
		t.Fatalf("approve: %s", r.Status)
	}
	wg.Wait()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the held request: %s %s", res.Status, b)
	}
}

// TestApprovalNotify: approvers' webhook gets the new approval, signed;
// a receiver that is down does not hold the request up.
func TestApprovalNotify(t *testing.T) {
	secret := "hook-secret"
	got := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !notify.Verify([]byte(secret), b, r.Header.Get(notify.SignatureHeader), time.Now(), time.Minute) {
			t.Errorf("bad signature on %s", b)
		}
		got <- b
	}))
	defer hook.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Models[0].Approval.Required = true
		c.Approvals.Notify = []config.NotifyTarget{
			{Name: "down", Type: "webhook", URL: config.Secret(down.URL)},
			{Name: "soc", Type: "webhook", URL: config.Secret(hook.URL), Secret: config.Secret("file:" + secretFile)},
		}
	}})
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "mail jane@example.com", false))
	id := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || id == "" {
		t.Fatalf("held: %s", res.Status)
	}
	select {
	case b := <-got:
		var ev struct {
			Kind   string
			Fields map[string]string
		}
		json.Unmarshal(b, &ev)
		if ev.Kind != "approval.requested" || ev.Fields["id"] != id || ev.Fields["model"] != "gpt-test" || strings.Contains(string(b), "jane@example.com") {
			t.Fatalf("notification %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
}

// TestApprovalRulePreset: an approval rule may name a preset in place of
// its entities: a rule on "pci" holds a request with a card number, and
// one without any of the preset's entities passes.
func TestApprovalRulePreset(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(auditRoles(),
		config.Role{Name: "security", Models: []string{"*"}, Capabilities: []string{"approve"}}),
		Configure: func(c *config.Config) {
			c.Content.Request.PII = map[string]string{"pci": "flag"}
			c.Approvals = config.Approvals{Approvers: []string{"security"}, TTL: config.Duration(time.Hour),
				Rules: []config.ApprovalRule{{Name: "cardholder-data", Entities: []string{"pci"}}}}
		}})
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "Refund card 4111 1111 1111 1111 today", false))
	if res.StatusCode != http.StatusForbidden || errorCode(b) != "approval_required" {
		t.Fatalf("a card under a pci rule: %s %s", res.Status, b)
	}
	if res, b := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "What is a chargeback?", false)); res.StatusCode != http.StatusOK {
		t.Fatalf("no cardholder data: %s %s", res.Status, b)
	}
}
