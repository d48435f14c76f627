package gateway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// anthropicServer speaks Anthropic's Messages API as its wire format has
// it: x-api-key and anthropic-version required, a message whole or as
// events, errors in Anthropic's shape. It answers with a text that carries
// an e-mail address, split across deltas when streamed, or with a tool use
// when the request offers tools.
type anthropicServer struct {
	*httptest.Server
	mu   sync.Mutex
	last []byte
}

func newAnthropicServer(t *testing.T) *anthropicServer {
	s := &anthropicServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last = body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/messages" || r.Header.Get("X-Api-Key") != "sk-ant-upstream" || r.Header.Get("Anthropic-Version") == "" || r.Header.Get("Authorization") != "" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		var q struct {
			Model     string
			MaxTokens int `json:"max_tokens"`
			Stream    bool
			Tools     []json.RawMessage
			Messages  []struct{ Role string }
		}
		if json.Unmarshal(body, &q) != nil || q.MaxTokens == 0 || len(q.Messages) == 0 || q.Messages[0].Role != "user" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"type":"error","error":{"type":"invalid_request_error","message":"messages: first message must use the user role"}}`)
			return
		}
		if q.Model == "claude-overloaded" {
			w.WriteHeader(529)
			fmt.Fprint(w, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
			return
		}
		tool := len(q.Tools) > 0
		if !q.Stream {
			w.Header().Set("Content-Type", "application/json")
			content := `[{"type":"text","text":"Reach me at bob@example.com any time."}]`
			stop := "end_turn"
			if tool {
				content, stop = `[{"type":"tool_use","id":"toolu_1","name":"send_mail","input":{"to":"bob@example.com"}}]`, "tool_use"
			}
			fmt.Fprintf(w, `{"id":"msg_01","type":"message","role":"assistant","model":%q,"content":%s,"stop_reason":%q,"stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":7}}`, q.Model, content, stop)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		ev := func(name, data string) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
			http.NewResponseController(w).Flush()
		}
		ev("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"usage":{"input_tokens":11,"output_tokens":1}}}`, q.Model))
		ev("ping", `{"type":"ping"}`)
		if tool {
			ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"send_mail","input":{}}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"to\":\"bob@exa"}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"mple.com\"}"}}`)
		} else {
			ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Reach me at bob@exam"}}`)
			ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ple.com any time."}}`)
		}
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
		stop := "end_turn"
		if tool {
			stop = "tool_use"
		}
		ev("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":7}}`, stop))
		ev("message_stop", `{"type":"message_stop"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *anthropicServer) lastBody() string { s.mu.Lock(); defer s.mu.Unlock(); return string(s.last) }

// TestAnthropicUpstream: a model whose upstream speaks Anthropic's Messages
// API (upstream.api: anthropic) serves chat completions (whole and
// streamed), the Responses API and the Messages API through the same
// controls: the upstream gets a message request with the e-mail redacted,
// Warden's own credential as x-api-key; the answer's e-mail is redacted,
// tool calls come back as tool calls, usage reaches the record, and the
// upstream's errors come back in each client's shape.
func TestAnthropicUpstream(t *testing.T) {
	t.Parallel()
	up := newAnthropicServer(t)
	keyFile := t.TempDir() + "/key"
	if err := os.WriteFile(keyFile, []byte("sk-ant-upstream\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Models: []config.Model{
			{Name: "gpt-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "claude-x", API: "anthropic", APIKey: config.Secret("file:" + keyFile)}},
			{Name: "gpt-other", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "claude-overloaded", API: "anthropic", APIKey: config.Secret("file:" + keyFile)}},
			{Name: "embed-test", Upstream: config.Upstream{URL: up.URL + "/v1", Model: "claude-x", API: "anthropic", APIKey: config.Secret("file:" + keyFile)}},
		},
		Configure: func(c *config.Config) {
			c.Content.Request = config.ContentStage{PII: map[string]string{"email": "redact"}}
			c.Content.Response = config.ContentStage{PII: map[string]string{"email": "redact"}}
		}})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret
	ctx := testContext(t)
	c := newClient(g, key)
	params := openai.ChatCompletionNewParams{Model: "gpt-test", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage("Be brief."), openai.UserMessage("Write to jane@example.com")}}
	r, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if r.Choices[0].Message.Content != "Reach me at [EMAIL_1] any time." || r.Usage.PromptTokens != 11 || r.Usage.CompletionTokens != 7 || r.Choices[0].FinishReason != "stop" {
		t.Fatalf("chat %+v", r)
	}
	last := up.lastBody()
	if strings.Contains(last, "jane@example.com") || !strings.Contains(last, `"system":[{"text":"Be brief.","type":"text"}]`) || !strings.Contains(last, `"max_tokens":4096`) {
		t.Fatalf("upstream got %s", last)
	}

	s := c.Chat.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	for s.Next() {
		if ch := s.Current(); len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if err := s.Err(); err != nil || text.String() != "Reach me at [EMAIL_1] any time." {
		t.Fatalf("stream %q %v", text.String(), err)
	}

	// Tool calls, whole and streamed, with PII in their arguments.
	tools := []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "send_mail"})}
	tr, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-test", Tools: tools, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("mail bob")}})
	if err != nil || len(tr.Choices[0].Message.ToolCalls) != 1 || tr.Choices[0].FinishReason != "tool_calls" ||
		!strings.Contains(tr.Choices[0].Message.ToolCalls[0].Function.Arguments, "[EMAIL_1]") {
		t.Fatalf("tool call %+v %v", tr, err)
	}

	// Anthropic's own SDK, through two translations.
	ac := anthropicClient(g, key)
	msg, err := ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "gpt-test", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Write to jane@example.com"))}})
	if err != nil || msg.Content[0].Text != "Reach me at [EMAIL_1] any time." || !strings.Contains(up.lastBody(), `"max_tokens":64`) {
		t.Fatalf("messages %+v %v", msg, err)
	}

	// The upstream's errors come back in OpenAI's shape (529 is a 5xx: 502).
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-other", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("overloaded upstream: %v", err)
	}
	// An assistant message first is refused by the upstream: its 400 reaches the client in OpenAI's shape.
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", key, `{"model":"gpt-test","messages":[{"role":"assistant","content":"hi"}]}`)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "first message must use the user role") {
		t.Fatalf("upstream 400: %s %s", res.Status, b)
	}
	// What Messages cannot carry is refused before it is sent.
	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", key, `{"model":"gpt-test","n":2,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `n:`) {
		t.Fatalf("n=2: %s %s", res.Status, b)
	}
	res, b = send(t, g, http.MethodPost, "/v1/embeddings", key, `{"model":"embed-test","input":"hi"}`)
	if res.StatusCode != http.StatusBadRequest || errorCode(b) != "unsupported_endpoint" {
		t.Fatalf("embeddings: %s %s", res.Status, b)
	}
}
