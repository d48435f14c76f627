package gateway_test

// End-to-end tests of the audit log (docs/audit.md; docs/design/audit-log.md
// §3.2–3.5) through a whole gateway. Records are read back the way an
// outside auditor would: over HTTP from /audit/, against a checkpoint
// verified with the key from /audit/key, with an inclusion proof for every
// record looked at (auditlog/verify), never through the gateway's own
// reader.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/wardentest"
)

// auditOrigin is the origin (signing key name) wardentest gives every log.
const auditOrigin = "warden.test/audit"

// recordFields are a record's fields in the order they are logged, as
// docs/audit.md ("The record") lists them.
var recordFields = []string{
	"id", "time", "kind", "principal", "source_ip", "endpoint", "model", "namespace", "classification",
	"decision", "reasons", "prompt_hash", "response_hash", "tokens", "latency_ms", "status", "filters", "stream",
	"request_id", "error", "admin", "forwarded_hash", "route",
}

var contentHashRE = regexp.MustCompile(`^hmac-sha256:[0-9a-f]{64}$`)

// auditRoles are the default roles plus "auditor" (audit.read alone) and
// "one-per-minute" (chat on gpt-*, one request a minute).
func auditRoles() []config.Role {
	return append(wardentest.DefaultRoles(),
		config.Role{Name: "auditor", Capabilities: []string{"audit.read"}},
		config.Role{Name: "one-per-minute", Models: []string{"gpt-*"}, Capabilities: []string{"chat", "stream"},
			Limits: config.Limits{RequestsPerMinute: 1}},
	)
}

// base is the gateway's root URL (g.URL ends in /v1).
func base(g *wardentest.Gateway) string { return strings.TrimSuffix(g.URL, "/v1") }

// send makes one request to the gateway with g's own client; secret "" sends
// no credentials. It returns the response (body read and closed) and its body.
func send(t *testing.T, g *wardentest.Gateway, method, path, secret, body string) (*http.Response, []byte) {
	t.Helper()
	res, b, err := sendCtx(testContext(t), g, method, path, secret, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, b
}

// sendCtx is send for goroutines other than the test's.
func sendCtx(ctx context.Context, g *wardentest.Gateway, method, path, secret, body string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base(g)+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := g.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

// chatBody is a chat completion request for model with one user message.
func chatBody(model, content string, stream bool) string {
	b, _ := json.Marshal(map[string]any{
		"model": model, "stream": stream,
		"messages": []any{map[string]any{"role": "user", "content": content}},
	})
	return string(b)
}

// errorCode is the code of an OpenAI-shaped error body ("" if none).
func errorCode(b []byte) string {
	var e struct {
		Error *struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil || e.Error == nil {
		return ""
	}
	return e.Error.Code
}

// logged is one log entry: the record it holds, its raw fields and its bytes
// exactly as logged.
type logged struct {
	auditlog.Record
	Index uint64
	Raw   map[string]json.RawMessage
	Entry []byte
}

func parseEntry(t *testing.T, index uint64, entry []byte) logged {
	t.Helper()
	l := logged{Index: index, Entry: entry}
	if err := json.Unmarshal(entry, &l.Record); err != nil {
		t.Fatalf("entry %d is not a record: %v\n%s", index, err, entry)
	}
	if err := json.Unmarshal(entry, &l.Raw); err != nil {
		t.Fatal(err)
	}
	return l
}

// isNull reports whether a record's field is JSON null.
func (l logged) isNull(field string) bool { return string(l.Raw[field]) == "null" }

// auditLog reads a gateway's log as an outside verifier does: over HTTP, with
// a key whose role has audit.read, trusting only the key from /audit/key.
type auditLog struct {
	g   *wardentest.Gateway
	src *verify.HTTPSource
	key string // the verifier key
}

func openAuditLog(t *testing.T, g *wardentest.Gateway, secret string) *auditLog {
	t.Helper()
	res, body := send(t, g, http.MethodGet, "/audit/key", "", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /audit/key without credentials: %s", res.Status)
	}
	src, err := verify.HTTP(base(g)+"/audit/", g.Client)
	if err != nil {
		t.Fatal(err)
	}
	src.Header.Set("Authorization", "Bearer "+secret)
	return &auditLog{g: g, src: src, key: strings.TrimSpace(string(body))}
}

// checkpoint returns the log's checkpoint, verified.
func (a *auditLog) checkpoint(t *testing.T) verify.Checkpoint {
	t.Helper()
	cp, err := verify.ReadCheckpoint(testContext(t), a.src, a.key)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if cp.Origin != auditOrigin {
		t.Fatalf("checkpoint origin %q, want %q", cp.Origin, auditOrigin)
	}
	return cp
}

// covering returns a verified checkpoint of at least size entries, waiting
// up to 2 s for one (a checkpoint is signed every 100 ms in tests).
func (a *auditLog) covering(t *testing.T, size uint64) verify.Checkpoint {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		cp := a.checkpoint(t)
		if cp.Size >= size {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2s the checkpoint has %d entries, want at least %d", cp.Size, size)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// entry returns entry index, proven included in a verified checkpoint.
func (a *auditLog) entry(t *testing.T, index uint64) logged {
	t.Helper()
	ctx := testContext(t)
	cp := a.covering(t, index+1)
	proof, entry, err := verify.ProveInclusion(ctx, a.src, cp, index)
	if err != nil {
		t.Fatalf("proving entry %d: %v", index, err)
	}
	if err := verify.CheckInclusion(cp, index, entry, proof); err != nil {
		t.Fatalf("inclusion of entry %d: %v", index, err)
	}
	return parseEntry(t, index, entry)
}

// released returns the record a response announces in X-Warden-Audit-Index
// and checks that it is this response's: its request_id is the response's
// X-Request-Id and its id the response's X-Warden-Audit-Id.
func (a *auditLog) released(t *testing.T, res *http.Response) logged {
	t.Helper()
	s := res.Header.Get("X-Warden-Audit-Index")
	index, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: X-Warden-Audit-Index = %q, want a leaf index", res.Status, s)
	}
	rec := a.entry(t, index)
	checkOwn(t, rec, res)
	return rec
}

// checkOwn checks that rec is the record of the exchange that gave res.
func checkOwn(t *testing.T, rec logged, res *http.Response) {
	t.Helper()
	if id := res.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") || string(rec.RequestID) != id {
		t.Errorf("entry %d has request_id %q, the response X-Request-Id %q", rec.Index, rec.RequestID, id)
	}
	if id := res.Header.Get("X-Warden-Audit-Id"); !strings.HasPrefix(id, "aud_") || rec.ID != id {
		t.Errorf("entry %d has id %q, the response X-Warden-Audit-Id %q", rec.Index, rec.ID, id)
	}
}

// all waits until a checkpoint covers every entry the gateway has
// integrated, verifies the whole log against it over HTTP (every entry
// bundle re-read and re-hashed into the checkpoint's root) and returns
// every entry. Each must be a well-formed record.
func (a *auditLog) all(t *testing.T) []logged {
	t.Helper()
	ctx := testContext(t)
	cp := a.covering(t, a.g.Server.AuditLog().Size())
	entries := make([][]byte, cp.Size)
	var mu sync.Mutex
	rep, err := verify.Log(ctx, a.src, cp, verify.Options{CheckEntry: func(i uint64, e []byte) error {
		var r auditlog.Record
		if err := json.Unmarshal(e, &r); err != nil {
			return err
		}
		if !strings.HasPrefix(r.ID, "aud_") || (r.Kind != auditlog.KindRequest && r.Kind != auditlog.KindAdmin) {
			return fmt.Errorf("record with id %q and kind %q", r.ID, r.Kind)
		}
		mu.Lock()
		entries[i] = bytes.Clone(e)
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatalf("verify.Log: %v", err)
	}
	if rep.Entries != cp.Size {
		t.Fatalf("verified %d entries of %d", rep.Entries, cp.Size)
	}
	out := make([]logged, len(entries))
	for i, e := range entries {
		out[i] = parseEntry(t, uint64(i), e)
		checkShape(t, out[i])
	}
	return out
}

// byRequest returns the records among recs of request id.
func byRequest(recs []logged, id string) []logged {
	var out []logged
	for _, r := range recs {
		if string(r.RequestID) == id {
			out = append(out, r)
		}
	}
	return out
}

// checkShape checks what every record must be (docs/audit.md): one
// line of JSON with every field present, in order; a millisecond UTC time; an
// id; null or keyed content hashes.
func checkShape(t *testing.T, l logged) {
	t.Helper()
	if bytes.ContainsAny(l.Entry, "\n\r") {
		t.Errorf("entry %d is not one line", l.Index)
	}
	if got := topLevelKeys(t, l.Entry); !slices.Equal(got, recordFields) {
		t.Errorf("entry %d fields\n got %v\nwant %v", l.Index, got, recordFields)
	}
	var tm string
	json.Unmarshal(l.Raw["time"], &tm)
	if _, err := time.Parse(auditlog.TimeFormat, tm); err != nil {
		t.Errorf("entry %d time %q is not %s", l.Index, tm, auditlog.TimeFormat)
	}
	for _, f := range []string{"prompt_hash", "response_hash"} {
		var h *string
		json.Unmarshal(l.Raw[f], &h)
		if h != nil && !contentHashRE.MatchString(*h) {
			t.Errorf("entry %d %s = %q, want hmac-sha256:<64 hex>", l.Index, f, *h)
		}
	}
	for _, f := range []string{"reasons", "filters"} {
		if !bytes.HasPrefix(l.Raw[f], []byte("[")) {
			t.Errorf("entry %d %s = %s, want a list", l.Index, f, l.Raw[f])
		}
	}
}

func topLevelKeys(t *testing.T, entry []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(entry))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("entry is not a JSON object: %s", entry)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// contentHasher computes prompt_hash and response_hash independently, from
// the gateway's master key as design §3.4 defines them.
func contentHasher(g *wardentest.Gateway) *auditlog.Hasher {
	return auditlog.NewHasher(g.KMS.DeriveKey(kms.PurposeAuditContent))
}

// TestAuditRecordPerRequest: every exchange, whatever its outcome, gets one
// record, released with its response: X-Warden-Audit-Index names an entry
// that a verifier proves to be in the log, and that entry is this
// exchange's record (its request_id and id), saying what happened.
func TestAuditRecordPerRequest(t *testing.T) {
	t.Parallel()
	slow := wardentest.NewUpstream(t)
	slow.SetDelay(testTimeout)
	broken := wardentest.NewUpstream(t)
	broken.SetStatus(http.StatusInternalServerError)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles: auditRoles(),
		Configure: func(c *config.Config) {
			c.Server.MaxBodyBytes = 4096
			sm := slow.Model("gpt-slow", "slow-model")
			sm.Upstream.Timeout = config.Duration(200 * time.Millisecond)
			c.Models = append(c.Models, sm, broken.Model("gpt-broken", "broken-model"))
		},
	})
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Name: "auditor", Role: "auditor"}).Secret)
	h := contentHasher(g)
	sayHello := h.Sum([]auditlog.Part{{Role: "user", Text: "Say hello."}})

	key := func(o wardentest.KeyOptions) func(t *testing.T) wardentest.Key {
		return func(t *testing.T) wardentest.Key { return g.NewKey(t, o) }
	}
	none := func(*testing.T) wardentest.Key { return wardentest.Key{} }
	unknown := func(*testing.T) wardentest.Key { return wardentest.Key{Secret: auth.NewKey()} }
	revoked := func(t *testing.T) wardentest.Key {
		k := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
		g.Revoke(t, k.ID)
		return k
	}
	limited := func(t *testing.T) wardentest.Key {
		k := g.NewKey(t, wardentest.KeyOptions{Role: "one-per-minute"})
		if res, b := send(t, g, http.MethodPost, "/v1/chat/completions", k.Secret, chatBody("gpt-test", "Say hello.", false)); res.StatusCode != http.StatusOK {
			t.Fatalf("first request of the minute: %s %s", res.Status, b)
		}
		return k
	}
	admin, chatOnly := key(wardentest.KeyOptions{Role: "admin"}), key(wardentest.KeyOptions{Role: "chat-only"})
	chatTo := func(model string) (string, string, string) {
		return http.MethodPost, "/v1/chat/completions", chatBody(model, "Say hello.", false)
	}
	allowed := []string{"policy.allowed_by_role"}

	type want struct {
		status    int
		decision  string
		reasons   []string
		code      string // error.code; "" for error null
		principal bool   // the key's principal, or null
		model     string // model.name; "" for model null
		endpoint  string
		prompt    string // prompt_hash; "" for null
		response  bool   // response_hash set
		tokens    *auditlog.Tokens
	}
	tests := []struct {
		name               string
		key                func(t *testing.T) wardentest.Key
		method, path, body string
		want               want
		check              func(t *testing.T, rec logged, k wardentest.Key, body []byte)
	}{
		{name: "allowed chat", key: chatOnly, want: want{200, "allow", allowed, "", true, "gpt-test", "chat.completions", sayHello, true, &auditlog.Tokens{Prompt: 5, Completion: 4}},
			check: func(t *testing.T, rec logged, _ wardentest.Key, _ []byte) {
				want := h.Sum([]auditlog.Part{{Role: "assistant", Text: wardentest.DefaultContent}})
				if string(rec.ResponseHash) != want {
					t.Errorf("response_hash %s, want %s (the answer %q)", rec.ResponseHash, want, wardentest.DefaultContent)
				}
				if rec.LatencyMS == nil || rec.LatencyMS.Upstream <= 0 || rec.LatencyMS.Total < rec.LatencyMS.Upstream {
					t.Errorf("latency_ms %s", rec.Raw["latency_ms"])
				}
			}},
		{name: "no credentials", key: none, want: want{401, "deny", []string{"auth.no_credentials"}, "invalid_api_key", false, "", "chat.completions", "", false, nil}},
		{name: "unknown key", key: unknown, want: want{401, "deny", []string{"auth.unknown_key"}, "invalid_api_key", false, "", "chat.completions", "", false, nil}},
		{name: "revoked key", key: revoked, want: want{401, "deny", []string{"auth.key_revoked"}, "invalid_api_key", false, "", "chat.completions", "", false, nil}},
		{name: "expired key", key: key(wardentest.KeyOptions{Role: "chat-only", ExpiresAt: time.Now().Add(-time.Minute)}),
			want: want{401, "deny", []string{"auth.key_expired"}, "invalid_api_key", false, "", "chat.completions", "", false, nil}},
		{name: "model not allowed", key: chatOnly, body: chatBody("gpt-other", "Say hello.", false),
			want: want{403, "deny", []string{"policy.model_not_in_role"}, "model_not_allowed", true, "gpt-other", "chat.completions", sayHello, false, nil}},
		{name: "unknown model", key: admin, body: chatBody("no-such-model", "Say hello.", false),
			want: want{404, "error", []string{}, "model_not_found", true, "", "chat.completions", sayHello, false, nil}},
		{name: "body not JSON", key: admin, body: `{"model": "gpt-test",`,
			want: want{400, "error", []string{}, "invalid_request", true, "", "chat.completions", "", false, nil}},
		{name: "too large", key: admin, body: chatBody("gpt-test", strings.Repeat("x", 8192), false),
			want: want{413, "error", []string{}, "request_too_large", true, "", "chat.completions", "", false, nil}},
		{name: "rate limited", key: limited,
			want: want{429, "deny", []string{"limit.exceeded"}, "rate_limit_exceeded", true, "gpt-test", "chat.completions", sayHello, false, nil}},
		{name: "upstream 500", key: admin, body: chatBody("gpt-broken", "Say hello.", false),
			want: want{502, "allow", allowed, "upstream_error", true, "gpt-broken", "chat.completions", sayHello, false, nil}},
		{name: "upstream timeout", key: admin, body: chatBody("gpt-slow", "Say hello.", false),
			want: want{504, "allow", allowed, "upstream_timeout", true, "gpt-slow", "chat.completions", sayHello, false, nil}},
		{name: "models list", key: chatOnly, method: http.MethodGet, path: "/v1/models",
			want: want{200, "allow", []string{}, "", true, "", "models", "", false, nil}},
		{name: "admin key create", key: admin, method: http.MethodPost, path: "/admin/v1/keys", body: `{"name": "made-by-admin", "role": "chat-only"}`,
			want: want{201, "allow", allowed, "", true, "", "admin.keys.create", "", false, nil},
			check: func(t *testing.T, rec logged, _ wardentest.Key, body []byte) {
				var created struct{ ID, Key string }
				if err := json.Unmarshal(body, &created); err != nil || !strings.HasPrefix(created.ID, "key_") {
					t.Fatalf("answer %s: %v", body, err)
				}
				if rec.Kind != auditlog.KindAdmin || rec.Admin == nil || rec.Admin.Action != "keys.create" || string(rec.Admin.Target) != created.ID {
					t.Errorf("kind %q admin %s, want kind admin, action keys.create, target %s", rec.Kind, rec.Raw["admin"], created.ID)
				}
				if bytes.Contains(rec.Entry, []byte(created.Key)) {
					t.Error("the record holds the new key's secret")
				}
			}},
		{name: "admin key create without the capability", key: chatOnly, method: http.MethodPost, path: "/admin/v1/keys", body: `{"name": "x", "role": "chat-only"}`,
			want: want{403, "deny", []string{"policy.capability_missing"}, "capability_not_allowed", true, "", "admin.keys.create", "", false, nil},
			check: func(t *testing.T, rec logged, _ wardentest.Key, _ []byte) {
				if rec.Kind != auditlog.KindAdmin || rec.Admin == nil || rec.Admin.Action != "keys.create" || rec.Admin.Target != "" {
					t.Errorf("kind %q admin %s, want kind admin, action keys.create, no target", rec.Kind, rec.Raw["admin"])
				}
			}},
	}

	var mu sync.Mutex
	requestIDs := map[string]string{} // request id → case
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				k := tt.key(t)
				method, path, body := chatTo("gpt-test")
				if tt.method != "" {
					method, path, body = tt.method, tt.path, tt.body
				} else if tt.body != "" {
					body = tt.body
				}
				start := time.Now().Add(-time.Millisecond)
				res, answer := send(t, g, method, path, k.Secret, body)
				end := time.Now().Add(time.Millisecond)
				w := tt.want
				if res.StatusCode != w.status {
					t.Fatalf("status %s, want %d: %s", res.Status, w.status, answer)
				}
				if got := errorCode(answer); got != w.code {
					t.Errorf("answer's error code %q, want %q", got, w.code)
				}
				mu.Lock()
				requestIDs[res.Header.Get("X-Request-Id")] = tt.name
				mu.Unlock()

				rec := log.released(t, res)
				checkShape(t, rec)
				if rec.Status != w.status || rec.Decision != w.decision || !slices.Equal(rec.Reasons, w.reasons) {
					t.Errorf("status %d decision %q reasons %q, want %d %q %q", rec.Status, rec.Decision, rec.Reasons, w.status, w.decision, w.reasons)
				}
				if w.code == "" {
					if !rec.isNull("error") {
						t.Errorf("error %s, want null", rec.Raw["error"])
					}
				} else if rec.Error == nil || rec.Error.Code != w.code || rec.Error.Type == "" {
					t.Errorf("error %s, want code %q", rec.Raw["error"], w.code)
				}
				if w.principal {
					want := auditlog.Principal{ID: "apikey:" + k.ID, Type: "api_key", KeyID: auditlog.Opt(k.ID), Groups: []string{}}
					if rec.Principal == nil || !cmp.Equal(*rec.Principal, want) {
						t.Errorf("principal %s, want %+v", rec.Raw["principal"], want)
					}
				} else if !rec.isNull("principal") {
					t.Errorf("principal %s, want null", rec.Raw["principal"])
				}
				if w.model == "" {
					if !rec.isNull("model") {
						t.Errorf("model %s, want null", rec.Raw["model"])
					}
				} else if rec.Model == nil || rec.Model.Name != w.model {
					t.Errorf("model %s, want %q", rec.Raw["model"], w.model)
				}
				if string(rec.Endpoint) != w.endpoint {
					t.Errorf("endpoint %q, want %q", rec.Endpoint, w.endpoint)
				}
				if string(rec.PromptHash) != w.prompt {
					t.Errorf("prompt_hash %s, want %q", rec.Raw["prompt_hash"], w.prompt)
				}
				if (rec.ResponseHash != "") != w.response {
					t.Errorf("response_hash %s, want set: %v", rec.Raw["response_hash"], w.response)
				}
				if !cmp.Equal(rec.Tokens, w.tokens) {
					t.Errorf("tokens %s, want %+v", rec.Raw["tokens"], w.tokens)
				}
				wantKind := auditlog.KindRequest
				if strings.HasPrefix(w.endpoint, "admin.") {
					wantKind = auditlog.KindAdmin
				}
				if rec.Kind != wantKind || (wantKind == auditlog.KindRequest && !rec.isNull("admin")) {
					t.Errorf("kind %q admin %s, want kind %q", rec.Kind, rec.Raw["admin"], wantKind)
				}
				if string(rec.SourceIP) != "127.0.0.1" || rec.Stream {
					t.Errorf("source_ip %q stream %v, want 127.0.0.1, false", rec.SourceIP, rec.Stream)
				}
				if tm := time.Time(rec.Time); tm.Before(start.Truncate(time.Millisecond)) || tm.After(end) {
					t.Errorf("time %v, not within the request (%v – %v)", tm, start, end)
				}
				if rec.LatencyMS == nil || rec.LatencyMS.Total < 0 || time.Duration(rec.LatencyMS.Total) > end.Sub(start) {
					t.Errorf("latency_ms %s, the request took %v", rec.Raw["latency_ms"], end.Sub(start))
				}
				if k.Secret != "" && bytes.Contains(rec.Entry, []byte(k.Secret)) {
					t.Error("the record holds the caller's secret")
				}
				if tt.check != nil {
					tt.check(t, rec, k, answer)
				}
			})
		}
	})

	// One record per exchange: each case's request id is in exactly one
	// entry of the whole log, which verifies end to end.
	recs := log.all(t)
	for id, name := range requestIDs {
		if got := byRequest(recs, id); len(got) != 1 {
			t.Errorf("%s: %d records with request_id %s, want 1", name, len(got), id)
		}
	}
	if len(requestIDs) != len(tests) {
		t.Errorf("%d request ids for %d cases", len(requestIDs), len(tests))
	}
}

// TestAuditEndpoints: /audit/key is public and is the key checkpoints verify
// with; the checkpoint and tiles need audit.read; malformed or absent tiles
// are 404; and reading the log writes nothing to it.
func TestAuditEndpoints(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	log := openAuditLog(t, g, auditor)

	res, _ := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", "Say hello.", false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s", res.Status)
	}
	log.released(t, res)
	ctx := testContext(t)
	before := g.Server.AuditLog().Size()
	log.covering(t, before)

	t.Run("key", func(t *testing.T) {
		for _, secret := range []string{"", chatOnly} {
			res, body := send(t, g, http.MethodGet, "/audit/key", secret, "")
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("GET /audit/key: %s %s", res.Status, res.Header.Get("Content-Type"))
			}
			key := strings.TrimSpace(string(body))
			if key != log.key || !strings.HasPrefix(key, auditOrigin+"+") {
				t.Errorf("verifier key %q, want %q named %s", key, log.key, auditOrigin)
			}
		}
		// The key verifies the served checkpoint, which is the log's own.
		res, body := send(t, g, http.MethodGet, "/audit/checkpoint", auditor, "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("checkpoint: %s", res.Status)
		}
		got, err := verify.OpenCheckpoint(body, log.key)
		if err != nil {
			t.Fatal(err)
		}
		onDisk, err := g.Server.AuditLog().Reader().ReadCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Size != before || !bytes.Equal(body, onDisk) {
			t.Errorf("served checkpoint (size %d) is not the log's (size %d):\n%s\n%s", got.Size, before, body, onDisk)
		}
		// Another key, even of the same name, does not verify it.
		for _, name := range []string{"other.example/audit", auditOrigin} {
			_, vkey, err := note.GenerateKey(rand.Reader, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verify.OpenCheckpoint(body, vkey); err == nil {
				t.Errorf("the checkpoint verifies with another key named %s", name)
			}
		}
	})

	t.Run("access", func(t *testing.T) {
		for _, path := range []string{"/audit/checkpoint", "/audit/tile/0/000.p/1", "/audit/tile/entries/000.p/1"} {
			for _, c := range []struct {
				who    string
				secret string
				status int
				code   string
			}{
				{"no credentials", "", 401, "invalid_api_key"},
				{"bad key", auth.NewKey(), 401, "invalid_api_key"},
				{"no audit.read", chatOnly, 403, "capability_not_allowed"},
				{"audit.read", auditor, 200, ""},
				{"admin", admin, 200, ""},
			} {
				t.Run(path+"/"+c.who, func(t *testing.T) {
					res, body := send(t, g, http.MethodGet, path, c.secret, "")
					if res.StatusCode != c.status || errorCode(body) != c.code {
						t.Fatalf("%s, code %q; want %d %q", res.Status, errorCode(body), c.status, c.code)
					}
					if c.status == 200 && len(body) == 0 {
						t.Error("empty body")
					}
					// Refusals are recorded (probing for audit access leaves
					// a trace); reads that succeed are not.
					for _, h := range []string{"X-Warden-Audit-Id", "X-Warden-Audit-Index"} {
						if got := res.Header.Get(h) != ""; got != (c.status != 200) {
							t.Errorf("status %d: %s present = %v", c.status, h, got)
						}
					}
				})
			}
		}
	})

	t.Run("malformed tiles", func(t *testing.T) {
		for _, p := range []string{
			"tile/0", "tile/0/", "tile/64/000", "tile/x/000", "tile/-1/000", "tile/0/0", "tile/0/0000", "tile/0/abc",
			"tile/0/x000", "tile/0/001/002", "tile/0/000.p", "tile/0/000.p/", "tile/0/000.p/0", "tile/0/000.p/256",
			"tile/0/000.p/x", "tile/0/.p/1", "tile/entries", "tile/entries/", "tile/entries/00", "tile/entries/000.p/300",
			"tile/entries/000.p/", "tile/entries/x000",
			// Well formed, but not in the log.
			"tile/0/999", "tile/5/000", "tile/entries/999", "tile/entries/x001/000",
		} {
			res, body := send(t, g, http.MethodGet, "/audit/"+p, auditor, "")
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET /audit/%s: %s %s, want 404", p, res.Status, body)
			}
		}
	})

	t.Run("reads are not recorded, refusals are", func(t *testing.T) {
		const refusals = 3 * 3 // three paths, three refused callers each
		if after := g.Server.AuditLog().Size(); after != before+refusals {
			t.Errorf("reading /audit/ added %d records to the log, want %d (the refusals)", after-before, refusals)
		}
	})
	log.all(t)
}

// searchPage is an answer of GET /admin/v1/audit/records.
type searchPage struct {
	Object string `json:"object"`
	Data   []struct {
		Index  *uint64 `json:"index"`
		Origin string  `json:"origin"`
		auditlog.Record
	} `json:"data"`
	Next string `json:"next"`
	raw  []json.RawMessage
}

func search(t *testing.T, g *wardentest.Gateway, secret string, q url.Values) (*http.Response, searchPage) {
	t.Helper()
	res, body := send(t, g, http.MethodGet, "/admin/v1/audit/records?"+q.Encode(), secret, "")
	var p searchPage
	if res.StatusCode != http.StatusOK {
		return res, p
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("search answer: %v\n%s", err, body)
	}
	var raw struct{ Data []json.RawMessage }
	json.Unmarshal(body, &raw)
	p.raw = raw.Data
	if p.Object != "list" {
		t.Errorf("object %q, want list", p.Object)
	}
	for i, r := range p.Data {
		if r.Index == nil || r.Origin != auditOrigin {
			t.Errorf("result %d has index %v and origin %q, want both (origin %s)", i, r.Index, r.Origin, auditOrigin)
		}
	}
	return res, p
}

// TestAuditSearch: GET /admin/v1/audit/records finds records by each filter
// once the indexer has caught up, pages through results without repeating
// any, shows each record with its index and origin beside its logged
// fields, and needs audit.read.
func TestAuditSearch(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)
	alice := g.NewKey(t, wardentest.KeyOptions{Name: "alice", Role: "chat-only"})
	bob := g.NewKey(t, wardentest.KeyOptions{Name: "bob", Role: "admin"})

	begin := time.Now().Add(-time.Second).UTC()
	type sent struct {
		res   *http.Response
		index uint64
	}
	do := func(method, path, secret, body string, status int) sent {
		t.Helper()
		res, b := send(t, g, method, path, secret, body)
		if res.StatusCode != status {
			t.Fatalf("%s %s: %s %s, want %d", method, path, res.Status, b, status)
		}
		idx, err := strconv.ParseUint(res.Header.Get("X-Warden-Audit-Index"), 10, 64)
		if err != nil {
			t.Fatalf("%s %s: X-Warden-Audit-Index %q", method, path, res.Header.Get("X-Warden-Audit-Index"))
		}
		return sent{res, idx}
	}
	var aliceChats []sent
	for range 3 {
		aliceChats = append(aliceChats, do(http.MethodPost, "/v1/chat/completions", alice.Secret, chatBody("gpt-test", "Say hello.", false), 200))
	}
	bobOther := do(http.MethodPost, "/v1/chat/completions", bob.Secret, chatBody("gpt-other", "Say hello.", false), 200)
	aliceDenied := do(http.MethodPost, "/v1/chat/completions", alice.Secret, chatBody("gpt-other", "Say hello.", false), 403)
	unknown := do(http.MethodPost, "/v1/chat/completions", bob.Secret, chatBody("no-such-model", "Say hello.", false), 404)
	anonymous := do(http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "Say hello.", false), 401)
	created := do(http.MethodPost, "/admin/v1/keys", bob.Secret, `{"name": "carol", "role": "chat-only"}`, 201)
	requests := 7 // of kind request, above

	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// Wait for the indexer (every 500 ms) to reach the last record.
	deadline := time.Now().Add(3 * time.Second)
	for {
		res, p := search(t, g, auditor, q("request_id", created.res.Header.Get("X-Request-Id")))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("search: %s", res.Status)
		}
		if len(p.Data) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the search index did not catch up within 3s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	reqID := func(s sent) string { return s.res.Header.Get("X-Request-Id") }
	ids := func(p searchPage) []string {
		var out []string
		for _, r := range p.Data {
			out = append(out, string(r.RequestID))
		}
		return out
	}

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name    string
			query   url.Values
			exactly []sent // the results, in any order; nil: see contains
			has     []sent // among the results
			each    func(r auditlog.Record) bool
		}{
			{"principal", q("principal", "apikey:"+alice.ID, "kind", "request"), append(slices.Clone(aliceChats), aliceDenied), nil,
				func(r auditlog.Record) bool { return r.Principal != nil && r.Principal.ID == "apikey:"+alice.ID }},
			{"key_id", q("key_id", alice.ID), append(slices.Clone(aliceChats), aliceDenied), nil, nil},
			{"model", q("model", "gpt-other"), []sent{bobOther, aliceDenied}, nil,
				func(r auditlog.Record) bool { return r.Model != nil && r.Model.Name == "gpt-other" }},
			{"model and principal", q("model", "gpt-other", "principal", "apikey:"+bob.ID), []sent{bobOther}, nil, nil},
			{"decision deny", q("decision", "deny"), []sent{aliceDenied, anonymous}, nil,
				func(r auditlog.Record) bool { return r.Decision == "deny" }},
			{"decision error", q("decision", "error"), []sent{unknown}, nil, nil},
			{"kind admin", q("kind", "admin"), nil, []sent{created},
				func(r auditlog.Record) bool { return r.Kind == auditlog.KindAdmin && r.Admin != nil }},
			{"request_id", q("request_id", reqID(bobOther)), []sent{bobOther}, nil, nil},
			{"since, long ago", q("since", begin.Format(time.RFC3339Nano), "kind", "request"), nil, append(slices.Clone(aliceChats), bobOther, aliceDenied, unknown, anonymous), nil},
			{"since, a duration", q("since", "1h", "kind", "request"), nil, append(slices.Clone(aliceChats), bobOther, aliceDenied, unknown, anonymous), nil},
			{"since, in the future", q("since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), []sent{}, nil, nil},
			{"until, long ago", q("until", begin.Format(time.RFC3339Nano)), []sent{}, nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, p := search(t, g, auditor, tt.query)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s", res.Status)
				}
				got := ids(p)
				if tt.exactly != nil {
					var want []string
					for _, s := range tt.exactly {
						want = append(want, reqID(s))
					}
					slices.Sort(want)
					slices.Sort(got)
					if !slices.Equal(want, got) {
						t.Errorf("request ids\n got %v\nwant %v (any order)", got, want)
					}
				}
				for _, s := range tt.has {
					if !slices.Contains(got, reqID(s)) {
						t.Errorf("results lack %s", reqID(s))
					}
				}
				for i, r := range p.Data {
					if tt.each != nil && !tt.each(r.Record) {
						t.Errorf("result %s does not match the filter", p.raw[i])
					}
				}
			})
		}
	})

	t.Run("a result is the logged record with its index", func(t *testing.T) {
		for _, s := range []sent{aliceChats[0], anonymous, created} {
			_, p := search(t, g, auditor, q("request_id", reqID(s)))
			if len(p.Data) != 1 {
				t.Fatalf("%d results for %s", len(p.Data), reqID(s))
			}
			if *p.Data[0].Index != s.index {
				t.Errorf("index %d, the response announced %d", *p.Data[0].Index, s.index)
			}
			var shown, inLog map[string]any
			json.Unmarshal(p.raw[0], &shown)
			if shown["index"] != float64(s.index) || shown["origin"] != auditOrigin {
				t.Errorf("result %s lacks index/origin", p.raw[0])
			}
			delete(shown, "index")
			delete(shown, "origin")
			json.Unmarshal(log.entry(t, s.index).Entry, &inLog)
			if diff := cmp.Diff(inLog, shown); diff != "" {
				t.Errorf("result differs from the logged record (-log +shown):\n%s", diff)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		_, whole := search(t, g, auditor, q("kind", "request", "limit", "100"))
		if len(whole.Data) != requests || whole.Next != "" {
			t.Fatalf("%d request records (next %q), want %d", len(whole.Data), whole.Next, requests)
		}
		var got []uint64
		after := ""
		for pages := 0; ; pages++ {
			if pages > requests {
				t.Fatal("paging does not end")
			}
			v := q("kind", "request", "limit", "2")
			if after != "" {
				v.Set("after", after)
			}
			res, p := search(t, g, auditor, v)
			if res.StatusCode != http.StatusOK || len(p.Data) > 2 {
				t.Fatalf("page %d: %s, %d results", pages, res.Status, len(p.Data))
			}
			for _, r := range p.Data {
				got = append(got, *r.Index)
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		var want []uint64
		for _, r := range whole.Data {
			want = append(want, *r.Index)
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged indexes %v, want %v (once each, newest first)", got, want)
		}
		// Newest first: by time, then index, descending.
		for i := 1; i < len(whole.Data); i++ {
			a, b := whole.Data[i-1], whole.Data[i]
			ta, tb := time.Time(a.Time), time.Time(b.Time)
			if ta.Before(tb) || ta.Equal(tb) && *a.Index < *b.Index {
				t.Errorf("results %d and %d out of order", i-1, i)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			secret string
			query  url.Values
			status int
			code   string
		}{
			{"no credentials", "", nil, 401, "invalid_api_key"},
			{"no audit.read", alice.Secret, nil, 403, "capability_not_allowed"},
			{"bad since", auditor, q("since", "yesterday"), 400, "invalid_request"},
			{"bad until", auditor, q("until", "2026-13-01"), 400, "invalid_request"},
			{"bad limit", auditor, q("limit", "0"), 400, "invalid_request"},
			{"bad page token", auditor, q("after", "not-a-token"), 400, "invalid_request"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := send(t, g, http.MethodGet, "/admin/v1/audit/records?"+c.query.Encode(), c.secret, "")
				if res.StatusCode != c.status || errorCode(body) != c.code {
					t.Errorf("%s %s, want %d %s", res.Status, body, c.status, c.code)
				}
				// A refused search is itself an audited act.
				rec := log.released(t, res)
				if rec.Kind != auditlog.KindAdmin || rec.Admin == nil || rec.Admin.Action != "audit.search" || rec.Status != c.status {
					t.Errorf("record kind %q admin %s status %d", rec.Kind, rec.Raw["admin"], rec.Status)
				}
			})
		}
	})
	log.all(t)
}

// TestAuditWholeLogAfterTraffic: after mixed concurrent traffic (answers,
// streams, refusals, embeddings, admin acts) filling more than one entry
// bundle and hash tile, every entry in the log verifies end to end over
// HTTP and is a record, each exchange has exactly one, and full tiles are
// served as immutable.
func TestAuditWholeLogAfterTraffic(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	log := openAuditLog(t, g, auditor)
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	const n = 300 // > 256: one full entry bundle and level-0 tile
	var (
		ids []string
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, 16)
	)
	ctx := testContext(t)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var (
				res *http.Response
				err error
			)
			switch i % 5 {
			case 0:
				res, _, err = sendCtx(ctx, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", fmt.Sprint("hi ", i), false))
			case 1:
				res, _, err = sendCtx(ctx, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-test", fmt.Sprint("hi ", i), true))
			case 2:
				res, _, err = sendCtx(ctx, g, http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "hi", false))
			case 3:
				res, _, err = sendCtx(ctx, g, http.MethodPost, "/v1/embeddings", admin, `{"model": "embed-test", "input": ["a", "b"]}`)
			case 4:
				res, _, err = sendCtx(ctx, g, http.MethodPost, "/admin/v1/keys", admin, fmt.Sprintf(`{"name": "k%d", "role": "chat-only"}`, i))
			}
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids = append(ids, res.Header.Get("X-Request-Id"))
			mu.Unlock()
		})
	}
	wg.Wait()
	recs := log.all(t)
	if len(recs) < n {
		t.Fatalf("%d records after %d exchanges", len(recs), n)
	}
	for _, id := range ids {
		if k := len(byRequest(recs, id)); k != 1 {
			t.Errorf("%d records of request %s, want 1", k, id)
		}
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.ID] {
			t.Errorf("record id %s appears twice", r.ID)
		}
		seen[r.ID] = true
	}
	for _, p := range []string{"/audit/tile/0/000", "/audit/tile/entries/000"} {
		res, body := send(t, g, http.MethodGet, p, auditor, "")
		if res.StatusCode != http.StatusOK || len(body) == 0 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: %s, %d bytes, Cache-Control %q; want a full tile, cached for good", p, res.Status, len(body), res.Header.Get("Cache-Control"))
		}
	}
}
