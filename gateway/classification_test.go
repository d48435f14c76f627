package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
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
	do := func(method, path, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, strings.TrimSuffix(g.URL, "/v1")+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		res, err := g.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, _ := do("POST", "/v1/chat/completions", `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`)
	idx := res.Header.Get("X-Warden-Audit-Index")
	if res.StatusCode != 200 || idx == "" {
		t.Fatalf("chat: %s, index %q", res.Status, idx)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, b := do("GET", "/admin/v1/audit/proof/"+idx, "")
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
