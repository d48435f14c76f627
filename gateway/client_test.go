package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestStalledClientIsCutOff: a client that requests a stream and never
// reads it cannot hold the stream (and its upstream) open: once a write has
// been blocked for write_stall, the exchange ends, logged as aborted with
// the client gone.
func TestStalledClientIsCutOff(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	chunks := make([]string, 4000) // ~16 MB: more than the socket buffers hold
	for i := range chunks {
		chunks[i] = strings.Repeat("x", 4096)
	}
	u.SetStream(chunks, 0)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Upstream:  u,
		Configure: func(c *config.Config) { c.Server.Timeouts.WriteStall = config.Duration(200 * time.Millisecond) },
	})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	conn, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	body := `{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		key.Secret, len(body), body)
	// Never read.
	rec := g.AccessLogWhere(t, func(r map[string]any) bool { return r["client_gone"] == true })
	if rec["aborted"] != true || rec["status"] != float64(200) {
		t.Fatalf("access log %v, want an aborted 200 stream", rec)
	}
}

// TestUpstreamInformationalResponses: a 1xx from the upstream is not relayed
// (its headers would bypass scrubbing), the final response keeps Warden's
// X-Request-Id, and the recorded status is the final one. The client's
// Expect header is not forwarded.
func TestUpstreamInformationalResponses(t *testing.T) {
	t.Parallel()
	sawExpect := make(chan string, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawExpect <- r.Header.Get("Expect")
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Set-Cookie", "upstream_session=early")
		w.Header().Set("X-Ratelimit-Remaining-Tokens", "7")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`)
	}))
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1"}}},
	})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	var informational []int
	ctx := httptrace.WithClientTrace(testContext(t), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error { informational = append(informational, code); return nil },
	})
	req, _ := http.NewRequestWithContext(ctx, "POST", g.URL+"/chat/completions",
		strings.NewReader(`{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Expect", "100-continue")
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if got := <-sawExpect; got != "" {
		t.Errorf("upstream received Expect: %q", got)
	}
	for _, c := range informational {
		if c == http.StatusEarlyHints {
			t.Error("the upstream's 103 reached the client")
		}
	}
	id := res.Header.Get("X-Request-Id")
	if res.StatusCode != 200 || id == "" || res.Header.Get("Set-Cookie") != "" || res.Header.Get("X-Ratelimit-Remaining-Tokens") != "" {
		t.Fatalf("final response %d, headers %v", res.StatusCode, res.Header)
	}
	if rec := g.AccessLog(t, id); rec["status"] != float64(200) {
		t.Fatalf("access log status %v, want 200", rec["status"])
	}
}

// TestAbandonedRequestIsNotAnOK: a client that gives up before the upstream
// answers is recorded with no status (not 200) and as gone.
func TestAbandonedRequestIsNotAnOK(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	u.SetDelay(5 * time.Second)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", g.URL+"/chat/completions",
		strings.NewReader(`{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	if res, err := g.Client.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request was answered although the upstream is slow")
	}
	rec := g.AccessLogWhere(t, func(r map[string]any) bool { return r["client_gone"] == true })
	if rec["status"] != float64(0) || rec["decision"] != "allow" {
		t.Fatalf("access log %v, want status 0 and the decision that was taken", rec)
	}
}

// TestUpstreamURLQuery: the query of upstream.url (Azure's api-version) is
// sent; the client's query string and Content-Encoding are not.
func TestUpstreamURLQuery(t *testing.T) {
	t.Parallel()
	seen := make(chan *http.Request, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[]}`)
	}))
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/openai/deployments/x?api-version=2024-10-21"}}},
	})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "admin"})
	post := func(header http.Header) int {
		req, _ := http.NewRequestWithContext(testContext(t), "POST", g.URL+"/embeddings?api-version=evil&key=x",
			strings.NewReader(`{"model":"gpt-test","input":"hi"}`))
		req.Header = header
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		res, err := g.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(http.Header{}); code != 200 {
		t.Fatalf("status %d", code)
	}
	r := <-seen
	if r.URL.Path != "/openai/deployments/x/embeddings" || r.URL.RawQuery != "api-version=2024-10-21" {
		t.Fatalf("upstream saw %s?%s", r.URL.Path, r.URL.RawQuery)
	}
	if code := post(http.Header{"Content-Encoding": {"gzip"}}); code != http.StatusUnsupportedMediaType {
		t.Fatalf("gzip-encoded request: status %d, want 415", code)
	}
}
