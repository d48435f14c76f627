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

// TestFinding7ApproverOutsideNamespace: approving is confined like
// decrypting (finding 7's variant). An approver whose role reaches only
// the finance namespace neither lists, reads nor decides on a request held
// for a legal model, and its refusal is recorded naming the approval; an
// approver of the legal namespace does all three.
func TestFinding7ApproverOutsideNamespace(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(auditRoles(),
		config.Role{Name: "finance-approver", Models: []string{"*"}, Namespaces: []string{"finance"}, Capabilities: []string{"approve"}},
		config.Role{Name: "legal-approver", Models: []string{"gpt-*"}, Namespaces: []string{"legal"}, Capabilities: []string{"approve"}},
		config.Role{Name: "no-models", Capabilities: []string{"approve"}}),
		Configure: func(c *config.Config) {
			c.Models[0].Namespace = "legal"
			c.Models[0].Approval.Required = true
			c.Approvals = config.Approvals{TTL: config.Duration(time.Hour)}
		}})
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	finance := g.NewKey(t, wardentest.KeyOptions{Role: "finance-approver"}).Secret
	legal := g.NewKey(t, wardentest.KeyOptions{Role: "legal-approver"}).Secret
	none := g.NewKey(t, wardentest.KeyOptions{Role: "no-models"}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, admin)

	res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", user, chatBody("gpt-test", "Settle the Smith case for 40k", false))
	id := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || id == "" {
		t.Fatalf("held: %s (id %q)", res.Status, id)
	}
	listed := func(key string) bool {
		_, b := send(t, g, http.MethodGet, "/admin/v1/approvals", key, "")
		var list struct{ Data []approvalView }
		json.Unmarshal(b, &list)
		for _, a := range list.Data {
			if a.ID == id {
				return true
			}
		}
		return false
	}
	for name, key := range map[string]string{"finance": finance, "no-models": none} {
		if listed(key) {
			t.Errorf("%s approver lists an approval for a legal model", name)
		}
		res, b := send(t, g, http.MethodGet, "/admin/v1/approvals/"+id, key, "")
		if res.StatusCode != http.StatusForbidden || strings.Contains(string(b), "Smith") {
			t.Errorf("%s approver reads it: %s %s", name, res.Status, b)
		}
		rec := log.released(t, res)
		if rec.Admin == nil || string(rec.Admin.Target) != id || rec.Decision != "deny" {
			t.Errorf("%s: refused read does not name the approval: %s", name, rec.Entry)
		}
		if res, b := send(t, g, http.MethodPost, "/admin/v1/approvals/"+id+"/approve", key, `{}`); res.StatusCode != http.StatusForbidden || errorCode(b) != "approval_not_allowed" {
			t.Errorf("%s approver decides it: %s %s", name, res.Status, b)
		}
	}
	if !listed(legal) {
		t.Error("the legal approver does not see the approval")
	}
	if res, v := decide(t, g, legal, id, "approve"); res.StatusCode != http.StatusOK || v.Status != "approved" {
		t.Fatalf("legal approver: %s %+v", res.Status, v)
	}
}

// TestSearchRefusesUnknownEnums: the admin API's search refuses a decision
// or kind no record can carry (an operator's typo such as "denied" would
// otherwise return an empty list that reads as "nothing was denied").
func TestSearchRefusesUnknownEnums(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	for _, q := range []string{"decision=denied", "decision=ALLOW", "kind=requests"} {
		res, b := send(t, g, http.MethodGet, "/admin/v1/audit/records?"+q, admin, "")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "want one of") {
			t.Errorf("%s: %s %s", q, res.Status, b)
		}
	}
	if res, b := send(t, g, http.MethodGet, "/admin/v1/audit/records?decision=deny&kind=request", admin, ""); res.StatusCode != http.StatusOK {
		t.Errorf("valid filters: %s %s", res.Status, b)
	}
}
