package gateway_test

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// breakLog makes the gateway's audit log fail to take records, as a full or
// failing disk would: every write fails until the repair. (Tests run as
// root here, so no permission can stop a write; the log's fault injection
// fails its writes where the disk would.)
func breakLog(t *testing.T, g *wardentest.Gateway) (repair func()) {
	t.Helper()
	waitHealth(t, g, true) // break a healthy log
	l := g.Server.AuditLog()
	l.InjectFault(errors.New("injected fault: no space left on device"))
	var once sync.Once
	repair = func() { once.Do(func() { l.InjectFault(nil) }) }
	t.Cleanup(repair)
	return repair
}

// waitHealth waits up to 1 s for the log to report itself healthy or
// failing. The log resolves a batch's records before it notes the batch's
// outcome, so a client can hear of a failure (or a recovery) a moment
// before the next request would.
func waitHealth(t *testing.T, g *wardentest.Gateway, healthy bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for (g.Server.AuditLog().Healthy() == nil) != healthy {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not report itself healthy=%v: %v", healthy, g.Server.AuditLog().Healthy())
		}
		time.Sleep(time.Millisecond)
	}
}

// failRecord sends a request whose record the broken log cannot take, and
// waits until the log reports the failure.
func failRecord(t *testing.T, g *wardentest.Gateway) {
	t.Helper()
	if res, body := send(t, g, http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "Say hello.", false)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous chat while the log fails: %s %s, want 401", res.Status, body)
	}
	waitHealth(t, g, false)
}

// wantWithheld checks a response refused because its record could not be
// written: 503 audit_unavailable with Retry-After, no index, and nothing of
// an upstream answer.
func wantWithheld(t *testing.T, res *http.Response, body []byte) {
	t.Helper()
	if res.StatusCode != http.StatusServiceUnavailable || errorCode(body) != "audit_unavailable" {
		t.Fatalf("%s %s, want 503 audit_unavailable", res.Status, body)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if idx := res.Header.Get("X-Warden-Audit-Index"); idx != "" {
		t.Errorf("X-Warden-Audit-Index %q on an exchange whose record failed", idx)
	}
	if bytes.Contains(body, []byte(wardentest.DefaultContent)) || bytes.Contains(body, []byte("Hello")) {
		t.Errorf("the upstream's answer was released: %s", body)
	}
}

// waitServed sends chats until one is answered, for up to 2 s, and returns
// it and how many were refused before.
func waitServed(t *testing.T, g *wardentest.Gateway, secret string) (*http.Response, int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for refused := 0; ; refused++ {
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", secret, chatBody("gpt-test", "Say hello.", false))
		if res.StatusCode == http.StatusOK {
			return res, refused
		}
		if errorCode(body) != "audit_unavailable" {
			t.Fatalf("%s %s while the log recovers", res.Status, body)
		}
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("503 audit_unavailable without Retry-After (X-Warden-Audit-Index %q)", res.Header.Get("X-Warden-Audit-Index"))
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused after 2s (%d refusals)", refused+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditFailClosed: with fail_mode closed (the default), no answer is
// released without its record. When the log fails, the exchange in flight
// is withheld (503 audit_unavailable, or for a stream an error event and no
// [DONE]); once the log is known to fail, requests are refused before
// anything reaches the upstream; once the log recovers, requests are
// served again and the log still verifies.
func TestAuditFailClosed(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: auditRoles()})
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	calls := func() int { return len(u.Requests()) }
	served := func(t *testing.T) {
		t.Helper()
		res, refused := waitServed(t, g, chatOnly)
		log.released(t, res)
		t.Logf("served again after %d refusals", refused)
	}
	if res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", false)); res.StatusCode != 200 {
		t.Fatalf("before: %s", res.Status)
	}

	t.Run("answer withheld, then nothing forwarded", func(t *testing.T) {
		repair := breakLog(t, g)
		// The log cannot know it fails before it tries: the first exchange
		// is forwarded (design §3.2), but its answer is not released.
		n := calls()
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", false))
		wantWithheld(t, res, body)
		if calls() != n+1 {
			t.Fatalf("upstream calls %d → %d", n, calls())
		}
		waitHealth(t, g, false)
		// Now it is known to fail: nothing reaches the upstream.
		n = calls()
		for _, c := range []struct{ name, method, path, secret, body string }{
			{"chat", http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", false)},
			{"stream", http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", true)},
			{"completion", http.MethodPost, "/v1/completions", admin, `{"model": "gpt-other", "prompt": "Say hello."}`},
			{"embedding", http.MethodPost, "/v1/embeddings", admin, `{"model": "embed-test", "input": "a"}`},
			{"models list", http.MethodGet, "/v1/models", chatOnly, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := send(t, g, c.method, c.path, c.secret, c.body)
				wantWithheld(t, res, body)
				if bytes.Contains(body, []byte("data:")) {
					t.Errorf("a stream was started: %s", body)
				}
			})
		}
		if calls() != n {
			t.Errorf("the upstream received %d requests while the log was known to fail", calls()-n)
		}
		repair()
		served(t)
	})

	t.Run("refusals stay refusals", func(t *testing.T) {
		// A refusal releases nothing, so it is answered as what it is even
		// when its record cannot be written (pipeline.Serve): turning it
		// into 503 + Retry-After would have clients (SDKs retry 5xx) retry
		// requests that can never succeed.
		repair := breakLog(t, g)
		failRecord(t, g)
		n := calls()
		for _, c := range []struct {
			name, secret, body string
			status             int
			code               string
		}{
			{"no credentials", "", chatBody("gpt-test", "Say hello.", false), 401, "invalid_api_key"},
			{"bad key", "wdn_not-a-key", chatBody("gpt-test", "Say hello.", false), 401, "invalid_api_key"},
			{"not JSON", chatOnly, `{"model":`, 400, "invalid_request"},
			{"unknown model", chatOnly, chatBody("no-such-model", "Say hello.", false), 404, "model_not_found"},
			{"model not allowed", chatOnly, chatBody("gpt-other", "Say hello.", false), 403, "model_not_allowed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := send(t, g, http.MethodPost, "/v1/chat/completions", c.secret, c.body)
				if res.StatusCode != c.status || errorCode(body) != c.code {
					t.Errorf("%s %s, want %d %s", res.Status, body, c.status, c.code)
				}
				if res.Header.Get("X-Warden-Audit-Index") != "" || res.Header.Get("Retry-After") != "" {
					t.Errorf("X-Warden-Audit-Index %q, Retry-After %q", res.Header.Get("X-Warden-Audit-Index"), res.Header.Get("Retry-After"))
				}
			})
		}
		if calls() != n {
			t.Error("a refusal reached the upstream")
		}
		repair()
		served(t)
	})

	t.Run("stream cut without [DONE]", func(t *testing.T) {
		repair := breakLog(t, g)
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", true))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: the stream should have started before the log failed", res.Status, body)
		}
		lines := sseLines(body)
		last := lines[len(lines)-1]
		if bytes.Contains(body, []byte("[DONE]")) || bytes.Contains(body, []byte(auditComment)) ||
			!strings.HasPrefix(last, "data: ") || errorCode([]byte(strings.TrimPrefix(last, "data: "))) != "audit_unavailable" {
			t.Errorf("want the stream to end with an audit_unavailable error event, no index and no [DONE]:\n%s", body)
		}
		repair()
		served(t)
	})

	t.Run("SDK sees the cut stream as an error", func(t *testing.T) {
		repair := breakLog(t, g)
		c := newClient(g, chatOnly)
		s := c.Chat.Completions.NewStreaming(testContext(t), chatParams("gpt-test"))
		for s.Next() {
		}
		var se *ssestream.StreamError
		if err := s.Err(); !errors.As(err, &se) || !strings.Contains(err.Error(), "audit_unavailable") {
			t.Errorf("stream error %v, want the audit_unavailable error event", err)
		}
		s.Close()
		repair()
		served(t)
	})
	recs := log.all(t)
	t.Logf("resilience: audit log failed 4 times with fail_mode closed: no answer released without its record, nothing forwarded once known; log verified (%d records)", len(recs))
}

// TestAuditFailClosedAdminActs: an administrative act is a change of state
// that must not happen unrecorded. Once the log is known to fail (as in
// TestAuditFailClosed, where inference is then refused before it is
// forwarded), an admin act must be refused before it is done, not done and
// then answered 503.
func TestAuditFailClosedAdminActs(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	victim := g.NewKey(t, wardentest.KeyOptions{Name: "victim", Role: "chat-only"})
	if res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", victim.Secret, chatBody("gpt-test", "Say hello.", false)); res.StatusCode != 200 {
		t.Fatalf("before: %s", res.Status)
	}
	ctx := testContext(t)
	keyNamed := func(name string) (found, revoked bool) {
		keys, err := g.Store.ListKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.Name == name {
				return true, k.Revoked()
			}
		}
		return false, false
	}

	repair := breakLog(t, g)
	failRecord(t, g)

	res, body := send(t, g, http.MethodPost, "/admin/v1/keys", admin, `{"name": "ghost", "role": "admin"}`)
	wantWithheld(t, res, body)
	if found, _ := keyNamed("ghost"); found {
		t.Error("keys.create: the key was created although its record could not be written (answered 503)")
	}
	res, body = send(t, g, http.MethodPost, "/admin/v1/keys/"+victim.ID+"/revoke", admin, "")
	wantWithheld(t, res, body)
	if _, revoked := keyNamed("victim"); revoked {
		t.Error("keys.revoke: the key was revoked although its record could not be written (answered 503)")
	}

	repair()
	waitServed(t, g, admin)
	log.all(t)
}

// TestAuditReadyAfterRecovery: /readyz reports a log that cannot take
// records (so a load balancer stops sending traffic), and must report ready
// again once the log can: a gateway taken out of rotation gets no request
// whose record would prove the log healthy again.
func TestAuditReadyAfterRecovery(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	ready := func() int {
		res, _ := send(t, g, http.MethodGet, "/readyz", "", "")
		return res.StatusCode
	}
	if res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "Say hello.", false)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("before: %s", res.Status)
	}
	if got := ready(); got != http.StatusOK {
		t.Fatalf("/readyz %d before the log fails", got)
	}
	repair := breakLog(t, g)
	failRecord(t, g)
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d while the log fails, want 503", got)
	}
	repair()
	deadline := time.Now().Add(3 * time.Second)
	for ready() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still 503 3s after the log could take records again, with no traffic to prove it (the log's failure is only cleared by a batch that succeeds)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAuditFailOpen: with fail_mode open, requests are served while the log
// fails, without an index (their records are lost, and logged as such);
// once it recovers, records and indexes come back.
func TestAuditFailOpen(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Upstream: u, Roles: auditRoles(),
		Configure: func(c *config.Config) { c.Audit.FailMode = config.FailOpen },
	})
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	chat := func(t *testing.T, stream bool) (*http.Response, []byte) {
		t.Helper()
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", stream))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s", res.Status, body)
		}
		return res, body
	}
	log.released(t, first(chat(t, false)))

	repair := breakLog(t, g)
	n := len(u.Requests())
	for range 3 { // the log knows it fails after the first
		res, body := chat(t, false)
		if !bytes.Contains(body, []byte(wardentest.DefaultContent)) {
			t.Errorf("answer %s", body)
		}
		if !strings.HasPrefix(res.Header.Get("X-Warden-Audit-Id"), "aud_") || res.Header.Get("X-Warden-Audit-Index") != "" {
			t.Errorf("X-Warden-Audit-Id %q, X-Warden-Audit-Index %q; want an id and no index",
				res.Header.Get("X-Warden-Audit-Id"), res.Header.Get("X-Warden-Audit-Index"))
		}
	}
	_, body := chat(t, true)
	if lines := sseLines(body); bytes.Contains(body, []byte(auditComment)) || lines[len(lines)-1] != "data: [DONE]" || streamedText(t, body) != wardentest.DefaultContent {
		t.Errorf("stream while the log fails, want the whole answer, [DONE] and no index:\n%s", body)
	}
	if res, _ := send(t, g, http.MethodGet, "/v1/models", chatOnly, ""); res.StatusCode != http.StatusOK {
		t.Errorf("models list: %s", res.Status)
	}
	if res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "Say hello.", false)); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a refusal while the log fails: %s, want it still refused", res.Status)
	}
	if got := len(u.Requests()) - n; got != 4 {
		t.Errorf("the upstream received %d requests, want 4", got)
	}
	if !strings.Contains(g.Logs(), "audit record not written") {
		t.Error("the lost records are not logged")
	}

	repair()
	res, _ := chat(t, false)
	log.released(t, res) // at once: fail-open never refuses, and this batch succeeds
	recs := log.all(t)
	t.Logf("resilience: audit log failed with fail_mode open: 4 requests served without an index, the loss logged; log verified (%d records)", len(recs))
}

func first[A, B any](a A, _ B) A { return a }
