package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/pgtest"
	"github.com/wardenhq/warden/wardentest"
)

// TestReplicasShareOneIndex: two replicas sharing a PostgreSQL store (and
// the master key, as replicas do) each write their own log under their own
// origin; the shared search index holds the records of both, each with its
// origin and leaf index, and each log verifies on its own.
func TestReplicasShareOneIndex(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	shared := func(c *config.Config) {
		c.Storage = config.Storage{Driver: "postgres", DSN: config.Secret(dsn)}
	}
	u := wardentest.NewUpstream(t)
	g1 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Configure: shared})
	g2 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Configure: func(c *config.Config) {
		shared(c)
		c.KMS.Local.KeyFile = g1.Config.KMS.Local.KeyFile
		key := filepath.Join(t.TempDir(), "replica-b.key")
		if err := auditlog.GenerateKey(key, "replica-b.test/audit"); err != nil {
			t.Fatal(err)
		}
		c.Audit.SigningKeyFile = key
	}})
	key := g1.NewKey(t, wardentest.KeyOptions{})

	call := func(g *wardentest.Gateway, method, path, body string) (*http.Response, []byte) {
		t.Helper()
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
	chat := `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`
	want := map[string]string{} // request id → origin
	for i, g := range []*wardentest.Gateway{g1, g2, g1, g2, g2} {
		res, b := call(g, "POST", "/v1/chat/completions", chat)
		if res.StatusCode != 200 || res.Header.Get("X-Warden-Audit-Index") == "" {
			t.Fatalf("request %d: %s %s", i, res.Status, b)
		}
		want[res.Header.Get("X-Request-Id")] = map[*wardentest.Gateway]string{g1: "warden.test/audit", g2: "replica-b.test/audit"}[g]
	}

	// Either replica's search sees both logs (the indexers run every 500 ms).
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, b := call(g2, "GET", "/admin/v1/audit/records?limit=1000", "")
		var page struct {
			Data []struct {
				Index     uint64 `json:"index"`
				Origin    string `json:"origin"`
				RequestID string `json:"request_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		found := 0
		for _, r := range page.Data {
			if o, ok := want[r.RequestID]; ok {
				if r.Origin != o {
					t.Fatalf("request %s indexed under %q, want %q", r.RequestID, r.Origin, o)
				}
				found++
			}
		}
		if found == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shared index holds %d of the %d chats: %s", found, len(want), b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Each log verifies with its own key, independently of the other.
	for _, g := range []*wardentest.Gateway{g1, g2} {
		l := g.Server.AuditLog()
		k, err := auditlog.LoadKey(g.Config.Audit.SigningKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var cp verify.Checkpoint
		for end := time.Now().Add(3 * time.Second); ; {
			cp, err = verify.ReadCheckpoint(ctx, verify.Dir(l.Dir()), k.Verifier)
			if err == nil && cp.Size >= 2 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s: no checkpoint covering the chats: %v", l.Origin(), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := verify.Log(ctx, verify.Dir(l.Dir()), cp, verify.Options{}); err != nil {
			t.Fatalf("%s: %v", l.Origin(), err)
		}
	}
}
