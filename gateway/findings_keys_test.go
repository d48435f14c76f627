package gateway_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// Regression tests for findings 2, 3, 4 and 10 of issue 14: what a key
// administrator can do with keys through the admin API.

// keyRoles are the roles of these tests besides DefaultRoles' full "admin"
// and "chat-only".
func keyRoles() []config.Role {
	return append(wardentest.DefaultRoles(),
		config.Role{Name: "keyadmin", Models: []string{"gpt-*"}, Capabilities: []string{"admin", "chat", "stream"}},
		config.Role{Name: "fenced", Models: []string{"gpt-*"}, Capabilities: []string{"admin", "chat", "stream"},
			IPAllow: []string{"127.0.0.0/8"},
			Limits:  config.Limits{RequestsPerMinute: 50, TokensPerMinute: 100000, TokensPerDay: 500000, MaxTokens: 50}},
		config.Role{Name: "wide", Models: []string{"*"}, Capabilities: []string{"chat", "stream"}},
		config.Role{Name: "globber", Models: []string{"chat-?????"}, Capabilities: []string{"admin", "chat", "stream"}},
	)
}

// keyGateway is a gateway with keyRoles, the default models and two more,
// "chat-abcde" and "chat-open", and 127.0.0.1 as a trusted proxy (so a
// test can call from another address with X-Forwarded-For).
func keyGateway(t *testing.T) *wardentest.Gateway {
	u := wardentest.NewUpstream(t)
	models := append(wardentest.DefaultModels(u), u.Model("chat-abcde", "m-abcde"), u.Model("chat-open", "m-open"))
	return wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: keyRoles(), Models: models, Upstream: u,
		Configure: func(c *config.Config) { c.Server.TrustedProxies = []string{"127.0.0.1/32"} }})
}

// createKey makes a key through the admin API, failing the test unless
// the answer has the status want; it returns the id and secret (if made).
func createKey(t *testing.T, g *wardentest.Gateway, secret, body string, want int, why ...string) (id, key string) {
	t.Helper()
	res, b := send(t, g, http.MethodPost, "/admin/v1/keys", secret, body)
	if res.StatusCode != want {
		t.Fatalf("create %s: %s %s, want %d", body, res.Status, b, want)
	}
	if want == http.StatusForbidden && errorCode(b) != "key_scope_exceeded" {
		t.Fatalf("create %s: %s, want key_scope_exceeded", body, b)
	}
	for _, w := range why {
		if !strings.Contains(string(b), w) {
			t.Fatalf("create %s: %s, want a message naming %q", body, b, w)
		}
	}
	var k struct{ ID, Key string }
	json.Unmarshal(b, &k)
	return k.ID, k.Key
}

// listKeys returns the keys GET /admin/v1/keys shows secret's holder.
func listKeys(t *testing.T, g *wardentest.Gateway, secret string) map[string]map[string]any {
	t.Helper()
	res, b := send(t, g, http.MethodGet, "/admin/v1/keys", secret, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %s %s", res.Status, b)
	}
	var l struct{ Data []map[string]any }
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, k := range l.Data {
		out[k["id"].(string)] = k
	}
	return out
}

func chatAs(t *testing.T, g *wardentest.Gateway, secret, model, extra string, header ...string) (*http.Response, []byte) {
	t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]` + extra + `}`
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, g.URL+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res, []byte(b.String())
}

// TestFinding2RevokeOutsideScope: a scoped key administrator revoked any
// key, a full administrator's too, and listed every key. Now revoke (like
// rotate) is refused for a key beyond the caller's reach or made by
// someone else, and the list shows only the keys the caller may manage.
func TestFinding2RevokeOutsideScope(t *testing.T) {
	t.Parallel()
	g := keyGateway(t)
	root := g.NewKey(t, wardentest.KeyOptions{Name: "root", Role: "admin"})
	keyadmin := g.NewKey(t, wardentest.KeyOptions{Name: "ka", Role: "keyadmin"}).Secret
	peer := g.NewKey(t, wardentest.KeyOptions{Name: "peer-svc", Role: "chat-only"}) // made by the operator

	for _, target := range []string{root.ID, peer.ID} {
		res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+target+"/revoke", keyadmin, "")
		if res.StatusCode != http.StatusForbidden || errorCode(b) != "key_scope_exceeded" {
			t.Errorf("keyadmin revokes %s: %s %s, want 403 key_scope_exceeded", target, res.Status, b)
		}
	}
	if res, b := send(t, g, http.MethodGet, "/v1/models", root.Secret, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the full admin's key after the refused revoke: %s %s", res.Status, b)
	}

	// Its own key it may list and revoke; nothing else shows.
	own, _ := createKey(t, g, keyadmin, `{"name":"own","role":"chat-only"}`, http.StatusCreated)
	listed := listKeys(t, g, keyadmin)
	if len(listed) != 1 || listed[own] == nil {
		t.Fatalf("keyadmin lists %d keys %v, want only its own %s", len(listed), keysOf(listed), own)
	}
	if res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+own+"/revoke", keyadmin, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("keyadmin revokes its own key: %s %s", res.Status, b)
	}
	// The full administrator sees and manages every key within its reach.
	if n := len(listKeys(t, g, root.Secret)); n != 4 {
		t.Fatalf("the full admin lists %d keys, want 4", n)
	}
	if res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+peer.ID+"/revoke", root.Secret, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the full admin revokes a key: %s %s", res.Status, b)
	}
}

func keysOf(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestFinding3ScopeEveryDimension: a key minted by a fenced, rate-limited,
// expiring key administrator was unfenced, unlimited and never expired.
// Now a dimension the request leaves open takes the maker's bound, and
// one set beyond it is refused; the bounds hold on the data plane.
func TestFinding3ScopeEveryDimension(t *testing.T) {
	t.Parallel()
	g := keyGateway(t)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	maker := g.NewKey(t, wardentest.KeyOptions{Name: "fenced", Role: "fenced", ExpiresAt: expires}).Secret

	for body, why := range map[string]string{
		`{"name":"x","role":"wide","models":["gpt-*"],"ip_allow":["0.0.0.0/0"]}`:   "addresses",
		`{"name":"x","role":"wide","models":["gpt-*"],"ip_allow":["127.0.0.0/7"]}`: "addresses",
		`{"name":"x","role":"wide","models":["gpt-*"],"rpm":51}`:                   "rpm",
		`{"name":"x","role":"wide","models":["gpt-*"],"tpm":100001}`:               "tpm",
		`{"name":"x","role":"wide","models":["gpt-*"],"tokens_per_day":500001}`:    "tokens_per_day",
		`{"name":"x","role":"wide","models":["gpt-*"],"max_tokens":51}`:            "max_tokens",
		`{"name":"x","role":"wide","models":["gpt-*"],"expires_in":"2h"}`:          "expire",
		`{"name":"x","role":"wide","models":["*"]}`:                                "models",
		`{"name":"x","role":"wide","models":["gpt-*","other"]}`:                    "models",
	} {
		res, b := send(t, g, http.MethodPost, "/admin/v1/keys", maker, body)
		if res.StatusCode != http.StatusForbidden || errorCode(b) != "key_scope_exceeded" || !strings.Contains(string(b), why) {
			t.Errorf("create %s: %s %s, want 403 key_scope_exceeded naming %s", body, res.Status, b, why)
		}
	}
	id, key := createKey(t, g, maker, `{"name":"open","role":"wide","models":["gpt-*"]}`, http.StatusCreated)
	k := listKeys(t, g, maker)[id]
	if k == nil {
		t.Fatalf("the maker does not list the key it made")
	}
	for field, want := range map[string]any{
		"ip_allow": []any{"127.0.0.0/8"}, "rpm": 50.0, "tpm": 100000.0, "tokens_per_day": 500000.0, "max_tokens": 50.0,
		"expires_at": expires.Format(time.RFC3339),
	} {
		if got, _ := json.Marshal(k[field]); string(got) != string(must(json.Marshal(want))) {
			t.Errorf("the key's %s is %s, want the maker's %s", field, got, must(json.Marshal(want)))
		}
	}
	// On the data plane: the maker's max_tokens and fence bind the key.
	if res, b := chatAs(t, g, key, "gpt-test", `,"max_tokens":100`); res.StatusCode != http.StatusBadRequest {
		t.Errorf("max_tokens 100 with the minted key: %s %s, want 400 (the maker's limit is 50)", res.Status, b)
	}
	if res, b := chatAs(t, g, key, "gpt-test", "", "X-Forwarded-For", "198.51.100.7"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the minted key from outside the maker's fence: %s %s, want 403", res.Status, b)
	}
	if res, b := chatAs(t, g, key, "gpt-test", ""); res.StatusCode != http.StatusOK {
		t.Errorf("the minted key within its scope: %s %s", res.Status, b)
	}

	// Models left open are the maker's too; narrower settings are kept.
	id, _ = createKey(t, g, maker, `{"name":"open2","role":"wide"}`, http.StatusCreated)
	if got := must(json.Marshal(listKeys(t, g, maker)[id]["models"])); string(got) != `["gpt-*"]` {
		t.Errorf("the key's models are %s, want the maker's [\"gpt-*\"]", got)
	}
	id, _ = createKey(t, g, maker, `{"name":"narrow","role":"wide","models":["gpt-test"],"ip_allow":["127.0.0.1"],"rpm":5,"max_tokens":20,"expires_in":"10m"}`, http.StatusCreated)
	k = listKeys(t, g, maker)[id]
	if k["rpm"] != 5.0 || k["max_tokens"] != 20.0 || k["tpm"] != 100000.0 {
		t.Errorf("the narrow key's limits: rpm %v, max_tokens %v, tpm %v; want 5, 20 and the maker's 100000", k["rpm"], k["max_tokens"], k["tpm"])
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestFinding4GlobContainment: a maker with models ["chat-?????"] minted
// ["chat-*****"], which matches "chat-open" (four characters) too.
func TestFinding4GlobContainment(t *testing.T) {
	t.Parallel()
	g := keyGateway(t)
	maker := g.NewKey(t, wardentest.KeyOptions{Name: "globber", Role: "globber"}).Secret
	if res, b := chatAs(t, g, maker, "chat-open", ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the maker itself reaches chat-open: %s %s", res.Status, b)
	}
	for _, models := range []string{`["chat-*****"]`, `["chat-*"]`, `["chat-????*"]`, `["*-?????"]`, `["chat-?????","chat-????"]`} {
		createKey(t, g, maker, `{"name":"x","role":"wide","models":`+models+`}`, http.StatusForbidden, "models")
	}
	_, key := createKey(t, g, maker, `{"name":"ok","role":"wide","models":["chat-a????"]}`, http.StatusCreated)
	if res, b := chatAs(t, g, key, "chat-abcde", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the minted key on chat-abcde: %s %s", res.Status, b)
	}
	if res, _ := chatAs(t, g, key, "chat-open", ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the minted key reaches chat-open: %s", res.Status)
	}
}

// TestFinding10RotatePeerKey: one key administrator rotated a peer's key
// and acted as that peer unnoticed. Now only a key's creator or a full
// administrator rotates it, and every request made with a secret names,
// in its audit record's principal, who issued the secret and the record
// of that act.
func TestFinding10RotatePeerKey(t *testing.T) {
	t.Parallel()
	g := keyGateway(t)
	root := g.NewKey(t, wardentest.KeyOptions{Name: "root", Role: "admin"}).Secret
	alice := g.NewKey(t, wardentest.KeyOptions{Name: "alice", Role: "keyadmin"})
	bob := g.NewKey(t, wardentest.KeyOptions{Name: "bob", Role: "keyadmin"})
	operators := g.NewKey(t, wardentest.KeyOptions{Name: "legacy", Role: "chat-only"}) // creator unrecorded

	svc, _ := createKey(t, g, alice.Secret, `{"name":"alice-svc","role":"chat-only"}`, http.StatusCreated)
	for _, target := range []string{svc, operators.ID} {
		res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+target+"/rotate", bob.Secret, `{"grace":"0s"}`)
		if res.StatusCode != http.StatusForbidden || errorCode(b) != "key_scope_exceeded" || strings.Contains(string(b), "wdn_") {
			t.Fatalf("bob rotates %s: %s %s, want 403 key_scope_exceeded", target, res.Status, b)
		}
	}

	rotate := func(secret string) (string, string) {
		t.Helper()
		res, b := send(t, g, http.MethodPost, "/admin/v1/keys/"+svc+"/rotate", secret, `{"grace":"0s"}`)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("rotate: %s %s", res.Status, b)
		}
		var k struct{ Key string }
		json.Unmarshal(b, &k)
		return k.Key, res.Header.Get("X-Warden-Audit-Id")
	}
	newSecret, act := rotate(alice.Secret) // its creator may
	res, _ := send(t, g, http.MethodGet, "/v1/models", newSecret, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the rotated secret: %s", res.Status)
	}
	rootSecret, rootAct := rotate(root) // and a full administrator
	res2, _ := send(t, g, http.MethodGet, "/v1/models", rootSecret, "")

	log := openAuditLog(t, g, root)
	recs := log.all(t)
	for _, tt := range []struct {
		res      *http.Response
		by, act  string
		describe string
	}{
		{res, "apikey:" + alice.ID, act, "alice's rotation"},
		{res2, "", rootAct, "the full admin's rotation"},
	} {
		got := byRequest(recs, tt.res.Header.Get("X-Request-Id"))
		if len(got) != 1 {
			t.Fatalf("%d records for the request after %s", len(got), tt.describe)
		}
		var p struct {
			ID       string  `json:"id"`
			IssuedBy *string `json:"issued_by"`
			IssuedIn *string `json:"issued_in"`
		}
		if err := json.Unmarshal(got[0].Raw["principal"], &p); err != nil {
			t.Fatal(err)
		}
		if p.IssuedIn == nil || *p.IssuedIn != tt.act || tt.act == "" {
			t.Errorf("after %s the request's principal %s names act %v, want %q", tt.describe, got[0].Raw["principal"], p.IssuedIn, tt.act)
		}
		if tt.by != "" && (p.IssuedBy == nil || *p.IssuedBy != tt.by) {
			t.Errorf("after %s the request's principal %s names issuer %v, want %q", tt.describe, got[0].Raw["principal"], p.IssuedBy, tt.by)
		}
		if rot := byID(recs, tt.act); rot == nil || rot.Admin == nil || rot.Admin.Action != "keys.rotate" {
			t.Errorf("the act %q named is not a keys.rotate record", tt.act)
		}
	}
}

func byID(recs []logged, id string) *logged {
	for i := range recs {
		if recs[i].ID == id {
			return &recs[i]
		}
	}
	return nil
}
