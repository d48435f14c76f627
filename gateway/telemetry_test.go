package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/telemetry"
	"github.com/wardenhq/warden/wardentest"
)

// otlpCollector is an OpenTelemetry collector's OTLP/HTTP JSON endpoint:
// it decodes every span it is sent.
type otlpCollector struct {
	mu    sync.Mutex
	raw   []string
	spans []otlpSpan
}

type otlpSpan struct {
	TraceID, SpanID, ParentSpanID, Name string
	Kind                                int
	Attributes                          []struct {
		Key   string
		Value struct {
			StringValue string
			IntValue    string
		}
	}
	Status struct{ Code int }
}

func (s otlpSpan) attr(k string) string {
	for _, a := range s.Attributes {
		if a.Key == k {
			return a.Value.StringValue + a.Value.IntValue
		}
	}
	return ""
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req struct {
		ResourceSpans []struct{ ScopeSpans []struct{ Spans []otlpSpan } }
	}
	if r.URL.Path != "/v1/traces" || json.Unmarshal(b, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw = append(c.raw, string(b))
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
}

func (c *otlpCollector) wait(t *testing.T, n int) ([]otlpSpan, string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c.mu.Lock()
		if len(c.spans) >= n {
			defer c.mu.Unlock()
			return append([]otlpSpan(nil), c.spans...), strings.Join(c.raw, "\n")
		}
		c.mu.Unlock()
	}
	t.Fatalf("the collector did not get %d spans", n)
	return nil, ""
}

// TestTraces: with telemetry.otlp, a chat completion is traced as a server
// span continuing the client's traceparent and a client span for the
// upstream call, whose traceparent the upstream receives; the spans carry
// the GenAI conventions' attributes (operation, model, token usage) and
// nothing the client or the model wrote; /metrics counts the tokens by
// endpoint and model.
func TestTraces(t *testing.T) {
	t.Parallel()
	col := &otlpCollector{}
	cs := httptest.NewServer(col)
	defer cs.Close()
	token := filepath.Join(t.TempDir(), "otlp-token")
	if err := os.WriteFile(token, []byte("Bearer otlp-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Telemetry.OTLP = &config.OTLP{Endpoint: cs.URL, Headers: map[string]config.Secret{"Authorization": config.Secret("file:" + token)}}
	}})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	const marker = "Summarise the contract for jane@example.com"
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/chat/completions", strings.NewReader(chatBody("gpt-test", marker, false)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Traceparent", parent)
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatal(res.Status)
	}
	g.Server.FlushTraces(t.Context())
	spans, raw := col.wait(t, 2)
	var server, client otlpSpan
	for _, s := range spans {
		switch s.Kind {
		case telemetry.KindServer:
			server = s
		case telemetry.KindClient:
			client = s
		}
	}
	if server.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || server.ParentSpanID != "00f067aa0ba902b7" || server.Name != "chat gpt-test" ||
		server.attr("gen_ai.operation.name") != "chat" || server.attr("gen_ai.request.model") != "gpt-test" ||
		server.attr("gen_ai.usage.input_tokens") != "5" || server.attr("gen_ai.usage.output_tokens") != "4" ||
		server.attr("http.response.status_code") != "200" || server.attr("warden.decision") != "allow" || server.attr("warden.audit.index") == "" {
		t.Errorf("server span %+v", server)
	}
	if client.TraceID != server.TraceID || client.ParentSpanID != server.SpanID || client.attr("gen_ai.request.model") != "upstream-model" ||
		client.attr("server.address") != "127.0.0.1" || client.attr("gen_ai.provider.name") != "openai" {
		t.Errorf("client span %+v", client)
	}
	up, _ := g.Upstream.LastRequest()
	if got := up.Header.Get("Traceparent"); got != "00-"+client.TraceID+"-"+client.SpanID+"-01" {
		t.Errorf("the upstream got traceparent %q, want the client span's", got)
	}
	for _, secret := range []string{"jane@example.com", "Summarise", key, "otlp-secret"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the traces carry %q", secret)
		}
	}
	_, metrics := get(t, g, "/metrics")
	for _, want := range []string{`warden_tokens_total{endpoint="chat.completions",kind="input",model="gpt-test"} 5`, `warden_tokens_total{endpoint="chat.completions",kind="output",model="gpt-test"} 4`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestTelemetryConfig: the endpoint must be an http(s) URL without
// credentials, and a header that carries a credential must be a reference.
func TestTelemetryConfig(t *testing.T) {
	c := &config.Config{Telemetry: config.Telemetry{OTLP: &config.OTLP{Endpoint: "collector:4318?token=x",
		Headers: map[string]config.Secret{"Authorization": "Bearer inline", "X-Scope-OrgID": "tenant-1", "bad name": "x"}, Timeout: -1}}}
	var got []string
	for _, p := range c.Validate() {
		if strings.HasPrefix(p.Path, "telemetry.") {
			got = append(got, p.Path)
		}
	}
	want := "telemetry.otlp.endpoint telemetry.otlp.headers.Authorization telemetry.otlp.headers.bad name telemetry.otlp.timeout"
	if strings.Join(slices.Sorted(slices.Values(got)), " ") != want {
		t.Errorf("problems at %v, want %s", got, want)
	}
}
