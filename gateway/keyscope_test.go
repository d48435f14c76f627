package gateway_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestKeyScopeCannotGrow: a principal with the admin capability creates
// and rotates keys only within its own reach: no role with a capability
// its own lacks (an auditor's, an approver's), no model beyond its own,
// and from a scoped key, nothing less scoped than itself. A dimension the
// request leaves open takes the maker's bound (see findings_keys_test.go).
func TestKeyScopeCannotGrow(t *testing.T) {
	t.Parallel()
	roles := append(wardentest.DefaultRoles(),
		config.Role{Name: "keyadmin", Models: []string{"gpt-*"}, Capabilities: []string{"admin", "chat", "stream"}},
		config.Role{Name: "auditor", Capabilities: []string{"audit.read", "audit.decrypt"}},
		config.Role{Name: "all-models", Models: []string{"*"}, Capabilities: []string{"chat"}},
	)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: roles})
	keyadmin := g.NewKey(t, wardentest.KeyOptions{Role: "keyadmin"}).Secret
	scoped := g.NewKey(t, wardentest.KeyOptions{Role: "admin", Models: []string{"gpt-test"}, RPM: 5}).Secret
	auditorKey := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"})
	create := func(secret, body string) (int, string) {
		t.Helper()
		res, b := send(t, g, http.MethodPost, "/admin/v1/keys", secret, body)
		return res.StatusCode, errorCode(b)
	}
	for _, tt := range []struct {
		who, secret, body string
		status            int
	}{
		{"keyadmin", keyadmin, `{"name":"a","role":"auditor"}`, http.StatusForbidden},                   // capabilities it lacks
		{"keyadmin", keyadmin, `{"name":"b","role":"admin"}`, http.StatusForbidden},                     // every capability, every model
		{"keyadmin", keyadmin, `{"name":"c","role":"all-models","models":["*"]}`, http.StatusForbidden}, // models beyond gpt-*
		{"keyadmin", keyadmin, `{"name":"c2","role":"all-models"}`, http.StatusCreated},                 // inherits models gpt-*
		{"keyadmin", keyadmin, `{"name":"d","role":"chat-only"}`, http.StatusCreated},                   // gpt-test, chat: within
		{"keyadmin", keyadmin, `{"name":"e","role":"all-models","models":["gpt-other"]}`, http.StatusCreated},
		{"scoped", scoped, `{"name":"f","role":"chat-only","rpm":0}`, http.StatusCreated}, // inherits rpm 5
		{"scoped", scoped, `{"name":"g","role":"chat-only","rpm":10}`, http.StatusForbidden},
		{"scoped", scoped, `{"name":"h","role":"chat-only","rpm":5}`, http.StatusCreated},
		{"scoped", scoped, `{"name":"i","role":"all-models","models":["gpt-*"],"rpm":5}`, http.StatusForbidden}, // models beyond gpt-test
		{"scoped", scoped, `{"name":"j","role":"all-models","rpm":5}`, http.StatusCreated},                      // inherits models gpt-test
	} {
		status, code := create(tt.secret, tt.body)
		if status != tt.status || status == http.StatusForbidden && code != "key_scope_exceeded" {
			t.Errorf("%s creates %s: %d %s, want %d", tt.who, tt.body, status, code, tt.status)
		}
	}
	res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+auditorKey.ID+"/rotate", keyadmin, `{"grace":"0s"}`)
	if res.StatusCode != http.StatusForbidden || errorCode(b) != "key_scope_exceeded" {
		t.Fatalf("keyadmin rotates an auditor's key: %s %s", res.Status, b)
	}
	var k struct{ Key string }
	if json.Unmarshal(b, &k) == nil && k.Key != "" {
		t.Fatal("a secret was handed over")
	}
}
