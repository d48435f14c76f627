package gateway_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestFederatedIdentity drives the gateway with OIDC tokens from a real
// (test) identity provider and with API keys, through every refusal the
// issue names: each answered with the right status and code, and recorded
// with its reason.
func TestFederatedIdentity(t *testing.T) {
	t.Parallel()
	idp := wardentest.NewIdP(t, wardentest.IdPOptions{})
	idp.AddKey("RS256", true)           // a second published key: tokens must name theirs
	rogue := idp.AddKey("RS256", false) // a key the IdP never published
	roles := append(wardentest.DefaultRoles(),
		config.Role{Name: "legal", Groups: []string{"legal"}, Models: []string{"gpt-test"}, Capabilities: []string{"chat"}},
		config.Role{Name: "office", Groups: []string{"office"}, Models: []string{"gpt-test"}, Capabilities: []string{"chat"}, IPAllow: []string{"10.0.0.0/8"}})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles:     roles,
		Configure: func(c *config.Config) { c.Auth.OIDC = []config.OIDC{idp.Config()} },
	})
	valid := func(claims map[string]any) string {
		c := map[string]any{"sub": "alice", "groups": []string{"legal"}}
		for k, v := range claims {
			c[k] = v
		}
		return idp.Token(c)
	}
	revoked := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	g.Revoke(t, revoked.ID)
	expired := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only", ExpiresAt: time.Now().Add(-time.Hour)})
	scoped := g.NewKey(t, wardentest.KeyOptions{Role: "admin", Models: []string{"embed-*"}})
	now := time.Now()

	for _, tt := range []struct {
		name   string
		token  string
		header map[string]string
		status int
		code   string
		reason string
	}{
		{"valid token", valid(nil), nil, 200, "", "policy.allowed_by_role"},
		{"expired", valid(map[string]any{"exp": now.Add(-time.Hour).Unix()}), nil, 401, "invalid_token", "auth.oidc_expired"},
		{"not yet valid", valid(map[string]any{"nbf": now.Add(time.Hour).Unix()}), nil, 401, "invalid_token", "auth.oidc_not_yet_valid"},
		{"wrong issuer", valid(map[string]any{"iss": "https://evil.example"}), nil, 401, "invalid_token", "auth.oidc_unknown_issuer"},
		{"wrong audience", valid(map[string]any{"aud": "someone-else"}), nil, 401, "invalid_token", "auth.oidc_wrong_audience"},
		{"alg none", unsigned(t, valid(nil)), nil, 401, "invalid_token", "auth.oidc_alg_not_allowed"},
		{"tampered payload", tamper(t, valid(nil)), nil, 401, "invalid_token", "auth.oidc_bad_signature"},
		{"HS256 signed with the RSA public key", hs256WithPublicKey(t, idp, valid(nil)), nil, 401, "invalid_token", "auth.oidc_alg_not_allowed"},
		{"signed by an unknown key", idp.Token(map[string]any{"sub": "alice", "groups": []string{"legal"}}, wardentest.WithKey(rogue)), nil, 401, "invalid_token", "auth.oidc_unknown_key"},
		{"missing kid", idp.Token(map[string]any{"sub": "alice", "groups": []string{"legal"}}, wardentest.WithoutKID()), nil, 401, "invalid_token", "auth.oidc_missing_kid"},
		{"group differs in case", valid(map[string]any{"groups": []string{"Legal"}}), nil, 403, "no_role", "policy.no_role_for_groups"},
		{"group with whitespace", valid(map[string]any{"groups": []string{" legal"}}), nil, 403, "no_role", "policy.no_role_for_groups"},
		{"spoofed X-Forwarded-For from an untrusted peer", valid(map[string]any{"groups": []string{"office"}}), map[string]string{"X-Forwarded-For": "10.1.2.3"}, 403, "ip_not_allowed", "policy.ip_not_allowed_by_role"},
		{"revoked API key", revoked.Secret, nil, 401, "invalid_api_key", "auth.key_revoked"},
		{"expired API key", expired.Secret, nil, 401, "invalid_api_key", "auth.key_expired"},
		{"API key outside its model scope", scoped.Secret, nil, 403, "model_not_allowed", "policy.model_not_in_key_scope"},
		{"unrecognised bearer", "not-a-key-or-token", nil, 401, "invalid_api_key", "auth.malformed_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(testContext(t), "POST", g.URL+"/chat/completions",
				strings.NewReader(`{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`))
			req.Header.Set("Authorization", "Bearer "+tt.token)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := g.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || (tt.code != "" && !strings.Contains(string(body), `"code":"`+tt.code+`"`)) {
				t.Fatalf("got %d %s, want %d %s", res.StatusCode, body, tt.status, tt.code)
			}
			if strings.Contains(string(body), tt.token) {
				t.Fatal("the answer echoes the credential")
			}
			rec := g.AccessLog(t, res.Header.Get("X-Request-Id"))
			if got := firstReason(rec); got != tt.reason {
				t.Fatalf("recorded reason %q, want %q", got, tt.reason)
			}
		})
	}
}

// TestOIDCKeyRotationAndOutage: the IdP publishes a new key and then signs
// with it (as Okta and Entra ID roll keys) while the gateway runs; and an IdP
// that cannot be reached when its keys are needed fails closed with 503.
// (Refetching on an unknown kid is tested with a controlled clock in auth.)
func TestOIDCKeyRotationAndOutage(t *testing.T) {
	t.Parallel()
	idp := wardentest.NewIdP(t, wardentest.IdPOptions{Alg: "ES256"})
	roles := append(wardentest.DefaultRoles(), config.Role{Name: "legal", Groups: []string{"legal"}, Models: []string{"*"}, Capabilities: []string{"chat"}})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles:     roles,
		Configure: func(c *config.Config) { c.Auth.OIDC = []config.OIDC{idp.Config()} },
	})
	ctx := testContext(t)
	claims := map[string]any{"sub": "svc", "groups": []string{"legal"}}
	next := idp.AddKey("ES256", true) // published ahead of use
	if err := chat(ctx, newClient(g, idp.Token(claims)), "gpt-test"); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	if err := chat(ctx, newClient(g, idp.Token(claims, wardentest.WithKey(next))), "gpt-test"); err != nil {
		t.Fatalf("signed with the rolled-in key: %v", err)
	}

	down := wardentest.NewIdP(t, wardentest.IdPOptions{})
	g2 := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles:     roles,
		Configure: func(c *config.Config) { c.Auth.OIDC = []config.OIDC{down.Config()} },
	})
	tok := down.Token(claims)
	down.SetFailing(true)
	wantAPIError(t, chat(ctx, newClient(g2, tok), "gpt-test"), http.StatusServiceUnavailable, "auth_unavailable", tok)
}

// unsigned re-issues a token with alg "none" and no signature.
func unsigned(t *testing.T, tok string) string {
	parts := strings.Split(tok, ".")
	return b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
}

// hs256WithPublicKey re-signs a token's claims with HS256, keyed with the
// PEM of the IdP's RSA public key: the classic algorithm-confusion attack.
func hs256WithPublicKey(t *testing.T, idp *wardentest.IdP, tok string) string {
	der, err := x509.MarshalPKIXPublicKey(idp.PublicKey(idp.SigningKID()))
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	head := b64(`{"alg":"HS256","typ":"JWT","kid":"` + idp.SigningKID() + `"}`)
	signing := head + "." + strings.Split(tok, ".")[1]
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tamper changes the payload of a signed token, keeping its signature.
func tamper(t *testing.T, tok string) string {
	parts := strings.Split(tok, ".")
	payload, err := b64dec(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(payload), `"alice"`, `"admin"`, 1)
	return parts[0] + "." + b64(changed) + "." + parts[2]
}

func b64(s string) string             { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func b64dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestAddressAllowlists: the global allowlist refuses before credentials
// are read; a key's own allowlist narrows where it works; X-Forwarded-For
// counts only from a trusted proxy.
func TestAddressAllowlists(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	closed := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Configure: func(c *config.Config) { c.Auth.IPAllow = []string{"10.0.0.0/8", "2001:db8::/32"} },
	})
	key := closed.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	err := chat(ctx, newClient(closed, key.Secret), "gpt-test")
	wantAPIError(t, err, http.StatusForbidden, "ip_not_allowed", key.Secret)
	if rec := recordOf(t, closed, err); firstReason(rec) != "policy.ip_not_allowed" || rec["principal"] != nil {
		t.Fatalf("recorded %v; credentials must not even be read", rec)
	}
	// Metrics on the main listener too (health checks stay open).
	if res, _ := send(t, closed, http.MethodGet, "/metrics", "", ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("/metrics from outside the allowlist: %s", res.Status)
	}
	if res, _ := send(t, closed, http.MethodGet, "/healthz", "", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %s", res.Status)
	}

	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Configure: func(c *config.Config) { c.Server.TrustedProxies = []string{"127.0.0.1/32"} },
	})
	office := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only", IPAllow: []string{"198.51.100.0/24"}})
	c := newClient(g, office.Secret)
	wantAPIError(t, chat(ctx, c, "gpt-test"), http.StatusForbidden, "ip_not_allowed", office.Secret)
	// Through the trusted proxy (this test), from an office address.
	if err := chat(ctx, c, "gpt-test", option.WithHeader("X-Forwarded-For", "198.51.100.7")); err != nil {
		t.Fatalf("from the office via the proxy: %v", err)
	}
	// A client-forged hop before the proxy's does not help.
	err = chat(ctx, c, "gpt-test", option.WithHeader("X-Forwarded-For", "198.51.100.7, 203.0.113.5"))
	wantAPIError(t, err, http.StatusForbidden, "ip_not_allowed", office.Secret)
}

// recordOf is the access log record of the request that err answered.
func recordOf(t *testing.T, g *wardentest.Gateway, err error) map[string]any {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an API error: %v", err)
	}
	return g.AccessLog(t, apiErr.Response.Header.Get("X-Request-Id"))
}
