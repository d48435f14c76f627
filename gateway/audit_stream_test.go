package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// usageContent is the answer of a usageUpstream, streamed as usageChunks.
const usageContent = "The answer is 42."

var usageChunks = []string{"The ", "answer ", "is ", "42."}

// newUsageUpstream starts a chat model server that, unlike
// wardentest.Upstream, reports token usage in its streams too (in a last
// chunk without choices, as OpenAI does with stream_options.include_usage):
// 11 prompt and 4 completion tokens. It counts the requests it receives.
func newUsageUpstream(t *testing.T) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		usage := map[string]int{"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"id": "chatcmpl-usage", "object": "chat.completion", "created": 1, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
					"message": map[string]any{"role": "assistant", "content": usageContent}}},
				"usage": usage,
			})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(choices []any, usage any) {
			b, _ := json.Marshal(map[string]any{"id": "chatcmpl-usage", "object": "chat.completion.chunk", "created": 1,
				"model": req.Model, "choices": choices, "usage": usage})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		for i, c := range usageChunks {
			delta := map[string]any{"content": c}
			if i == 0 {
				delta["role"] = "assistant"
			}
			send([]any{map[string]any{"index": 0, "delta": delta, "finish_reason": nil}}, nil)
		}
		send([]any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}, nil)
		send([]any{}, usage)
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", &n
}

// streamGateway serves the default models and "gpt-usage" on a
// usageUpstream.
func streamGateway(t *testing.T, configure func(c *config.Config)) *wardentest.Gateway {
	usageURL, _ := newUsageUpstream(t)
	return wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles: auditRoles(),
		Configure: func(c *config.Config) {
			c.Models = append(c.Models, config.Model{Name: "gpt-usage", Upstream: config.Upstream{URL: usageURL, Model: "usage-model"}})
			if configure != nil {
				configure(c)
			}
		},
	})
}

// sseLines returns a streamed body's non-empty lines.
func sseLines(body []byte) []string {
	var out []string
	for l := range strings.SplitSeq(string(body), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// streamedText concatenates the content deltas of a streamed chat body.
func streamedText(t *testing.T, body []byte) string {
	t.Helper()
	var b strings.Builder
	for _, l := range sseLines(body) {
		data, ok := strings.CutPrefix(l, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct{ Content string }
			}
			Error any
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		for _, c := range ev.Choices {
			b.WriteString(c.Delta.Content)
		}
	}
	return b.String()
}

const auditComment = ": warden-audit-index "

// streamIndex checks where a streamed body announces its record: exactly one
// ": warden-audit-index N" comment, right before the final "data: [DONE]"
// and after every event, and returns N.
func streamIndex(t *testing.T, body []byte) uint64 {
	t.Helper()
	lines := sseLines(body)
	var comments []int
	for i, l := range lines {
		if strings.HasPrefix(l, auditComment) {
			comments = append(comments, i)
		}
	}
	if len(comments) != 1 {
		t.Fatalf("%d audit comments in the stream, want 1:\n%s", len(comments), body)
	}
	n := len(lines)
	if n < 2 || lines[n-1] != "data: [DONE]" || comments[0] != n-2 {
		t.Fatalf("the audit comment is not right before a final data: [DONE]:\n%s", body)
	}
	index, err := strconv.ParseUint(strings.TrimPrefix(lines[n-2], auditComment), 10, 64)
	if err != nil {
		t.Fatalf("audit comment %q: %v", lines[n-2], err)
	}
	return index
}

// TestAuditStream: a streamed answer's record is committed before its final
// [DONE] and announced in one SSE comment just before it, which SDKs skip;
// the record says it was a stream, carries the upstream's usage when there
// was any, and hashes the streamed answer exactly as the same answer not
// streamed.
func TestAuditStream(t *testing.T) {
	t.Parallel()
	g := streamGateway(t, nil)
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	h := contentHasher(g)
	models := []struct {
		name       string
		content    string
		tokens     *auditlog.Tokens // in a stream's record
		jsonTokens *auditlog.Tokens // in a JSON answer's record
	}{
		// wardentest.Upstream reports no usage in streams.
		{"gpt-test", wardentest.DefaultContent, nil, &auditlog.Tokens{Prompt: 5, Completion: 4}},
		{"gpt-usage", usageContent, &auditlog.Tokens{Prompt: 11, Completion: 4}, &auditlog.Tokens{Prompt: 11, Completion: 4}},
	}

	t.Run("SDK", func(t *testing.T) {
		c := newClient(g, admin)
		for _, m := range models {
			t.Run(m.name, func(t *testing.T) {
				var res *http.Response
				params := chatParams(m.name)
				params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				s := c.Chat.Completions.NewStreaming(testContext(t), params, option.WithResponseInto(&res))
				var b strings.Builder
				for s.Next() {
					for _, ch := range s.Current().Choices {
						b.WriteString(ch.Delta.Content)
					}
				}
				if err := s.Err(); err != nil {
					t.Fatalf("stream: %v", err)
				}
				s.Close()
				if b.String() != m.content {
					t.Errorf("streamed %q, want %q", b.String(), m.content)
				}
				if !strings.HasPrefix(res.Header.Get("X-Warden-Audit-Id"), "aud_") {
					t.Errorf("X-Warden-Audit-Id %q", res.Header.Get("X-Warden-Audit-Id"))
				}
			})
		}
	})

	t.Run("raw", func(t *testing.T) {
		for _, m := range models {
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				res, body := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody(m.name, "Say hello.", true))
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
					t.Fatalf("%s %s: %s", res.Status, res.Header.Get("Content-Type"), body)
				}
				if got := streamedText(t, body); got != m.content {
					t.Errorf("streamed %q, want %q", got, m.content)
				}
				streamed := log.entry(t, streamIndex(t, body))
				checkOwn(t, streamed, res)
				checkShape(t, streamed)
				if !streamed.Stream || streamed.Status != 200 || streamed.Decision != "allow" {
					t.Errorf("stream %v status %d decision %q, want a streamed 200 allowed", streamed.Stream, streamed.Status, streamed.Decision)
				}
				if !cmp.Equal(streamed.Tokens, m.tokens) {
					t.Errorf("tokens %s, want %+v", streamed.Raw["tokens"], m.tokens)
				}
				wantResponse := h.Sum([]auditlog.Part{{Role: "assistant", Text: m.content}})
				if string(streamed.ResponseHash) != wantResponse {
					t.Errorf("response_hash %s, want %s, the hash of the answer", streamed.Raw["response_hash"], wantResponse)
				}

				// The same exchange, not streamed.
				res, body = send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody(m.name, "Say hello.", false))
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: %s", res.Status, body)
				}
				if bytes.Contains(body, []byte("warden-audit-index")) {
					t.Error("a JSON answer carries the SSE audit comment")
				}
				whole := log.released(t, res)
				if whole.Stream {
					t.Error("a JSON answer recorded as a stream")
				}
				if whole.ResponseHash != streamed.ResponseHash || whole.PromptHash != streamed.PromptHash || whole.PromptHash == "" {
					t.Errorf("hashes differ between the streamed and the whole answer: prompt %s / %s, response %s / %s",
						streamed.PromptHash, whole.PromptHash, streamed.ResponseHash, whole.ResponseHash)
				}
				if !cmp.Equal(whole.Tokens, m.jsonTokens) {
					t.Errorf("tokens %s, want %+v", whole.Raw["tokens"], m.jsonTokens)
				}
			})
		}
	})

	t.Run("stream refused before it starts", func(t *testing.T) {
		// A refusal of a stream is an ordinary JSON error with the index
		// in its headers.
		chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, chatBody("gpt-usage", "Say hello.", true))
		if res.StatusCode != http.StatusForbidden || bytes.Contains(body, []byte(auditComment)) {
			t.Fatalf("%s %s", res.Status, body)
		}
		if rec := log.released(t, res); !rec.Stream || rec.Decision != "deny" {
			t.Errorf("stream %v decision %q, want a denied stream", rec.Stream, rec.Decision)
		}
	})
	log.all(t)
}

// TestAuditContentHash: a record's prompt_hash is what POST
// /admin/v1/audit/hash gives for the same messages, or for the text of a
// single user message; the content parts of a message hash as their text
// concatenated.
func TestAuditContentHash(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles()})
	auditor := g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret
	chatOnly := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	log := openAuditLog(t, g, auditor)
	const question = `What is 6×7? <b>&</b> "quoted"`

	chatWith := func(messages any) logged {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"model": "gpt-test", "messages": messages})
		res, body := send(t, g, http.MethodPost, "/v1/chat/completions", chatOnly, string(b))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("chat: %s %s", res.Status, body)
		}
		return log.released(t, res)
	}
	hashOf := func(secret, req string) (int, string) {
		t.Helper()
		res, body := send(t, g, http.MethodPost, "/admin/v1/audit/hash", secret, req)
		var out struct{ Hash string }
		json.Unmarshal(body, &out)
		return res.StatusCode, out.Hash
	}
	mustHash := func(req string) string {
		t.Helper()
		status, h := hashOf(auditor, req)
		if status != http.StatusOK || !contentHashRE.MatchString(h) {
			t.Fatalf("POST /admin/v1/audit/hash %s: %d %q", req, status, h)
		}
		return h
	}

	conversation := []map[string]any{
		{"role": "system", "content": "You are terse."},
		{"role": "user", "content": question},
	}
	convJSON, _ := json.Marshal(map[string]any{"messages": conversation})
	conv := chatWith(conversation)
	if want := mustHash(string(convJSON)); string(conv.PromptHash) != want {
		t.Errorf("conversation: prompt_hash %s, /audit/hash gives %s", conv.PromptHash, want)
	}

	single := chatWith([]map[string]any{{"role": "user", "content": question}})
	q, _ := json.Marshal(question)
	for _, req := range []string{
		fmt.Sprintf(`{"text": %s, "role": "user"}`, q),
		fmt.Sprintf(`{"text": %s}`, q),
		fmt.Sprintf(`{"messages": [{"role": "user", "content": %s}]}`, q),
	} {
		if got := mustHash(req); got != string(single.PromptHash) {
			t.Errorf("%s gives %s, the record has %s", req, got, single.PromptHash)
		}
	}
	if single.PromptHash == conv.PromptHash {
		t.Error("a conversation hashes like its last message alone")
	}
	if other := mustHash(fmt.Sprintf(`{"text": %s, "role": "assistant"}`, q)); other == string(single.PromptHash) {
		t.Error("the role does not enter the hash")
	}
	parts := chatWith([]map[string]any{{"role": "user", "content": []any{
		map[string]any{"type": "text", "text": "What is 6×7? "},
		map[string]any{"type": "text", "text": `<b>&</b> "quoted"`},
	}}})
	if parts.PromptHash != single.PromptHash {
		t.Errorf("text parts hash %s, their concatenation %s", parts.PromptHash, single.PromptHash)
	}
	if want := contentHasher(g).Sum([]auditlog.Part{{Role: "user", Text: question}}); string(single.PromptHash) != want {
		t.Errorf("prompt_hash %s, want %s by design §3.4", single.PromptHash, want)
	}

	for _, c := range []struct {
		name, secret, body string
		status             int
	}{
		{"no audit.read", chatOnly, `{"text": "x"}`, 403},
		{"no credentials", "", `{"text": "x"}`, 401},
		{"both text and messages", auditor, `{"text": "x", "messages": []}`, 400},
		{"neither", auditor, `{}`, 400},
		{"not JSON", auditor, `{"text":`, 400},
	} {
		if status, _ := hashOf(c.secret, c.body); status != c.status {
			t.Errorf("%s: %d, want %d", c.name, status, c.status)
		}
	}
	log.all(t)
}

// findRecord waits up to 2 s for the record with audit id to be in the log
// (verified whole) and returns it.
func findRecord(t *testing.T, log *auditLog, id string) logged {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		for _, r := range log.all(t) {
			if r.ID == id {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s is not in the log after 2s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditAsync: with durability async, responses do not wait for their
// records: they carry X-Warden-Audit-Id (the record's id, known up front)
// but no index, streams have no audit comment, and the records still land
// in the log.
func TestAuditAsync(t *testing.T) {
	t.Parallel()
	g := streamGateway(t, func(c *config.Config) { c.Audit.Durability = config.DurabilityAsync })
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	admin := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	tests := []struct {
		name, method, path, secret, body string
		status                           int
		stream                           bool
	}{
		{"chat", http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-usage", "Say hello.", false), 200, false},
		{"stream", http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-usage", "Say hello.", true), 200, true},
		{"refusal", http.MethodPost, "/v1/chat/completions", "", chatBody("gpt-test", "Say hello.", false), 401, false},
		{"models", http.MethodGet, "/v1/models", admin, "", 200, false},
		{"admin act", http.MethodPost, "/admin/v1/keys", admin, `{"name": "n", "role": "chat-only"}`, 201, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := send(t, g, tt.method, tt.path, tt.secret, tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s", res.Status, body)
			}
			id := res.Header.Get("X-Warden-Audit-Id")
			if !strings.HasPrefix(id, "aud_") {
				t.Fatalf("X-Warden-Audit-Id %q", id)
			}
			if idx := res.Header.Get("X-Warden-Audit-Index"); idx != "" {
				t.Errorf("X-Warden-Audit-Index %q in async mode", idx)
			}
			if tt.stream {
				lines := sseLines(body)
				if bytes.Contains(body, []byte(auditComment)) || lines[len(lines)-1] != "data: [DONE]" {
					t.Errorf("async stream, want no audit comment and a final [DONE]:\n%s", body)
				}
				if got := streamedText(t, body); got != usageContent {
					t.Errorf("streamed %q", got)
				}
			}
			rec := findRecord(t, log, id)
			checkOwn(t, rec, res)
			if rec.Status != tt.status || rec.Stream != tt.stream {
				t.Errorf("record status %d stream %v, want %d %v", rec.Status, rec.Stream, tt.status, tt.stream)
			}
			if tt.stream && (rec.ResponseHash == "" || rec.Tokens == nil) {
				t.Errorf("stream record without response_hash or tokens: %s", rec.Entry)
			}
		})
	}
}

// abortedStream runs a stream that never reaches its [DONE] — the client
// hangs up, or the upstream breaks off — once "Hello, " has been relayed,
// and returns its record (committed after the fact, found by the
// X-Warden-Audit-Id its headers carried) and the gateway.
func abortedStream(t *testing.T, clientHangsUp bool) (logged, *wardentest.Gateway) {
	u := wardentest.NewUpstream(t)
	u.OnChunk(func(ctx context.Context, i int) {
		if i == 2 {
			if clientHangsUp {
				<-ctx.Done()
			} else {
				panic(http.ErrAbortHandler)
			}
		}
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: auditRoles()})
	log := openAuditLog(t, g, g.NewKey(t, wardentest.KeyOptions{Role: "auditor"}).Secret)
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var res *http.Response
	c := newClient(g, key.Secret)
	s := c.Chat.Completions.NewStreaming(ctx, chatParams("gpt-test"), option.WithResponseInto(&res))
	var got strings.Builder
	for s.Next() {
		for _, ch := range s.Current().Choices {
			got.WriteString(ch.Delta.Content)
		}
		if got.String() == "Hello, " && clientHangsUp {
			cancel()
		}
	}
	s.Close()
	if got.String() != "Hello, " {
		t.Fatalf("the client got %q before the cut, want %q", got.String(), "Hello, ")
	}
	rec := findRecord(t, log, res.Header.Get("X-Warden-Audit-Id"))
	checkOwn(t, rec, res)
	return rec, g
}

// TestAuditAbortedStream: a stream cut before its [DONE] still gets its one
// record, which hashes what was relayed before the cut (design §3.4: the
// response is what Warden released) and says it was cut, and by whom.
func TestAuditAbortedStream(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		clientHangsUp bool
		code          string
	}{{"client hangs up", true, "client_closed"}, {"upstream breaks off", false, "upstream_aborted"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, g := abortedStream(t, tt.clientHangsUp)
			if !rec.Stream || rec.Status != http.StatusOK || rec.Decision != "allow" {
				t.Errorf("stream %v status %d decision %q", rec.Stream, rec.Status, rec.Decision)
			}
			if want := contentHasher(g).Sum([]auditlog.Part{{Role: "assistant", Text: "Hello, "}}); string(rec.ResponseHash) != want {
				t.Errorf("response_hash %s, want %s, the hash of the %q relayed before the cut", rec.Raw["response_hash"], want, "Hello, ")
			}
			if want := `{"type":"aborted","code":"` + tt.code + `"}`; string(rec.Raw["error"]) != want {
				t.Errorf("error %s, want %s", rec.Raw["error"], want)
			}
		})
	}
}
