package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
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

// TestTwoReplicas: two gateways sharing PostgreSQL (and the master key, as
// replicas do) and Redis, each configured as an operator would. A key made
// through one replica's admin API works at the other; one rate limit holds
// across both; a revocation at one is refused at the other on the next
// request; each replica writes its own log under its own origin and each
// log verifies on its own; either replica's search sees the records of
// both, refusals included.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	if os.Getenv("WARDEN_TEST_SKIP_REDIS") == "1" {
		t.Skip("WARDEN_TEST_SKIP_REDIS=1")
	}
	dsn := pgtest.DSN(t)
	prefix := fmt.Sprintf("warden-replicas-%d:", time.Now().UnixNano())
	shared := func(c *config.Config) {
		c.Storage = config.Storage{Driver: "postgres", DSN: config.Secret(dsn)}
		c.RateLimit = config.RateLimit{Driver: "redis", URL: "redis://127.0.0.1:6379/0", Prefix: prefix}
	}
	const rpm = 6
	roles := limitedRoles(config.Limits{RequestsPerMinute: rpm})
	u := wardentest.NewUpstream(t)
	g1 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: roles, Configure: shared})
	g2 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: roles, Configure: func(c *config.Config) {
		shared(c)
		c.KMS.Local.KeyFile = g1.Config.KMS.Local.KeyFile
		key := filepath.Join(t.TempDir(), "replica-b.key")
		if err := auditlog.GenerateKey(key, "replica-b.test/audit"); err != nil {
			t.Fatal(err)
		}
		c.Audit.SigningKeyFile = key
	}})
	origin := map[*wardentest.Gateway]string{g1: "warden.test/audit", g2: "replica-b.test/audit"}
	admin := g1.NewKey(t, wardentest.KeyOptions{})

	call := func(g *wardentest.Gateway, secret, method, path, body string) (*http.Response, []byte) {
		t.Helper()
		return send(t, g, method, path, secret, body)
	}
	newKey := func(g *wardentest.Gateway, role string) (id, secret string) {
		t.Helper()
		res, b := call(g, admin.Secret, "POST", "/admin/v1/keys", `{"name":"replica","role":"`+role+`"}`)
		var k struct{ ID, Key string }
		if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &k) != nil {
			t.Fatalf("create key at %s: %s %s", origin[g], res.Status, b)
		}
		return k.ID, k.Key
	}
	want := map[string]string{} // request id → origin of the record
	chat := func(g *wardentest.Gateway, secret string, status int, code string) {
		t.Helper()
		res, b := call(g, secret, "POST", "/v1/chat/completions", `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`)
		if res.StatusCode != status || (code != "" && !strings.Contains(string(b), `"code":"`+code+`"`)) {
			t.Fatalf("chat at %s: %s %s; want %d %s", origin[g], res.Status, b, status, code)
		}
		if res.Header.Get("X-Warden-Audit-Index") == "" {
			t.Fatalf("chat at %s: %s without an audit index", origin[g], res.Status)
		}
		want[res.Header.Get("X-Request-Id")] = origin[g]
	}

	// A limited key made at replica A; its budget is spent alternately at
	// both and then refused at both.
	_, limited := newKey(g1, "limited")
	for i := range rpm {
		chat([]*wardentest.Gateway{g2, g1}[i%2], limited, 200, "")
	}
	chat(g1, limited, http.StatusTooManyRequests, "rate_limit_exceeded")
	chat(g2, limited, http.StatusTooManyRequests, "rate_limit_exceeded")

	// A key made at replica B works at A until B revokes it.
	id, other := newKey(g2, "chat-only")
	chat(g1, other, 200, "")
	if res, b := call(g2, admin.Secret, "POST", "/admin/v1/keys/"+id+"/revoke", ""); res.StatusCode != 200 {
		t.Fatalf("revoke at B: %s %s", res.Status, b)
	}
	chat(g1, other, http.StatusUnauthorized, "")
	chat(g2, other, http.StatusUnauthorized, "")

	// Either replica's search sees both logs (the indexers run every 100 ms).
	deadline := time.Now().Add(5 * time.Second)
	for _, g := range []*wardentest.Gateway{g2, g1} {
		for {
			_, b := call(g, admin.Secret, "GET", "/admin/v1/audit/records?limit=1000", "")
			var page struct {
				Data []struct {
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
				t.Fatalf("search at %s finds %d of the %d requests: %s", origin[g], found, len(want), b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Each log verifies with its own key, independently of the other.
	checked := 0
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
			if err == nil && cp.Size >= 6 {
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
		checked += int(cp.Size)
	}
	t.Logf("resilience: 2 replicas on one PostgreSQL and one Redis; %d requests, a shared limit of %d/min, a revocation seen by both; both logs verified (%d records), search sees all", len(want), rpm, checked)
}
