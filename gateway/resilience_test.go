package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/pgtest"
	"github.com/wardenhq/warden/wardentest"
)

// TestSlowClients: a thousand clients that open connections and trickle
// their request headers (slowloris) do not keep others from being served.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a thousand connections")
	}
	const readHeader = 2 * time.Second
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Server.Timeouts.ReadHeader = config.Duration(readHeader)
	}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	addr := strings.TrimPrefix(strings.TrimSuffix(g.URL, "/v1"), "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("after %d slow connections: %v", len(conns), err)
		}
		fmt.Fprintf(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
		conns = append(conns, c)
	}
	stop := make(chan struct{})
	go func() { // keep trickling a header byte now and then
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				for _, c := range conns {
					c.Write([]byte("X"))
				}
			}
		}
	}()
	defer close(stop)
	served := 0
	for range 50 {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", false))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("a normal client among slow ones: %s %s", res.Status, b)
		}
		served++
	}
	// And they do not hold on for ever: server.timeouts.read_header
	// closes each, however it trickles.
	deadline := time.Now().Add(readHeader + 5*time.Second)
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		// EOF, or a reset if a trickled byte crossed the close: either way
		// the server let go; only our deadline means it still holds on.
		var ne net.Error
		if _, err := io.Copy(io.Discard, c); !errors.As(err, &ne) || !ne.Timeout() {
			closed++
		}
	}
	if closed != len(conns) {
		t.Fatalf("%d of %d slow connections still open %s after read_header", len(conns)-closed, len(conns), 5*time.Second)
	}
	t.Logf("resilience: %d slow connections (slowloris) while %d requests from a normal client were all served; all %d closed by read_header (%s)", len(conns), served, closed, readHeader)
}

// TestReloadUnderLoad: the configuration is reloaded again and again while
// clients send requests; none is dropped or fails, and each answer comes
// from a consistent configuration.
func TestReloadUnderLoad(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{ConfigFile: true})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	ctx, stop := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodPost, g.URL+"/chat/completions", strings.NewReader(chatBody("gpt-test", "hi", false)))
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := g.Client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	reloads := 0
	for i := range 40 {
		g.EditConfig(t, func(c *config.Config) {
			c.Server.MaxBodyBytes = int64(1<<20 + i) // a change every time
			c.Roles[1].Models = []string{"gpt-test", fmt.Sprintf("other-%d", i)}
		})
		if err := g.Server.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		reloads++
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("%d requests failed, %d succeeded during %d reloads", failed.Load(), ok.Load(), reloads)
	}
	t.Logf("resilience: %d reloads under load of 8 clients; %d requests, 0 failed or dropped", reloads, ok.Load())
}

// TestUpstreamFaults: a slow upstream, one that resets the connection, one
// that answers garbage, one that cuts a stream short and one that fails
// with 500: each is answered cleanly (typed error, or the bytes as they
// came) and each exchange is in the audit log with what happened.
func TestUpstreamFaults(t *testing.T) {
	fault := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(b), `"slow"`):
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case strings.Contains(string(b), `"reset"`):
			c, _, _ := http.NewResponseController(w).Hijack()
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		case strings.Contains(string(b), `"garbage"`):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"choices": [ this is not json`)
		case strings.Contains(string(b), `"truncated"`):
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n")
			http.NewResponseController(w).Flush()
			c, _, _ := http.NewResponseController(w).Hijack()
			c.Close()
		default:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"message":"internal details of the model server","type":"server_error"}}`)
		}
	})
	up := httptest.NewServer(fault)
	defer up.Close()
	models := []config.Model{}
	for _, name := range []string{"slow", "reset", "garbage", "truncated", "failing"} {
		models = append(models, config.Model{Name: name, Upstream: config.Upstream{URL: up.URL + "/v1", Model: name, Timeout: config.Duration(500 * time.Millisecond)}})
	}
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Models: models, Roles: auditRoles()})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, key)
	for _, tt := range []struct {
		model  string
		stream bool
		status int
		code   string
	}{
		{"slow", false, http.StatusGatewayTimeout, "upstream_timeout"},
		{"reset", false, http.StatusBadGateway, "upstream_unavailable"},
		{"garbage", false, http.StatusOK, ""},
		{"truncated", true, http.StatusOK, ""},
		{"failing", false, http.StatusBadGateway, "upstream_error"},
	} {
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/chat/completions", strings.NewReader(chatBody(tt.model, "hi", tt.stream)))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := g.Client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.model, err)
		}
		b, rerr := io.ReadAll(res.Body) // a cut stream ends in an error: that is the point
		res.Body.Close()
		if tt.model == "truncated" && rerr == nil && strings.Contains(string(b), "[DONE]") {
			t.Errorf("a cut stream was completed: %s", b)
		}
		if res.StatusCode != tt.status || errorCode(b) != tt.code {
			t.Errorf("%s: %s %s", tt.model, res.Status, b)
		}
		if strings.Contains(string(b), "internal details") {
			t.Errorf("%s: the upstream's error reached the client: %s", tt.model, b)
		}
		recs := byRequest(log.all(t), res.Header.Get("X-Request-Id"))
		if len(recs) != 1 {
			t.Fatalf("%s: %d records", tt.model, len(recs))
		}
		rec := recs[0]
		switch tt.model {
		case "truncated":
			if rec.Error == nil || !strings.Contains(string(rec.Entry), `"aborted"`) {
				t.Errorf("truncated stream record: %s", rec.Entry)
			}
		case "garbage":
			if rec.Status != 200 {
				t.Errorf("garbage record: %s", rec.Entry)
			}
		default:
			if rec.Status != tt.status || rec.Error == nil || rec.Error.Code != tt.code {
				t.Errorf("%s record: %s", tt.model, rec.Entry)
			}
		}
	}
	t.Logf("resilience: 5 upstream faults (slow, reset, garbage, truncated stream, 500) answered cleanly and recorded")
}

// cutProxy relays TCP connections to a backend until it is cut: then it
// drops every open connection and refuses (accepts and closes) new ones,
// as a database that went away would look to its clients.
type cutProxy struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	cut     bool
	conns   map[net.Conn]bool
}

func newCutProxy(t *testing.T, backend string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, backend: backend, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
	return p
}

func (p *cutProxy) relay(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[b] = true
	p.mu.Unlock()
	go func() { io.Copy(b, c); b.Close() }()
	io.Copy(c, b)
	c.Close()
}

// setCut cuts the link (dropping every connection) or restores it.
func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestStoreDownFailsClosed: when the PostgreSQL store goes away, requests
// are refused with 503 in OpenAI's shape, nothing reaches the upstream,
// /readyz says not ready, and every refusal is still in the audit log (which
// does not depend on the store); once the database is back, requests pass
// again without a restart.
func TestStoreDownFailsClosed(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	up := wardentest.NewUpstream(t)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: up, Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Storage = config.Storage{Driver: "postgres", DSN: config.Secret(u.String())}
	}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, key)
	chatNow := func() (*http.Response, []byte) {
		t.Helper()
		return send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", false))
	}
	if res, b := chatNow(); res.StatusCode != 200 {
		t.Fatalf("before the outage: %s %s", res.Status, b)
	}
	forwarded := len(up.Requests())

	proxy.setCut(true)
	const refused = 20
	var ids []string
	for range refused {
		res, b := chatNow()
		if res.StatusCode != http.StatusServiceUnavailable || errorCode(b) == "" {
			t.Fatalf("store down: %s %s", res.Status, b)
		}
		ids = append(ids, res.Header.Get("X-Request-Id"))
	}
	if n := len(up.Requests()) - forwarded; n != 0 {
		t.Fatalf("%d requests reached the upstream while the store was down", n)
	}
	res, _ := send(t, g, http.MethodGet, "/readyz", "", "")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the store down: %s", res.Status)
	}

	proxy.setCut(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, b := chatNow()
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: %s %s", res.Status, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Read over /audit/, which needs the store to authenticate the reader.
	all := log.all(t)
	for _, id := range ids {
		if recs := byRequest(all, id); len(recs) != 1 || recs[0].Status != http.StatusServiceUnavailable {
			t.Fatalf("request %s: %d records", id, len(recs))
		}
	}
	t.Logf("resilience: store (PostgreSQL) cut: %d requests refused with 503 and recorded, 0 forwarded; served again once it returned", refused)
}
