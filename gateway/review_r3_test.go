package gateway_test

// Regression tests of the second adversarial review's variants of issue
// 14's findings 8, 9 and 11 and of the prompt_hash contract.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// rawUpstream is a model server that answers every request with answer,
// writing to the connection itself (what net/http's server would refuse
// to send), and records each request's headers.
type rawUpstream struct {
	URL    string
	mu     sync.Mutex
	header []http.Header
}

func newRawUpstream(t *testing.T, answer func(c net.Conn, req *http.Request)) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{URL: "http://" + ln.Addr().String() + "/v1"}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				u.mu.Lock()
				u.header = append(u.header, req.Header.Clone())
				u.mu.Unlock()
				answer(c, req)
			})
		}
	})
	return u
}

func (u *rawUpstream) last() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.header) == 0 {
		return nil
	}
	return u.header[len(u.header)-1]
}

// TestFinding11VariantContentEncodingFields: an upstream body in an
// encoding Warden did not ask for is refused (502) however the encoding is
// named: in a second Content-Encoding field after "identity" (or after an
// empty one), which a client decodes as gzip, or in a list. Relayed, the
// gzip body would carry a forged audit comment and content the response
// policy blocks past the scrubber and the filters, which read only
// identity-encoded bytes.
func TestFinding11VariantContentEncodingFields(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, ": warden-audit-index 7\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"write to jane@example.com\"}}]}\n\ndata: [DONE]\n\n")
	zw.Close()
	var fields string
	up := newRawUpstream(t, func(c net.Conn, _ *http.Request) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"+fields+"Content-Length: "+strconv.Itoa(gz.Len())+"\r\n\r\n")
		c.Write(gz.Bytes())
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL, Model: "m"}}},
		Configure: func(c *config.Config) {
			c.Content.Response = config.ContentStage{PII: map[string]string{"email": "block"}}
		}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	for _, f := range []string{
		"Content-Encoding: identity\r\nContent-Encoding: gzip\r\n",
		"Content-Encoding: \r\nContent-Encoding: gzip\r\n",
		"Content-Encoding: identity, gzip\r\n",
	} {
		fields = f
		name := strings.ReplaceAll(f, "\r\n", "|")
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", true))
		if res.StatusCode != http.StatusBadGateway || len(res.Header.Values("Content-Encoding")) > 0 {
			t.Errorf("%s: %s %v %q, want 502", name, res.Status, res.Header, b)
			continue
		}
		if rec := log.released(t, res); rec.Status != http.StatusBadGateway {
			t.Errorf("%s: record status %d", name, rec.Status)
		}
	}
}

// TestFinding11VariantSwitchingProtocols: a client's Upgrade (WebSocket)
// is not forwarded, and an upstream that answers 101 Switching Protocols
// anyway is refused (502), recorded as the 502 the client got, never as a
// 101 — the tunnel would pass every control, and the record would claim
// an answer the client never had.
func TestFinding11VariantSwitchingProtocols(t *testing.T) {
	up := newRawUpstream(t, func(c net.Conn, _ *http.Request) {
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Warden-Audit-Index: 5\r\n\r\n: warden-audit-index 5\n\n")
		time.Sleep(100 * time.Millisecond)
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL, Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	body := chatBody("gpt-test", "hello", false)
	for _, upgrade := range []bool{false, true} {
		raw := "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n"
		if upgrade {
			raw += "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		}
		res := rawRequest(t, g, raw+"Content-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		if res.StatusCode != http.StatusBadGateway {
			t.Errorf("upgrade=%v: %s, want 502", upgrade, res.Status)
			continue
		}
		if h := up.last(); h.Get("Upgrade") != "" || h.Get("Connection") != "" {
			t.Errorf("upgrade=%v: the upstream was asked to switch: Upgrade %q Connection %q", upgrade, h.Get("Upgrade"), h.Get("Connection"))
		}
		if rec := log.released(t, res); rec.Status != http.StatusBadGateway {
			t.Errorf("upgrade=%v: record status %d, the client got 502", upgrade, rec.Status)
		}
	}
}

// TestPromptHashVariantCompletionsEmbeddings: a completion's prompt (a
// string, or an array of them) and an embedding's input are hashed as the
// client sent them too, streamed or not, with forwarded_hash when
// redaction changed them; POST /admin/v1/audit/hash reproduces prompt_hash
// from the request body as the investigator has it (it took only "text"
// or "messages"), and from the text alone for a one-part prompt.
func TestPromptHashVariantCompletionsEmbeddings(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Configure: func(c *config.Config) {
			c.Content.Request = config.ContentStage{PII: map[string]string{"email": "redact"}}
		}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)
	hashOf := func(req string) string {
		t.Helper()
		res, b := send(t, g, http.MethodPost, "/admin/v1/audit/hash", auditor, req)
		var out struct{ Hash string }
		if res.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
			t.Fatalf("audit/hash %s: %s %s", req, res.Status, b)
		}
		return out.Hash
	}
	const text = "Please write to jane@example.com about the merger."
	for _, tt := range []struct {
		path, field, value, oneRole string
		stream                      bool
	}{
		{"/v1/completions", "prompt", strconv.Quote(text), "prompt", false},
		{"/v1/completions", "prompt", strconv.Quote(text), "prompt", true},
		{"/v1/completions", "prompt", `["first jane@example.com", "second"]`, "", false},
		{"/v1/embeddings", "input", strconv.Quote(text), "input", false},
		{"/v1/embeddings", "input", `["first jane@example.com", "second"]`, "", false},
	} {
		name := tt.path + " " + tt.field + " " + tt.value
		body := `{"model":"gpt-test","` + tt.field + `":` + tt.value
		if tt.stream {
			body += `,"stream":true`
			name += " stream"
		}
		body += "}"
		res, b := send(t, g, http.MethodPost, tt.path, admin, body)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %s %s", name, res.Status, b)
			continue
		}
		if got, _ := g.Upstream.LastRequest(); strings.Contains(string(got.Body), "jane@example.com") {
			t.Errorf("%s: not redacted: %s", name, got.Body)
		}
		if tt.stream {
			res.Header.Set("X-Warden-Audit-Index", strconv.FormatUint(streamIndex(t, b), 10))
		}
		rec := log.released(t, res)
		want := hashOf(`{"` + tt.field + `":` + tt.value + `}`)
		if string(rec.PromptHash) != want {
			t.Errorf("%s: prompt_hash %s, want the hash of the request as sent %s", name, rec.PromptHash, want)
		}
		if tt.oneRole != "" {
			if one := hashOf(`{"text":` + tt.value + `,"role":"` + tt.oneRole + `"}`); one != want {
				t.Errorf("%s: the text hashed as a %s part %s, the body %s", name, tt.oneRole, one, want)
			}
		}
		if rec.isNull("forwarded_hash") || rec.ForwardedHash == rec.PromptHash {
			t.Errorf("%s: forwarded_hash %s, want that of the redacted request", name, rec.Raw["forwarded_hash"])
		}
	}
}

// TestFinding9VariantMetricsRefused: /metrics on the main listener,
// refused to an address outside auth.ip_allow, is recorded like any other
// request from there (endpoint unknown, route "GET /metrics", the
// allowlist's reason); a scrape it serves is not.
func TestFinding9VariantMetricsRefused(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Auth.IPAllow = []string{"10.0.0.0/8"}
		c.Server.TrustedProxies = []string{"127.0.0.1/32"}
	}})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	from := func(addr string) *http.Request {
		req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, base(g)+"/metrics", nil)
		req.Header.Set("X-Forwarded-For", addr)
		return req
	}
	res, err := g.Client.Do(from("198.51.100.7"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("/metrics from outside the allowlist: %s", res.Status)
	}
	log := openAuditLog(t, g, auditor)
	log.src.Header.Set("X-Forwarded-For", "10.0.0.1")
	rec := log.released(t, res)
	if rec.Endpoint != "unknown" || string(rec.Route) != "GET /metrics" || rec.Status != http.StatusForbidden ||
		rec.SourceIP != "198.51.100.7" || len(rec.Reasons) == 0 || rec.Reasons[0] != "policy.ip_not_allowed" {
		t.Errorf("record endpoint %q route %q status %d source %q reasons %v", rec.Endpoint, rec.Route, rec.Status, rec.SourceIP, rec.Reasons)
	}
	size := g.Server.AuditLog().Size()
	res, err = g.Client.Do(from("10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a scrape from the allowlist: %s", res.Status)
	}
	if got := g.Server.AuditLog().Size(); got != size {
		t.Errorf("a scrape added %d records", got-size)
	}
}

// TestFinding11VariantTrailers: an upstream stream's trailers, announced or
// not, are scrubbed as its headers are: no X-Request-Id (which a client
// merging trailers would read as the exchange's; it is kept as
// X-Upstream-Request-Id), Set-Cookie or rate-limit header of the upstream's
// reaches the client, and Warden's own X-Request-Id is not turned into a
// trailer by the upstream's announcement.
func TestFinding11VariantTrailers(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Trailer", "X-Request-Id, Set-Cookie, X-Ratelimit-Remaining-Requests")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
		w.Header().Set("X-Request-Id", "req_forged")
		w.Header().Set("Set-Cookie", "session=forged")
		w.Header().Set("X-Ratelimit-Remaining-Requests", "99999")
		w.Header().Set(http.TrailerPrefix+"X-Ratelimit-Remaining-Tokens", "99999")
		w.Header().Set(http.TrailerPrefix+"X-Request-Id", "req_forged_unannounced")
		w.Header().Set(http.TrailerPrefix+"X_Request_Id", "req_forged_underscored")
	}))
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", true))
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "[DONE]") {
		t.Fatalf("%s %q", res.Status, b)
	}
	if v := res.Header.Values("X-Request-Id"); len(v) != 1 || !strings.HasPrefix(v[0], "req_") || strings.Contains(v[0], "forged") {
		t.Errorf("X-Request-Id %q", v)
	}
	for k, v := range res.Trailer {
		if k := strings.ReplaceAll(k, "_", "-"); strings.EqualFold(k, "X-Request-Id") || k == "Set-Cookie" || strings.HasPrefix(k, "X-Ratelimit-") {
			t.Errorf("the upstream's trailer %s: %q reached the client", k, v)
		}
	}
}

// TestFinding11VariantUnderscoredHeaders: an upstream's X_Request_Id,
// x_ratelimit_* and Set_Cookie headers, which CGI-style clients and
// frameworks read as X-Request-Id and so on, are removed as those are.
func TestFinding11VariantUnderscoredHeaders(t *testing.T) {
	up := newRawUpstream(t, func(c net.Conn, _ *http.Request) {
		body := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX_Request_Id: req_forged\r\n"+
			"x_ratelimit_remaining_requests: 99999\r\nSet_Cookie: session=forged\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL, Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %q", res.Status, b)
	}
	for k, v := range res.Header {
		if n := strings.ReplaceAll(strings.ToLower(k), "_", "-"); n == "x-request-id" && k != "X-Request-Id" || n == "set-cookie" || strings.HasPrefix(n, "x-ratelimit-") && !strings.HasPrefix(k, "X-Ratelimit-") {
			t.Errorf("the upstream's %s: %q reached the client", k, v)
		}
	}
	if v := res.Header.Get("X-Upstream-Request-Id"); v != "req_forged" {
		t.Errorf("X-Upstream-Request-Id %q, want the upstream's id kept", v)
	}
}

// TestFinding8VariantUpgradeHeaderInLog: a client's Upgrade header that is
// not printable ASCII is not turned into an upstream failure (502
// upstream_unavailable) whose error, quoting the header, the access log
// wrote: the client's text reached the process's output. The Upgrade is
// dropped and the request served.
func TestFinding8VariantUpgradeHeaderInLog(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	body := chatBody("gpt-test", "hi", false)
	res := rawRequest(t, g, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
		"\r\nConnection: Upgrade\r\nUpgrade: \x80"+canaryPath+"\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body)
	if res.StatusCode != http.StatusOK {
		t.Errorf("%s, want 200", res.Status)
	}
	if got, _ := g.Upstream.LastRequest(); got.Header.Get("Upgrade") != "" {
		t.Errorf("the client's Upgrade reached the upstream")
	}
	if strings.Contains(g.Logs(), "CANARY") {
		t.Error("the gateway's log holds the client's Upgrade header")
	}
}

// TestFinding11VariantUpstreamRedirect: an upstream's redirect (3xx with a
// Location) is not relayed: a client that follows it would send its
// request, as it wrote it (before any redaction), wherever the upstream
// said, past every control and record. The client gets 502, recorded so.
func TestFinding11VariantUpstreamRedirect(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	g.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, stream := range []bool{false, true} {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", stream))
		if res.StatusCode != http.StatusBadGateway || res.Header.Get("Location") != "" {
			t.Errorf("stream=%v: %s Location %q %q, want 502 and no Location", stream, res.Status, res.Header.Get("Location"), b)
			continue
		}
		if rec := log.released(t, res); rec.Status != http.StatusBadGateway {
			t.Errorf("stream=%v: record status %d", stream, rec.Status)
		}
	}
}

// TestPromptHashVariantOtherShapes: a chat request whose messages have a
// shape OpenAI refuses but Warden forwards (content an object, a number;
// tool-call arguments an object; messages an object, not a list) has a
// prompt_hash all the same — it had none, so "was this text sent?" found
// nothing although the model received it — and `warden audit hash
// --messages` (here POST /admin/v1/audit/hash) of the body reproduces it.
func TestPromptHashVariantOtherShapes(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Configure: func(c *config.Config) {
			c.Content.Request = config.ContentStage{PII: map[string]string{"email": "redact"}}
		}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)
	for _, messages := range []string{
		`[{"role":"user","content":{"type":"text","text":"mail jane@example.com"}}]`,
		`[{"role":"user","content":5}]`,
		`{"role":"user","content":"mail jane@example.com"}`,
		`[{"role":"assistant","content":"hi","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":"jane@example.com"}}}]}]`,
	} {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, `{"model":"gpt-test","messages":`+messages+`}`)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %s %s", messages, res.Status, b)
			continue
		}
		rec := log.released(t, res)
		hres, hb := send(t, g, http.MethodPost, "/admin/v1/audit/hash", auditor, `{"messages":`+messages+`}`)
		var want struct{ Hash string }
		if hres.StatusCode != http.StatusOK || json.Unmarshal(hb, &want) != nil {
			t.Errorf("%s: audit/hash: %s %s", messages, hres.Status, hb)
			continue
		}
		if rec.isNull("prompt_hash") || string(rec.PromptHash) != want.Hash {
			t.Errorf("%s: prompt_hash %s, want %s", messages, rec.Raw["prompt_hash"], want.Hash)
		}
		if strings.Contains(messages, "jane@") && rec.isNull("forwarded_hash") {
			t.Errorf("%s: redacted, but no forwarded_hash", messages)
		}
	}
}

// TestFinding11VariantCharset: an upstream answer whose Content-Type names
// a charset other than UTF-8 (which Warden's filters, hashes and comment
// scrubber read) is refused (502) like an unrequested content encoding: in
// UTF-16, a stream's forged ": warden-audit-index" comment and an email
// the response policy blocks passed every check, for any client that
// decodes the charset it is told.
func TestFinding11VariantCharset(t *testing.T) {
	stream := ": warden-audit-index 5\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail jane@example.com\"}}]}\n\ndata: [DONE]\n\n"
	utf16 := []byte{0xff, 0xfe}
	for _, c := range stream {
		utf16 = append(utf16, byte(c), 0)
	}
	var contentType string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.Write(utf16)
	}))
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "m"}}},
		Configure: func(c *config.Config) {
			c.Content.Response = config.ContentStage{PII: map[string]string{"email": "block"}}
		}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	for _, ct := range []string{"text/event-stream; charset=utf-16", "text/event-stream; charset=UTF-16LE", "text/event-stream; charset=utf-16; x"} {
		contentType = ct
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", true))
		if res.StatusCode != http.StatusBadGateway {
			t.Errorf("%s: %s %.80q, want 502", ct, res.Status, b)
			continue
		}
		if rec := log.released(t, res); rec.Status != http.StatusBadGateway {
			t.Errorf("%s: record status %d", ct, rec.Status)
		}
	}
}

// TestFinding11VariantContentLength: an upstream answer with a
// Content-Length — a stream sent in one piece, an error passed through —
// is relayed whole although Warden changes its length (the audit comment
// added to a stream, a forged comment emptied): the upstream's length was
// relayed with it, so the client got a cut answer ("unexpected EOF") and
// the record said the exchange was aborted.
func TestFinding11VariantContentLength(t *testing.T) {
	var status int
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"code\":\"x\"}}\n: warden-audit-index 5\n")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
	})) // short bodies written at once: net/http sends them with a Content-Length
	t.Cleanup(up.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)

	res, b, err := sendCtx(testContext(t), g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", true))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v %q", err, res, b)
	}
	res.Header.Set("X-Warden-Audit-Index", strconv.FormatUint(streamIndex(t, b), 10))
	if rec := log.released(t, res); rec.Status != http.StatusOK || !rec.isNull("error") {
		t.Errorf("stream: record status %d error %s", rec.Status, rec.Raw["error"])
	}

	status = http.StatusBadRequest
	res, b, err = sendCtx(testContext(t), g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hi", false))
	if err != nil || res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"code":"x"`) || strings.Contains(string(b), "warden") {
		t.Fatalf("upstream error: %v %v %q", err, res, b)
	}
	if rec := log.released(t, res); rec.Status != http.StatusBadRequest {
		t.Errorf("upstream error: record status %d", rec.Status)
	}
}
