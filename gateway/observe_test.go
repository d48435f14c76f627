package gateway_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

func get(t *testing.T, g *wardentest.Gateway, path string) (int, string) {
	t.Helper()
	res, err := g.Client.Get("http://" + g.Addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", path)
	}
	return res.StatusCode, string(b)
}

// TestObservability: health, readiness and metrics answer; metrics count
// requests by endpoint, model, decision and status; neither metrics nor logs
// carry prompts, responses or keys.
func TestObservability(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	c := newClient(g, key.Secret)
	const marker = "prompt-marker-4111111111111111"
	ctx := testContext(t)
	if _, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-test", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(marker)},
	}); err != nil {
		t.Fatal(err)
	}
	chat(ctx, c, "gpt-other")                                       // 403
	chat(ctx, newClient(g, "wdn_"+marker), "gpt-test")              // 401 malformed
	chat(ctx, newClient(g, auth.NewKey()), "no-such-model-"+marker) // 401 unknown key

	if code, body := get(t, g, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, _ := get(t, g, "/readyz"); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
	code, metrics := get(t, g, "/metrics")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`warden_requests_total{decision="allow",endpoint="chat.completions",model="gpt-test",status="200"} 1`,
		`warden_requests_total{decision="deny",endpoint="chat.completions",model="gpt-other",status="403"} 1`,
		`warden_auth_failures_total{reason="auth.malformed_key"} 1`,
		`warden_auth_failures_total{reason="auth.unknown_key"} 1`,
		`warden_upstream_duration_seconds_count{model="gpt-test"} 1`,
		`warden_request_duration_seconds_count{endpoint="chat.completions"} 4`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	logs := g.Logs()
	for _, secret := range []string{marker, key.Secret, "no-such-model"} {
		if strings.Contains(metrics, secret) || strings.Contains(logs, secret) {
			t.Errorf("%q leaked into metrics or logs", secret)
		}
	}

	// Readiness follows the store.
	g.Store.Close()
	if code, _ := get(t, g, "/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the store closed: %d", code)
	}
	if code, _ := get(t, g, "/healthz"); code != 200 {
		t.Fatalf("healthz with the store closed: %d", code)
	}
}

// TestMetricsListen: with server.metrics_listen, /metrics is served there and
// not on the public listener.
func TestMetricsListen(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Configure: func(c *config.Config) { c.Server.MetricsListen = addr },
	})
	if code, _ := get(t, g, "/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener: %d", code)
	}
	var res *http.Response
	for range 100 { // the metrics listener starts with Serve
		if res, err = http.Get("http://" + addr + "/metrics"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("metrics listener: %d", res.StatusCode)
	}
}
