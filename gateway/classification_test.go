package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestClassificationRecorded: a model's classification is in the records
// of its requests.
func TestClassificationRecorded(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{
			{Name: "public", Store: config.StoreHashOnly},
			{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)},
		}
		c.Models[0].Classification = "confidential" // gpt-test
	}})
	key := g.NewKey(t, wardentest.KeyOptions{})
	res, _ := send(t, g, "POST", "/v1/chat/completions", key.Secret, `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`)
	idx := res.Header.Get("X-Warden-Audit-Index")
	if res.StatusCode != 200 || idx == "" {
		t.Fatalf("chat: %s, index %q", res.Status, idx)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, b := send(t, g, "GET", "/admin/v1/audit/proof/"+idx, key.Secret, "")
		if res.StatusCode == 200 {
			var p struct {
				Record struct {
					Classification *string `json:"classification"`
				} `json:"record"`
			}
			if err := json.Unmarshal(b, &p); err != nil || p.Record.Classification == nil || *p.Record.Classification != "confidential" {
				t.Fatalf("record: %s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("proof: %s %s", res.Status, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
