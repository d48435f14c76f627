package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestResponsePolicyOnClientErrors: an upstream's 4xx answer passes to the
// client, so the response policy applies to it as to a 2xx one (a model
// server's error can quote what it holds): an e-mail address in its message
// is redacted, or under block the answer is withheld; a 4xx the policy
// cannot read is withheld as a 502. Each is recorded once.
func TestResponsePolicyOnClientErrors(t *testing.T) {
	var body, ctype string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, body)
	}))
	t.Cleanup(up.Close)
	for _, tc := range []struct {
		name, action, ctype, body string
		status                    int
		leak                      string
	}{
		{"redacted", "redact", "application/json", `{"error":{"message":"document of jane.doe@example.com is too long","type":"invalid_request_error"}}`, 400, "jane.doe@example.com"},
		{"blocked", "block", "application/json", `{"error":{"message":"document of jane.doe@example.com is too long"}}`, 403, "jane.doe@example.com"},
		{"unreadable", "redact", "text/html", `<p>jane.doe@example.com not found</p>`, 502, "jane.doe@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype = tc.body, tc.ctype
			g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
				Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "m"}}},
				Configure: func(c *config.Config) {
					c.Content.Response.PII = map[string]string{"email": tc.action}
				}})
			key := g.NewKey(t, wardentest.KeyOptions{}).Secret
			log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
			res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", false))
			if res.StatusCode != tc.status || strings.Contains(string(b), tc.leak) {
				t.Fatalf("%s %s, want %d without the address", res.Status, b, tc.status)
			}
			if tc.name == "redacted" && !strings.Contains(string(b), "[EMAIL_1]") {
				t.Errorf("not redacted: %s", b)
			}
			if rec := log.released(t, res); rec.Status != tc.status {
				t.Errorf("record status %d, want %d", rec.Status, tc.status)
			}
		})
	}
}
