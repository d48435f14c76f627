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

// TestClassificationRecorded: a model's classification is in the records
// of its requests, and store: none leaves the content hashes out.
func TestClassificationRecorded(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{
			{Name: "public", Store: config.StoreNone},
			{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)},
		}
		c.Models[0].Classification = "confidential" // gpt-test
		c.Models[1].Classification = "public"       // gpt-other
	}})
	key := g.NewKey(t, wardentest.KeyOptions{})
	for _, tt := range []struct {
		model, class string
		hashes       bool
	}{{"gpt-test", "confidential", true}, {"gpt-other", "public", false}} {
		res, _ := send(t, g, "POST", "/v1/chat/completions", key.Secret, `{"model":"`+tt.model+`","messages":[{"role":"user","content":"hi"}]}`)
		idx := res.Header.Get("X-Warden-Audit-Index")
		if res.StatusCode != 200 || idx == "" {
			t.Fatalf("chat: %s, index %q", res.Status, idx)
		}
		var rec struct {
			Classification *string `json:"classification"`
			PromptHash     *string `json:"prompt_hash"`
			ResponseHash   *string `json:"response_hash"`
		}
		for deadline := time.Now().Add(5 * time.Second); ; {
			res, b := send(t, g, "GET", "/admin/v1/audit/proof/"+idx, key.Secret, "")
			if res.StatusCode == 200 {
				var p struct {
					Record json.RawMessage `json:"record"`
				}
				if json.Unmarshal(b, &p) != nil || json.Unmarshal(p.Record, &rec) != nil {
					t.Fatalf("proof: %s", b)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("proof: %s %s", res.Status, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if rec.Classification == nil || *rec.Classification != tt.class {
			t.Errorf("%s: classification %v, want %s", tt.model, rec.Classification, tt.class)
		}
		if got := rec.PromptHash != nil && rec.ResponseHash != nil; got != tt.hashes {
			t.Errorf("%s (store %s): content hashes present = %v", tt.model, tt.class, got)
		}
	}
}

// TestClassificationRaised: a role's classification and the request's
// X-Warden-Classification raise a model's, and a request cannot lower it.
func TestClassificationRaised(t *testing.T) {
	t.Parallel()
	roles := wardentest.DefaultRoles()
	roles[1].Classification = "internal" // chat-only
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: roles, Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{
			{Name: "public", Store: config.StoreHashOnly},
			{Name: "internal", Store: config.StoreHashOnly},
			{Name: "restricted", Store: config.StoreNone},
		}
		c.Models[0].Classification = "public" // gpt-test
	}})
	chat := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	body := `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`
	classOf := func(secret, header string) (int, string) {
		req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		if header != "" {
			req.Header.Set("X-Warden-Classification", header)
		}
		res, err := g.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		idx := res.Header.Get("X-Warden-Audit-Index")
		if res.StatusCode != 200 {
			return res.StatusCode, ""
		}
		for deadline := time.Now().Add(5 * time.Second); ; {
			pres, b := send(t, g, "GET", "/admin/v1/audit/proof/"+idx, admin, "")
			if pres.StatusCode == 200 {
				var p struct {
					Record struct {
						Classification string `json:"classification"`
					} `json:"record"`
				}
				json.Unmarshal(b, &p)
				return 200, p.Record.Classification
			}
			if time.Now().After(deadline) {
				t.Fatalf("proof %s: %s", idx, pres.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, tt := range []struct {
		name, secret, header string
		status               int
		class                string
	}{
		{"the model's", admin, "", 200, "public"},
		{"raised by the role", chat, "", 200, "internal"},
		{"raised by the request", chat, "restricted", 200, "restricted"},
		{"lowered by the request", chat, "public", 400, ""},
		{"unknown", admin, "secret", 400, ""},
	} {
		if status, class := classOf(tt.secret, tt.header); status != tt.status || class != tt.class {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, class, tt.status, tt.class)
		}
	}
}
