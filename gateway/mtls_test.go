package gateway_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestMTLS: verified client certificates are credentials — identity from
// the SPIFFE ID or CN, groups from OUs mapped to roles — and certificates
// from another CA or on the CRL are refused.
func TestMTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := wardentest.NewCA(t, dir, "clients")
	other := wardentest.NewCA(t, t.TempDir(), "other")
	svc := ca.Issue(t, "billing", []string{"ml-services"}, "spiffe://example.org/ns/prod/sa/billing")
	human := ca.Issue(t, "alice", []string{"Ml-Services"}) // OU differs in case: no role
	revoked := ca.Issue(t, "mallory", []string{"ml-services"})
	impostor := ca.Issue(t, "spiffe://example.org/ns/prod/sa/billing", []string{"ml-services"})
	twoIDs := ca.Issue(t, "svc", []string{"ml-services"}, "spiffe://example.org/a", "spiffe://example.org/b")
	stranger := other.Issue(t, "eve", []string{"ml-services"})
	crl := ca.CRL(t, revoked)

	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		TLS: true,
		Roles: append(wardentest.DefaultRoles(),
			config.Role{Name: "services", Groups: []string{"ml-services"}, Models: []string{"gpt-test"}, Capabilities: []string{"chat"}}),
		Configure: func(c *config.Config) {
			c.Server.TLS.ClientCAFile, c.Server.TLS.ClientAuth = ca.CertFile, "request"
			c.Auth.MTLS = config.MTLS{Enabled: true, CRLFile: crl}
		},
	})
	chat := func(cert *tls.Certificate) (int, string, error) {
		req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(`{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`))
		res, err := g.ClientWithCert(cert).Do(req)
		if err != nil {
			return 0, "", err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("X-Request-Id"), nil
	}

	code, id, _ := chat(&svc)
	if code != 200 {
		t.Fatalf("service certificate: %d", code)
	}
	if rec := g.AccessLog(t, id); rec["principal"] != "mtls:spiffe://example.org/ns/prod/sa/billing" || rec["role"] != "services" {
		t.Fatalf("access log %v", rec)
	}
	for _, tt := range []struct {
		name   string
		cert   *tls.Certificate
		status int
		reason string
	}{
		{"OU differs in case", &human, 403, "policy.no_role_for_groups"},
		{"revoked by the CRL", &revoked, 401, "auth.mtls_certificate_revoked"},
		{"CN posing as a SPIFFE ID", &impostor, 401, "auth.mtls_ambiguous_identity"},
		{"two SPIFFE IDs", &twoIDs, 401, "auth.mtls_ambiguous_identity"},
		{"no certificate, no key", nil, 401, "auth.no_credentials"},
	} {
		code, id, _ := chat(tt.cert)
		if code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, code, tt.status)
			continue
		}
		rec := g.AccessLog(t, id)
		if got := firstReason(rec); got != tt.reason {
			t.Errorf("%s: reason %q, want %q (%v)", tt.name, got, tt.reason, rec)
		}
	}
	// A bearer credential nobody recognises is refused, even beside a
	// good certificate: no falling back to the certificate.
	req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(`{"model":"gpt-test","messages":[]}`))
	req.Header.Set("Authorization", "Bearer garbage")
	res, err := g.ClientWithCert(&svc).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || firstReason(g.AccessLog(t, res.Header.Get("X-Request-Id"))) != "auth.malformed_key" {
		t.Errorf("garbage bearer beside a good certificate: %d", res.StatusCode)
	}
	// A certificate from another CA does not get past the TLS handshake.
	if _, _, err := chat(&stranger); err == nil {
		t.Error("a certificate from another CA was accepted")
	}
}

// firstReason is the recorded reason of an access log record: the auth
// reason, else the first policy reason.
func firstReason(rec map[string]any) string {
	if r, ok := rec["auth_reason"].(string); ok {
		return r
	}
	if rs, ok := rec["reasons"].([]any); ok && len(rs) > 0 {
		s, _ := rs[0].(string)
		return s
	}
	return ""
}
