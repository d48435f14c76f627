package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestAuditSinks: every record reaches a Splunk HEC and a file as the log
// grows, with the index and origin beside the record; the admin API shows
// each sink's cursor and a lag that comes back to 0.
func TestAuditSinks(t *testing.T) {
	var mu sync.Mutex
	indexes := map[float64]bool{}
	hec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Splunk tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		dec := json.NewDecoder(r.Body)
		for {
			var ev struct {
				Event  map[string]any
				Fields map[string]any
			}
			if dec.Decode(&ev) == io.EOF {
				break
			}
			if ev.Fields["warden_kind"] == "record" {
				mu.Lock()
				indexes[ev.Fields["warden_index"].(float64)] = true
				mu.Unlock()
			}
		}
		io.WriteString(w, `{"text":"Success","code":0}`)
	}))
	defer hec.Close()
	dir := t.TempDir()
	tok := filepath.Join(dir, "tok")
	os.WriteFile(tok, []byte("tok"), 0o600)
	file := filepath.Join(dir, "audit.jsonl")
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Audit.Sinks = []config.AuditSink{
			{Name: "splunk", Type: "splunk_hec", URL: config.Secret(hec.URL + "/services/collector/event"), Token: config.Secret("file:" + tok)},
			{Name: "archive", Type: "file", Path: file},
		}
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	for range 20 {
		send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", "hi", false))
	}
	var status struct {
		Data []map[string]any
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, b := send(t, g, http.MethodGet, "/admin/v1/audit/sinks", admin, "")
		json.Unmarshal(b, &status)
		mu.Lock()
		n := len(indexes)
		mu.Unlock()
		if len(status.Data) == 2 && status.Data[0]["next_index"].(float64) >= 20 && status.Data[1]["next_index"].(float64) >= 20 && n >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sinks did not catch up: %v (HEC has %d)", status.Data, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range 20 {
		if !indexes[float64(i)] {
			t.Fatalf("record %d missing at the HEC", i)
		}
	}
	b, _ := os.ReadFile(file)
	if strings.Count(string(b), `"origin":"`+auditOrigin+`"`) < 20 || !strings.Contains(string(b), `{"index":0,`) {
		t.Fatalf("file sink:\n%.500s", b)
	}
}
