package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

// call sends an admin request with key and decodes the JSON answer.
func call(t *testing.T, g *wardentest.Gateway, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+g.Addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d non-JSON answer %q", method, path, res.StatusCode, b)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("%s %s: no X-Request-Id", method, path)
	}
	return res.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestKeysAPI(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	adminKey := g.NewKey(t, wardentest.KeyOptions{Name: "root", Role: "admin"}).Secret
	userKey := g.NewKey(t, wardentest.KeyOptions{Name: "user", Role: "chat-only"}).Secret

	// Create a key, use it on the data plane, rotate it, revoke it.
	code, created := call(t, g, adminKey, "POST", "/admin/v1/keys", `{"name":"svc","role":"chat-only","models":["gpt-*"],"expires_in":"30d"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, created)
	}
	id, secret := created["id"].(string), created["key"].(string)
	if !strings.HasPrefix(secret, "wdn_") {
		t.Fatalf("created %v", created)
	}
	if code, _ := call(t, g, secret, "GET", "/v1/models", ""); code != http.StatusOK {
		t.Fatalf("new key on the data plane: %d", code)
	}

	code, list := call(t, g, adminKey, "GET", "/admin/v1/keys", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d", code)
	}
	raw, _ := json.Marshal(list)
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), adminKey) {
		t.Fatal("list reveals a secret")
	}
	if n := len(list["data"].([]any)); n != 3 {
		t.Fatalf("list has %d keys, want 3", n)
	}

	code, rotated := call(t, g, adminKey, "POST", "/admin/v1/keys/"+id+"/rotate", `{"grace":"0s"}`)
	if code != http.StatusOK || rotated["key"] == secret {
		t.Fatalf("rotate: %d %v", code, rotated)
	}
	if code, m := call(t, g, secret, "GET", "/v1/models", ""); code != http.StatusUnauthorized {
		t.Fatalf("old secret after rotate with no grace: %d %v", code, m)
	}
	newSecret := rotated["key"].(string)
	if code, _ := call(t, g, newSecret, "GET", "/v1/models", ""); code != http.StatusOK {
		t.Fatalf("rotated secret: %d", code)
	}
	if code, _ := call(t, g, adminKey, "POST", "/admin/v1/keys/"+id+"/revoke", ""); code != http.StatusOK {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := call(t, g, newSecret, "GET", "/v1/models", ""); code != http.StatusUnauthorized {
		t.Fatalf("revoked key still works: %d", code)
	}

	for _, tt := range []struct {
		name, key, method, path, body string
		status                        int
		code                          string
	}{
		{"no credentials", "", "GET", "/admin/v1/keys", "", 401, "invalid_api_key"},
		{"role without admin", userKey, "GET", "/admin/v1/keys", "", 403, "capability_not_allowed"},
		{"role without admin creates", userKey, "POST", "/admin/v1/keys", `{"name":"x","role":"admin"}`, 403, "capability_not_allowed"},
		{"unknown role", adminKey, "POST", "/admin/v1/keys", `{"name":"x","role":"root"}`, 400, "invalid_request"},
		{"missing name", adminKey, "POST", "/admin/v1/keys", `{"role":"admin"}`, 400, "invalid_request"},
		{"unknown field", adminKey, "POST", "/admin/v1/keys", `{"name":"x","role":"admin","rolez":1}`, 400, "invalid_request"},
		{"bad json", adminKey, "POST", "/admin/v1/keys", `{"name":`, 400, "invalid_request"},
		{"bad expiry", adminKey, "POST", "/admin/v1/keys", `{"name":"x","role":"admin","expires_in":"-1h"}`, 400, "invalid_request"},
		{"too large", adminKey, "POST", "/admin/v1/keys", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "request_too_large"},
		{"rotate unknown", adminKey, "POST", "/admin/v1/keys/key_nope/rotate", ``, 404, "key_not_found"},
		{"rotate revoked", adminKey, "POST", "/admin/v1/keys/" + id + "/rotate", ``, 409, "key_revoked"},
		{"revoke unknown", adminKey, "POST", "/admin/v1/keys/key_nope/revoke", ``, 404, "key_not_found"},
		{"wrong method", adminKey, "DELETE", "/admin/v1/keys", ``, 405, "method_not_allowed"},
		{"wrong method on rotate", adminKey, "GET", "/admin/v1/keys/key_x/rotate", ``, 405, "method_not_allowed"},
		{"unknown path", adminKey, "GET", "/admin/v1/nothing", ``, 404, "unknown_url"},
		{"escaped slash is not a route", adminKey, "POST", "/v1/chat%2Fcompletions", `{}`, 404, "unknown_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, m := call(t, g, tt.key, tt.method, tt.path, tt.body)
			if code != tt.status || errCode(m) != tt.code {
				t.Fatalf("got %d %q, want %d %q (%v)", code, errCode(m), tt.status, tt.code, m)
			}
		})
	}
}
