package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestAlerts: a burst of refused keys, an attempt at a model outside the
// role and a key near expiry each fire their rule once: the webhook gets
// the alert, the audit log records it, /metrics counts it.
func TestAlerts(t *testing.T) {
	got := make(chan map[string]any, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		json.Unmarshal(b, &ev)
		got <- ev
	}))
	defer hook.Close()
	target := []config.NotifyTarget{{Name: "soc", Type: "webhook", URL: config.Secret(hook.URL)}}
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Alerts = []config.Alert{
			{Name: "bad-keys", When: "denied", Threshold: 3, Window: config.Duration(time.Minute), Notify: target},
			{Name: "probing", When: "restricted_model", Threshold: 1, Window: config.Duration(time.Minute), Notify: target},
			{Name: "keys-expiring", When: "key_expiry", Window: config.Duration(7 * 24 * time.Hour), Notify: target},
		}
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	g.NewKey(t, wardentest.KeyOptions{Name: "soon", ExpiresAt: time.Now().Add(48 * time.Hour)})
	chat := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	log := openAuditLog(t, g, admin)

	for range 4 {
		send(t, g, http.MethodPost, "/v1/chat/completions", "wdn_notakey", chatBody("gpt-test", "hi", false))
	}
	send(t, g, http.MethodPost, "/v1/chat/completions", chat, chatBody("gpt-other", "hi", false))

	seen := map[string]map[string]any{}
	deadline := time.After(10 * time.Second)
	for len(seen) < 3 {
		select {
		case ev := <-got:
			fields, _ := ev["fields"].(map[string]any)
			if ev["kind"] == "alert.firing" {
				seen[fields["rule"].(string)] = fields
			}
		case <-deadline:
			t.Fatalf("alerts seen: %v", seen)
		}
	}
	if !strings.HasPrefix(seen["bad-keys"]["subject"].(string), "ip:") || !strings.HasPrefix(seen["probing"]["subject"].(string), "apikey:") ||
		!strings.HasPrefix(seen["keys-expiring"]["subject"].(string), "key_") {
		t.Fatalf("alerts: %v", seen)
	}
	// Once per subject while it holds: more refusals fire nothing new.
	send(t, g, http.MethodPost, "/v1/chat/completions", "wdn_notakey", chatBody("gpt-test", "hi", false))
	select {
	case ev := <-got:
		t.Fatalf("fired again while firing: %v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	actions := map[string]int{}
	for _, r := range log.all(t) {
		if r.Admin != nil {
			actions[r.Admin.Action]++
		}
	}
	if actions["alerts.fire"] != 3 {
		t.Fatalf("audited: %v", actions)
	}
	res, b := send(t, g, http.MethodGet, "/metrics", "", "")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `warden_alerts_fired_total{rule="bad-keys"} 1`) {
		t.Errorf("metrics: %s\n%s", res.Status, b)
	}
}
