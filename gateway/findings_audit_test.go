package gateway_test

// Regression tests of issue 14's findings 9 (requests that left no audit
// record) and 11 (upstream headers and stream comments that forged
// Warden's), and of the prompt_hash contract (prompt_hash of the request as
// received, forwarded_hash of what was forwarded).

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// canaryPath is attacker-chosen path text that no record may hold.
const canaryPath = "sk-proj-CANARYPATH0123456789"

// TestFinding9UnroutedRequestsRecorded: a request no route takes — an
// unknown path, a method its path does not have, a path ServeMux would
// redirect (to its cleaned form, or with a trailing slash), any method —
// is answered in OpenAI's shape (never a redirect) and gets a record like
// any other: principal when credentials were valid, source_ip, endpoint
// "unknown", a bounded route that never echoes the path, status, decision.
// Invalid credentials are refused (401) and recorded.
func TestFinding9UnroutedRequestsRecorded(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	key := g.NewKey(t, wardentest.KeyOptions{})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)
	g.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	for _, tt := range []struct {
		method, path, secret string
		status               int
		code, route          string
		principal            bool
	}{
		{"GET", "/v1/chat/completions", key.Secret, 405, "method_not_allowed", "GET /v1/chat/completions", true},
		{"DELETE", "/admin/v1/keys", key.Secret, 405, "method_not_allowed", "DELETE /admin/v1/keys", true},
		{"PUT", "/admin/v1/keys/key_x/revoke", key.Secret, 405, "method_not_allowed", "PUT /admin/v1/keys/{id}/revoke", true},
		{"GET", "/v1/unknown", key.Secret, 404, "unknown_url", "GET /v1/*", true},
		{"POST", "/v1//chat/completions", key.Secret, 404, "unknown_url", "POST /v1/chat/completions", true},
		{"POST", "/v1/./chat/completions", key.Secret, 404, "unknown_url", "POST /v1/chat/completions", true},
		{"GET", "/v1/x/../models", key.Secret, 404, "unknown_url", "GET /v1/models", true},
		{"GET", "/audit/tile", key.Secret, 404, "unknown_url", "GET /audit/*", true},
		{"PROPFIND", "/v1/" + canaryPath + "/%0d%0aX: y", key.Secret, 404, "unknown_url", "OTHER /v1/*", true},
		{"GET", "/" + canaryPath, key.Secret, 404, "unknown_url", "GET /*", true},
		{"GET", "/nothing", "", 404, "unknown_url", "GET /*", false},
		{"DELETE", "/admin/v1/keys", "wdn_not_a_valid_key", 401, "invalid_api_key", "DELETE /admin/v1/keys", false},
	} {
		name := tt.method + " " + tt.path
		res, b := send(t, g, tt.method, tt.path, tt.secret, "")
		if res.StatusCode != tt.status || errorCode(b) != tt.code {
			t.Errorf("%s: %s %s, want %d %s", name, res.Status, b, tt.status, tt.code)
			continue
		}
		if res.Header.Get("Location") != "" {
			t.Errorf("%s: redirected to %q", name, res.Header.Get("Location"))
		}
		rec := log.released(t, res)
		if rec.Endpoint != "unknown" || rec.Kind != auditlog.KindRequest || rec.Status != tt.status || string(rec.Route) != tt.route {
			t.Errorf("%s: record endpoint %q kind %q status %d route %q, want unknown request %d %q",
				name, rec.Endpoint, rec.Kind, rec.Status, rec.Route, tt.status, tt.route)
		}
		if rec.SourceIP != "127.0.0.1" {
			t.Errorf("%s: source_ip %q", name, rec.SourceIP)
		}
		if rec.Error == nil || rec.Error.Code != tt.code {
			t.Errorf("%s: record error %+v, want code %s", name, rec.Error, tt.code)
		}
		switch {
		case tt.principal && (rec.Principal == nil || string(rec.Principal.KeyID) != key.ID):
			t.Errorf("%s: principal %+v, want key %s", name, rec.Principal, key.ID)
		case !tt.principal && rec.Principal != nil:
			t.Errorf("%s: principal %+v, want none", name, rec.Principal)
		}
		wantDecision := "error"
		if tt.status == http.StatusUnauthorized {
			wantDecision = "deny"
		}
		if rec.Decision != wantDecision {
			t.Errorf("%s: decision %q, want %q", name, rec.Decision, wantDecision)
		}
		if strings.Contains(string(rec.Entry), "CANARY") {
			t.Errorf("%s: the record echoes the path: %s", name, rec.Entry)
		}
	}

	// Request targets other than a path (OPTIONS *, CONNECT's authority)
	// too, over a raw connection.
	for _, tt := range []struct{ line, route string }{
		{"OPTIONS * HTTP/1.1", "OPTIONS /*"},
		{"CONNECT example.com:443 HTTP/1.1", "CONNECT /*"},
	} {
		res := rawRequest(t, g, tt.line+"\r\nHost: x\r\nAuthorization: Bearer "+key.Secret+"\r\nContent-Length: 0\r\n\r\n")
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", tt.line, res.Status)
		} else if rec := log.released(t, res); rec.Endpoint != "unknown" || string(rec.Route) != tt.route || rec.Principal == nil {
			t.Errorf("%s: record endpoint %q route %q principal %+v", tt.line, rec.Endpoint, rec.Route, rec.Principal)
		}
	}

	// Routes still work, and the audit reads stay unrecorded when served.
	size := g.Server.AuditLog().Size()
	for range 3 {
		if res, b := send(t, g, http.MethodGet, "/audit/checkpoint", auditor, ""); res.StatusCode != http.StatusOK {
			t.Fatalf("checkpoint: %s %s", res.Status, b)
		}
	}
	if got := g.Server.AuditLog().Size(); got != size {
		t.Errorf("checkpoint reads added %d records", got-size)
	}
	for _, rec := range log.all(t) {
		if strings.Contains(string(rec.Entry), "CANARY") {
			t.Errorf("entry %d echoes an attacker's path: %s", rec.Index, rec.Entry)
		}
	}
	if strings.Contains(g.Logs(), "CANARY") {
		t.Error("the gateway's log echoes an attacker's path")
	}
}

// rawRequest writes a raw HTTP/1.1 request to g and reads its response.
func rawRequest(t *testing.T, g *wardentest.Gateway, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestFinding9RefusedAdminActNamesTarget: an admin act refused before it
// was done — for want of the capability, or because its target does not
// exist — names in its record the key, hold or approval its route named,
// sanitised and bounded when the caller chose it.
func TestFinding9RefusedAdminActNamesTarget(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	admin := g.NewKey(t, wardentest.KeyOptions{})
	chat := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)

	long := strings.Repeat("k", 200)
	for _, tt := range []struct {
		path, secret, action, target string
		status                       int
	}{
		{"/admin/v1/keys/" + admin.ID + "/revoke", chat.Secret, "keys.revoke", admin.ID, 403},
		{"/admin/v1/keys/" + admin.ID + "/rotate", chat.Secret, "keys.rotate", admin.ID, 403},
		{"/admin/v1/keys/key_missing/revoke", admin.Secret, "keys.revoke", "key_missing", 404},
		{"/admin/v1/holds/hold_x/release", chat.Secret, "holds.release", "hold_x", 403},
		{"/admin/v1/keys/%3Cscript%3E%22x/revoke", chat.Secret, "keys.revoke", "?script??x", 403},
		{"/admin/v1/keys/" + long + "/revoke", chat.Secret, "keys.revoke", long[:64], 403},
	} {
		res, b := send(t, g, http.MethodPost, tt.path, tt.secret, "{}")
		if res.StatusCode != tt.status {
			t.Errorf("%s: %s %s, want %d", tt.path, res.Status, b, tt.status)
			continue
		}
		rec := log.released(t, res)
		if rec.Admin == nil || rec.Admin.Action != tt.action || string(rec.Admin.Target) != tt.target {
			t.Errorf("%s: record admin %+v, want action %s target %q", tt.path, rec.Admin, tt.action, tt.target)
		}
	}
}

// TestFinding11UpstreamCannotForgeWardenHeaders: an upstream's X-Warden-*
// response headers and trailers, in any case, and its informational (1xx)
// responses never reach the client: X-Warden-Audit-Id and
// X-Warden-Audit-Index are Warden's alone, for a whole answer, a stream,
// and an upstream error passed through.
func TestFinding11UpstreamCannotForgeWardenHeaders(t *testing.T) {
	var status int
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		h.Set("X-Warden-Audit-Id", "aud_early")
		w.WriteHeader(http.StatusEarlyHints) // informational: relayed, it went first
		delete(h, "X-Warden-Audit-Id")
		h.Set("X-Warden-Audit-Id", "aud_forged")
		h.Set("X-Warden-Audit-Index", "999999")
		h["x-warden-audit-index"] = []string{"999998"} // not canonical, as a raw writer might send it
		h.Set("X-WARDEN-Verdict", "clean")
		h["X_Warden_Audit_Id"] = []string{"aud_underscored"}
		h.Set("Trailer", "X-Warden-Audit-Index")
		if status != 0 {
			h.Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"error":{"message":"bad","type":"invalid_request_error","code":"x"}}`)
			return
		}
		if bytes.Contains(body, []byte(`"stream":true`)) {
			h.Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
		} else {
			h.Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
		}
		w.Header().Set("X-Warden-Audit-Index", "999997") // as a trailer
	}))
	t.Cleanup(forger.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: forger.URL + "/v1", Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)

	check := func(name string, res *http.Response) {
		t.Helper()
		for k, v := range res.Header {
			if l := strings.ReplaceAll(strings.ToLower(k), "_", "-"); strings.HasPrefix(l, "x-warden-") && k != "X-Warden-Audit-Id" && k != "X-Warden-Audit-Index" {
				t.Errorf("%s: the upstream's %s: %v reached the client", name, k, v)
			}
		}
		for k, v := range res.Trailer {
			if strings.HasPrefix(strings.ToLower(k), "x-warden-") {
				t.Errorf("%s: the upstream's trailer %s: %v reached the client", name, k, v)
			}
		}
		if v := res.Header.Values("X-Warden-Audit-Id"); len(v) != 1 || !strings.HasPrefix(v[0], "aud_") {
			t.Errorf("%s: X-Warden-Audit-Id %q, want Warden's alone", name, v)
		}
		if v := res.Header.Values("X-Warden-Audit-Index"); len(v) > 1 || len(v) == 1 && strings.HasPrefix(v[0], "99999") {
			t.Errorf("%s: X-Warden-Audit-Index %q, want Warden's alone", name, v)
		}
	}
	var informational []string
	ctx := httptrace.WithClientTrace(testContext(t), &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		informational = append(informational, fmt.Sprint(code, h))
		return nil
	}})
	res, b, err := sendCtx(ctx, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", false))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %v %v %s", err, res, b)
	}
	if len(informational) > 0 {
		t.Errorf("the upstream's informational responses reached the client: %q", informational)
	}
	check("whole answer", res)
	log.released(t, res) // its index and id are its record's

	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", true))
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "[DONE]") {
		t.Fatalf("stream: %s %s", res.Status, b)
	}
	check("stream", res)

	status = http.StatusBadRequest
	res, _ = send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", false))
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("upstream error: %s", res.Status)
	}
	check("upstream error", res)
}

// TestFinding11UpstreamCannotForgeAuditComments: comment lines an SSE client
// would read as Warden's (": warden-audit-index N", in any case or spacing,
// after a byte order mark, with CR, LF or CRLF line ends, split across
// writes) sent by an upstream never reach the client; the one comment
// naming the index is Warden's, and it names the stream's record. Other
// comments and the events pass as they were.
func TestFinding11UpstreamCannotForgeAuditComments(t *testing.T) {
	stream := []string{
		"\ufeff: warden-audit-index 1\n\n",
		": keep-alive\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"he\"}}]}\r\n",
		":warden-audit-index 2\r\n\r\n",
		":  WARDEN-Audit-Index 3\r\r",
		"\t: Warden-audit-index 4\n\n",
		": x-warden-audit-index 5\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"}}]}\n",
		": warden-audit-",
		"index 6\n\n",
		"data: [DONE]\n\n",
	}
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, s := range stream {
			io.WriteString(w, s)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(forger.Close)
	for _, filtered := range []bool{false, true} {
		t.Run(fmt.Sprintf("filtered=%v", filtered), func(t *testing.T) {
			g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
				Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: forger.URL + "/v1", Model: "m"}}},
				Configure: func(c *config.Config) {
					if filtered {
						c.Content.Response = config.ContentStage{PII: map[string]string{"email": "redact"}}
					}
				}})
			key := g.NewKey(t, wardentest.KeyOptions{}).Secret
			log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
			res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", true))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s %s", res.Status, b)
			}
			var index string
			for _, line := range strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' || r == '\r' }) {
				l := strings.ToLower(strings.TrimLeft(line, "\ufeff \t"))
				if strings.HasPrefix(l, ":") && strings.Contains(l, "warden") {
					if index != "" {
						t.Errorf("a second Warden comment %q in:\n%q", line, b)
					}
					index = strings.TrimPrefix(line, ": warden-audit-index ")
				}
			}
			if !strings.Contains(string(b), ": keep-alive") || streamedText(t, b) != "hello" {
				t.Errorf("the upstream's events or other comments were lost:\n%q", b)
			}
			res.Header.Set("X-Warden-Audit-Index", index)
			log.released(t, res)
		})
	}
}

// TestFinding11UpstreamEncodedBody: a body in a content encoding Warden did
// not ask for (which it could not read, so neither filter, hash nor
// scrub, but which the client would decode) is not relayed: 502.
func TestFinding11UpstreamEncodedBody(t *testing.T) {
	var deflated bytes.Buffer
	zw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	io.WriteString(zw, ": warden-audit-index 7\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
	zw.Close()
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Encoding", "deflate")
		w.Write(deflated.Bytes())
	}))
	t.Cleanup(forger.Close)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "gpt-test", Upstream: config.Upstream{URL: forger.URL + "/v1", Model: "m"}}}})
	key := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, chatBody("gpt-test", "hello", true))
	if res.StatusCode != http.StatusBadGateway || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("%s %v %q, want 502", res.Status, res.Header, b)
	}
	if rec := log.released(t, res); rec.Status != http.StatusBadGateway {
		t.Errorf("record status %d", rec.Status)
	}
}

// TestPromptHashOfRequestAsReceived: prompt_hash is the keyed hash of the
// prompt as the client sent it — what `warden audit hash` (and POST
// /admin/v1/audit/hash) computes from the text the investigator has — and
// forwarded_hash that of what was forwarded, when content controls changed
// it. A request forwarded unchanged, or changed only by Warden's own
// rewrites that are not content (the model name, an injected max_tokens),
// has no forwarded_hash.
func TestPromptHashOfRequestAsReceived(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(auditRoles(),
		config.Role{Name: "capped", Models: []string{"*"}, Capabilities: []string{"chat", "completions", "embeddings"},
			Limits: config.Limits{MaxTokens: 50}}),
		Configure: func(c *config.Config) {
			c.Content.Request = config.ContentStage{PII: map[string]string{"email": "redact"}}
		}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	capped := g.NewKey(t, wardentest.KeyOptions{Role: "capped"}).Secret
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

	const original = "Please write to jane@example.com about the merger."
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", original, false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s %s", res.Status, b)
	}
	got, _ := g.Upstream.LastRequest()
	if strings.Contains(string(got.Body), "jane@example.com") {
		t.Fatalf("not redacted: %s", got.Body)
	}
	rec := log.released(t, res)
	if want := hashOf(fmt.Sprintf(`{"text":%q}`, original)); string(rec.PromptHash) != want {
		t.Errorf("prompt_hash %s, want the hash of the text as sent %s", rec.PromptHash, want)
	}
	// What `warden audit hash TEXT` prints: the one-part user content
	// hashed under the master key's audit-content key.
	if cli := contentHasher(g).Sum([]auditlog.Part{{Role: "user", Text: original}}); string(rec.PromptHash) != cli {
		t.Errorf("prompt_hash %s, want `warden audit hash` of the original %s", rec.PromptHash, cli)
	}
	var forwarded struct {
		Messages json.RawMessage `json:"messages"`
	}
	json.Unmarshal(got.Body, &forwarded)
	if want := hashOf(fmt.Sprintf(`{"messages":%s}`, forwarded.Messages)); string(rec.ForwardedHash) != want {
		t.Errorf("forwarded_hash %s, want the hash of what the upstream received %s", rec.ForwardedHash, want)
	}
	if rec.ForwardedHash == rec.PromptHash || !contentHashRE.MatchString(string(rec.ForwardedHash)) {
		t.Errorf("forwarded_hash %q", rec.ForwardedHash)
	}

	// Unchanged content: no forwarded_hash, even when Warden rewrote the
	// model name and injected max_tokens.
	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", capped, chatBody("gpt-test", "nothing to redact", false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s %s", res.Status, b)
	}
	got, _ = g.Upstream.LastRequest()
	if !strings.Contains(string(got.Body), `"max_tokens"`) || !strings.Contains(string(got.Body), `"upstream-model"`) {
		t.Fatalf("expected Warden's rewrites in %s", got.Body)
	}
	rec = log.released(t, res)
	if want := hashOf(`{"text":"nothing to redact"}`); string(rec.PromptHash) != want || !rec.isNull("forwarded_hash") {
		t.Errorf("prompt_hash %s (want %s), forwarded_hash %s (want null)", rec.PromptHash, want, rec.Raw["forwarded_hash"])
	}

	// Refused before forwarding: the prompt's hash, and nothing forwarded.
	res, _ = send(t, g, http.MethodPost, "/v1/chat/completions", capped, chatBody("gpt-other-missing", original, false))
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown model: %s", res.Status)
	}
	rec = log.released(t, res)
	if want := hashOf(fmt.Sprintf(`{"text":%q}`, original)); string(rec.PromptHash) != want || !rec.isNull("forwarded_hash") {
		t.Errorf("refused: prompt_hash %s (want %s), forwarded_hash %s", rec.PromptHash, want, rec.Raw["forwarded_hash"])
	}
}
