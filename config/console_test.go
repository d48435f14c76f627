package config

import "testing"

// TestValidateConsole: every problem of console.* at once, with key paths.
func TestValidateConsole(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c := validConfig(tr)
	c.Roles = append(c.Roles, Role{Name: "auditor", Groups: []string{"auditors"}, Models: []string{"*"}, Capabilities: []string{"audit.read"}, RequireMFA: true})
	c.Console = Console{
		URL:     "http://warden.example.com/console",
		Session: ConsoleSession{IdleTimeout: Duration(-1)},
		OIDC:    &ConsoleOIDC{Issuer: "http://idp.example.com", ClientSecret: "inline", Scopes: []string{"profile"}},
		SAML:    &ConsoleSAML{IdPMetadataURL: "https://idp.example.com/md", IdPMetadataFile: "/x"},
	}
	checkProblems(t, c.Validate(), []wantProblem{
		{"console.url", "no path"},
		{"console.session.idle_timeout", "negative"},
		{"console.oidc.issuer", "https://"},
		{"console.oidc.client_id", "required"},
		{"console.oidc.client_secret", "inline secrets"},
		{"console.oidc.scopes", "openid"},
		{"console.saml", "not both"},
		{"console.saml.cert_file", "required"},
		{"console.saml.key_file", "required"},
	})

	// require_mfa without any console sign-in is a mistake worth saying.
	c = validConfig(tr)
	c.Roles[0].RequireMFA = true
	checkProblems(t, c.Validate(), []wantProblem{{"console", "require_mfa"}})

	// A valid console: https, or http on loopback.
	for _, u := range []string{"https://warden.example.com", "http://127.0.0.1:8443", "http://localhost:8080/"} {
		c = validConfig(tr)
		c.Console = Console{URL: u, OIDC: &ConsoleOIDC{Issuer: "https://idp.example.com", ClientID: "warden", ClientSecret: "env:X"}}
		if probs := c.Validate(); len(probs) != 0 {
			t.Errorf("%s: %q", u, probs)
		}
	}
}
