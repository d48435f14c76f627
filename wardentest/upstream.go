// Package wardentest provides helpers for testing Warden end to end against
// real servers: a fake OpenAI-compatible model server (Upstream) and a whole
// gateway started on a loopback port with its own store and master key
// (Gateway). Tests in any package may import it; nothing else should.
package wardentest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
)

// Request is one request an Upstream received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// JSON decodes the request body into a map (nil if it is not a JSON object).
func (r Request) JSON() map[string]any {
	var m map[string]any
	json.Unmarshal(r.Body, &m)
	return m
}

// Upstream is a fake OpenAI-compatible model server on httptest.NewServer.
// It answers POST /v1/chat/completions (JSON, or SSE when "stream": true),
// POST /v1/completions (likewise), POST /v1/embeddings and GET /v1/models,
// echoing the model it was asked for. It refuses requests that do not carry
// its own key (401, code "upstream_invalid_key"), and records every request
// it receives. Knobs are set with methods and are safe to change at any time.
type Upstream struct {
	// URL is the base URL including /v1, as a model's upstream.url.
	URL string
	// Key is the API key it requires as "Authorization: Bearer <Key>".
	Key string
	// KeyRef is an env: reference to Key, for a model's upstream.api_key.
	KeyRef config.Secret

	srv *httptest.Server

	mu         sync.Mutex
	delay      time.Duration
	status     int
	chunks     []string
	chunkDelay time.Duration
	onChunk    func(ctx context.Context, i int)
	reqs       []Request
}

// DefaultChunks are the content pieces of a streamed answer; joined, they are
// DefaultContent, the content of a non-streamed one.
var DefaultChunks = []string{"Hello", ", ", "wor", "ld", "!"}

// DefaultContent is the assistant's answer: the DefaultChunks joined.
const DefaultContent = "Hello, world!"

var envSeq atomic.Int64

// NewUpstream starts an Upstream, closed when the test ends. Its key is random
// and placed in an environment variable of its own (named in KeyRef), removed
// when the test ends. (t.Setenv is not used: it is refused in parallel tests.)
func NewUpstream(t testing.TB) *Upstream {
	t.Helper()
	var b [16]byte
	rand.Read(b[:])
	u := &Upstream{Key: "sk-upstream-" + hex.EncodeToString(b[:]), chunks: DefaultChunks}
	env := fmt.Sprintf("WARDENTEST_UPSTREAM_KEY_%d_%d", os.Getpid(), envSeq.Add(1))
	os.Setenv(env, u.Key)
	u.KeyRef = config.Secret("env:" + env)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", u.chat)
	mux.HandleFunc("POST /v1/completions", u.completions)
	mux.HandleFunc("POST /v1/embeddings", u.embeddings)
	mux.HandleFunc("GET /v1/models", u.models)
	u.srv = httptest.NewServer(u.guard(mux))
	u.URL = u.srv.URL + "/v1"
	t.Cleanup(func() {
		u.srv.Close()
		os.Unsetenv(env)
	})
	return u
}

// Model returns a model configuration named name that this Upstream serves
// under upstreamModel, with its key reference.
func (u *Upstream) Model(name, upstreamModel string) config.Model {
	return config.Model{Name: name, Upstream: config.Upstream{URL: u.URL, Model: upstreamModel, APIKey: u.KeyRef}}
}

// SetDelay makes the Upstream wait d before answering (before its response
// headers). It stops waiting if the caller goes away.
func (u *Upstream) SetDelay(d time.Duration) { u.mu.Lock(); u.delay = d; u.mu.Unlock() }

// SetStatus makes the Upstream answer every request with an OpenAI-shaped
// error of this status (code "upstream_failure"); 0 restores normal answers.
func (u *Upstream) SetStatus(code int) { u.mu.Lock(); u.status = code; u.mu.Unlock() }

// SetStream sets the content pieces of streamed answers and the pause
// between them.
func (u *Upstream) SetStream(chunks []string, between time.Duration) {
	u.mu.Lock()
	u.chunks, u.chunkDelay = append([]string(nil), chunks...), between
	u.mu.Unlock()
}

// OnChunk sets a hook called before a stream's content chunk i (0-based) is
// written; it may block, to hold the stream at a chosen point. ctx is the
// request's, done when the caller goes away. nil removes the hook.
func (u *Upstream) OnChunk(f func(ctx context.Context, i int)) {
	u.mu.Lock()
	u.onChunk = f
	u.mu.Unlock()
}

// Requests returns a copy of every request received so far, in order.
func (u *Upstream) Requests() []Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Request(nil), u.reqs...)
}

// LastRequest returns the latest request received; ok is false if none was.
func (u *Upstream) LastRequest() (r Request, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		return Request{}, false
	}
	return u.reqs[len(u.reqs)-1], true
}

// guard records the request, checks the key and applies the delay and error
// knobs before the endpoint handler runs.
func (u *Upstream) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		u.mu.Lock()
		u.reqs = append(u.reqs, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		delay, status := u.delay, u.status
		u.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("X-Request-Id", "upstream-req-1")
		w.Header().Set("Set-Cookie", "upstream_session=1")
		w.Header().Set("Openai-Organization", "upstream-org")
		w.Header().Set("X-Ratelimit-Remaining-Requests", "42")
		switch {
		case r.Header.Get("Authorization") != "Bearer "+u.Key:
			writeError(w, http.StatusUnauthorized, "upstream_invalid_key", "the upstream's key was not presented")
		case status != 0:
			writeError(w, status, "upstream_failure", "the upstream failed as told")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": msg, "type": "server_error", "param": nil, "code": code,
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// request is the part of a request body the Upstream reads.
type request struct {
	Model          string          `json:"model"`
	Stream         bool            `json:"stream"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
}

func decode(w http.ResponseWriter, r *http.Request) (request, bool) {
	var q request
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil || q.Model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "body must be JSON with a model")
		return q, false
	}
	return q, true
}

var usage = map[string]int{"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}

func (u *Upstream) chat(w http.ResponseWriter, r *http.Request) {
	q, ok := decode(w, r)
	if !ok {
		return
	}
	if q.Stream {
		u.stream(w, r, q.Model, "chat.completion.chunk", func(piece string, first bool, finish any) any {
			delta := map[string]any{}
			if first {
				delta["role"] = "assistant"
			}
			if piece != "" {
				delta["content"] = piece
			}
			return map[string]any{"index": 0, "delta": delta, "finish_reason": finish}
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": q.Model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": u.content()},
		}},
		"usage": usage,
	})
}

func (u *Upstream) completions(w http.ResponseWriter, r *http.Request) {
	q, ok := decode(w, r)
	if !ok {
		return
	}
	if q.Stream {
		u.stream(w, r, q.Model, "text_completion", func(piece string, _ bool, finish any) any {
			return map[string]any{"index": 0, "text": piece, "finish_reason": finish, "logprobs": nil}
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "cmpl-fake", "object": "text_completion", "created": time.Now().Unix(), "model": q.Model,
		"choices": []any{map[string]any{"index": 0, "text": u.content(), "finish_reason": "stop", "logprobs": nil}},
		"usage":   usage,
	})
}

func (u *Upstream) content() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strings.Join(u.chunks, "")
}

// stream writes one SSE event per content chunk, flushing each, then a final
// event with finish_reason "stop", then "data: [DONE]".
func (u *Upstream) stream(w http.ResponseWriter, r *http.Request, model, object string, choice func(piece string, first bool, finish any) any) {
	u.mu.Lock()
	chunks, between, hook := u.chunks, u.chunkDelay, u.onChunk
	u.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	created := time.Now().Unix()
	send := func(c any) bool {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake", "object": object, "created": created, "model": model, "choices": []any{c}})
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for i, piece := range chunks {
		if i > 0 && between > 0 {
			select {
			case <-time.After(between):
			case <-r.Context().Done():
				return
			}
		}
		if hook != nil {
			hook(r.Context(), i)
		}
		if !send(choice(piece, i == 0, nil)) {
			return
		}
	}
	if !send(choice("", len(chunks) == 0, "stop")) {
		return
	}
	io.WriteString(w, "data: [DONE]\n\n")
	rc.Flush()
}

func (u *Upstream) embeddings(w http.ResponseWriter, r *http.Request) {
	q, ok := decode(w, r)
	if !ok {
		return
	}
	n := 1
	var list []json.RawMessage
	if json.Unmarshal(q.Input, &list) == nil && len(list) > 0 {
		n = len(list)
	}
	vec := []float32{0.25, -0.5, 0.75}
	data := make([]any, n)
	for i := range data {
		var emb any = vec
		if q.EncodingFormat == "base64" {
			b := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "model": q.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": 3, "total_tokens": 3},
	})
}

func (u *Upstream) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{
		map[string]any{"id": "upstream-model", "object": "model", "created": 0, "owned_by": "fake"},
	}})
}
