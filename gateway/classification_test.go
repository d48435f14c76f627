package gateway_test

import (
	"encoding/json"
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
