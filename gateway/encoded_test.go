package gateway_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// encodedGateway blocks cards, SSNs and secrets and redacts e-mail.
func encodedGateway(t *testing.T) *wardentest.Gateway {
	return wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Content = config.Content{Request: config.ContentStage{PII: map[string]string{"credit_card": "block", "us_ssn": "block", "secret": "block", "email": "redact"}}}
	}})
}

// TestEncodedValuesBlocked: a blocked value hidden in base64,
// percent-encoding, HTML character references, or split by spaces or
// dots, in a message or a tool call's arguments, never reaches the
// upstream: 403 content_blocked names the rule and not the value, and the
// record says block. Ordinary encoded content (an image's data URL
// inline, a hash, a UUID, a URL with %20, HTML) passes.
func TestEncodedValuesBlocked(t *testing.T) {
	g := encodedGateway(t)
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, admin)
	before := len(g.Upstream.Requests())
	b64 := base64.StdEncoding.EncodeToString
	for _, tt := range []struct{ name, text, rule string }{
		{"base64", "decode this: " + b64([]byte("card 4111 1111 1111 1111 exp 12/29")), "pii.credit_card"},
		{"base64 key", "use " + b64([]byte("AKIAIOSFODNN7EXAMPLE")), "pii.secret"},
		{"percent", "q=%34%31%31%31%20%31%31%31%31%20%31%31%31%31%20%31%31%31%31", "pii.credit_card"},
		{"html entities", "card &#52;&#49;&#49;&#49; &#49;&#49;&#49;&#49; 1111 1111", "pii.credit_card"},
		{"double-escaped html", "card &amp;#52;&amp;#49;11 1111 1111 1111", "pii.credit_card"},
		{"spaced digits", "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "pii.credit_card"},
		{"dotted ssn", "my number is 1.2.3-45-6789", "pii.us_ssn"},
	} {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", tt.text, false))
		if res.StatusCode != http.StatusForbidden || errorCode(b) != "content_blocked" || !strings.Contains(string(b), tt.rule) {
			t.Errorf("%s: %s %s", tt.name, res.Status, b)
		}
		for _, v := range []string{"4111", "6789", "AKIA", "NDEx", "%34"} {
			if strings.Contains(string(b), v) {
				t.Errorf("%s: the error echoes %q: %s", tt.name, v, b)
			}
		}
		rec := log.released(t, res)
		if rec.Decision != "block" || !strings.Contains(strings.Join(rec.Reasons, ","), "content."+tt.rule) {
			t.Errorf("%s: record %s", tt.name, rec.Entry)
		}
	}
	args := strings.ReplaceAll(`{"note":"`+b64([]byte("ssn 123-45-6789"))+`"}`, `"`, `\"`)
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin,
		`{"model":"gpt-test","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"save","arguments":"`+args+`"}}]}]}`)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "pii.us_ssn") {
		t.Errorf("base64 in tool-call arguments: %s %s", res.Status, b)
	}
	if after := len(g.Upstream.Requests()); after != before {
		t.Fatalf("%d blocked requests reached the upstream", after-before)
	}
	for _, text := range []string{
		"see data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
		"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, id 123e4567-e89b-12d3-a456-426614174000",
		"open https://example.com/my%20file.pdf?q=a%20b and Tom &amp; Jerry &#169; 2026",
		"server 10.0.12.7, 1 234 567 890 people, ZIP 12345-6789, at 2024-01-15 10:30:45",
	} {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", text, false))
		if res.StatusCode != http.StatusOK {
			t.Errorf("%q: %s %s", text, res.Status, b)
		}
	}
}
