package gateway_test

// End-to-end tests of the data plane: a whole gateway (wardentest.Gateway)
// in front of a fake OpenAI-compatible model server (wardentest.Upstream),
// driven by the official OpenAI Go SDK as a client would drive it.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// testTimeout guards every call; no test should come near it.
const testTimeout = 20 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns an SDK client for g authenticating with key ("" sends
// no credentials). Retries are off so errors surface at once.
func newClient(g *wardentest.Gateway, key string, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(g.URL),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithHTTPClient(g.Client),
	}
	return openai.NewClient(append(base, opts...)...)
}

func chatParams(model string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello.")},
	}
}

// chat sends a chat completion and returns only the error.
func chat(ctx context.Context, c openai.Client, model string, opts ...option.RequestOption) error {
	_, err := c.Chat.Completions.New(ctx, chatParams(model), opts...)
	return err
}

// wantAPIError checks that err is an *openai.Error with this status and
// code, answered by Warden (it carries X-Request-Id) without echoing secret.
func wantAPIError(t *testing.T, err error, status int, code, secret string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v (%T), want *openai.Error %d %s", err, err, status, code)
	}
	if apiErr.StatusCode != status || apiErr.Code != code {
		t.Errorf("got %d code %q (%s), want %d code %q", apiErr.StatusCode, apiErr.Code, apiErr.Message, status, code)
	}
	if apiErr.Response != nil && !strings.HasPrefix(apiErr.Response.Header.Get("X-Request-Id"), "req_") {
		t.Errorf("error response has X-Request-Id %q, want req_...", apiErr.Response.Header.Get("X-Request-Id"))
	}
	if secret != "" && strings.Contains(apiErr.RawJSON(), secret) {
		t.Errorf("error body echoes the credential: %s", apiErr.RawJSON())
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "admin"})
	c := newClient(g, key.Secret)

	tests := []struct {
		name          string
		call          func(ctx context.Context, opt option.RequestOption) (string, error) // returns the answer
		want          string
		path          string // path the upstream saw
		upstreamModel string
	}{
		{
			name: "chat completion",
			call: func(ctx context.Context, opt option.RequestOption) (string, error) {
				res, err := c.Chat.Completions.New(ctx, chatParams("gpt-test"), opt)
				if err != nil {
					return "", err
				}
				return res.Choices[0].Message.Content, nil
			},
			want: wardentest.DefaultContent, path: "/v1/chat/completions", upstreamModel: "upstream-model",
		},
		{
			name: "completion",
			call: func(ctx context.Context, opt option.RequestOption) (string, error) {
				res, err := c.Completions.New(ctx, openai.CompletionNewParams{
					Model:  "gpt-other",
					Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hello.")},
				}, opt)
				if err != nil {
					return "", err
				}
				return res.Choices[0].Text, nil
			},
			want: wardentest.DefaultContent, path: "/v1/completions", upstreamModel: "other-model",
		},
		{
			name: "embedding (SDK default encoding)",
			call: func(ctx context.Context, opt option.RequestOption) (string, error) {
				res, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "embed-test",
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
				}, opt)
				if err != nil {
					return "", err
				}
				if len(res.Data) != 2 {
					return "", errors.New("want 2 embeddings")
				}
				return cmp.Diff([]float64{0.25, -0.5, 0.75}, res.Data[1].Embedding), nil
			},
			want: "", path: "/v1/embeddings", upstreamModel: "upstream-embed",
		},
		{
			name: "embedding (base64)",
			call: func(ctx context.Context, opt option.RequestOption) (string, error) {
				res, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model:          "embed-test",
					Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")},
					EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
				}, opt)
				if err != nil {
					return "", err
				}
				return cmp.Diff([]float64{0.25, -0.5, 0.75}, res.Data[0].Embedding), nil
			},
			want: "", path: "/v1/embeddings", upstreamModel: "upstream-embed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the upstream's last request is this case's.
			var res *http.Response
			got, err := tt.call(testContext(t), option.WithResponseInto(&res))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("answer: got %q, want %q", got, tt.want)
			}
			if id := res.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
				t.Errorf("X-Request-Id = %q, want req_...", id)
			}
			up, ok := g.Upstream.LastRequest()
			if !ok {
				t.Fatal("the upstream received nothing")
			}
			if up.Path != tt.path || up.JSON()["model"] != tt.upstreamModel {
				t.Errorf("upstream got %s with model %v, want %s with model %q", up.Path, up.JSON()["model"], tt.path, tt.upstreamModel)
			}
		})
	}
}

// TestChatStreamIsIncremental proves the gateway relays each SSE event as it
// arrives: the upstream refuses to send its last chunk until the client has
// received the first, which only a gateway that flushes per event allows.
func TestChatStreamIsIncremental(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	u.SetStream(wardentest.DefaultChunks, 5*time.Millisecond)
	clientGotFirst := make(chan struct{})
	heldUntilClientGotFirst := make(chan bool, 1)
	last := len(wardentest.DefaultChunks) - 1
	u.OnChunk(func(ctx context.Context, i int) {
		if i != last {
			return
		}
		select {
		case <-clientGotFirst:
			heldUntilClientGotFirst <- true
		case <-time.After(testTimeout / 2): // guard: the gateway is buffering
			heldUntilClientGotFirst <- false
		case <-ctx.Done():
			heldUntilClientGotFirst <- false
		}
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	c := newClient(g, key.Secret)

	var res *http.Response
	stream := c.Chat.Completions.NewStreaming(testContext(t), chatParams("gpt-test"), option.WithResponseInto(&res))
	defer stream.Close()
	var content strings.Builder
	var events int
	finish := ""
	for stream.Next() {
		ch := stream.Current()
		if events == 0 {
			close(clientGotFirst)
		}
		events++
		if len(ch.Choices) > 0 {
			content.WriteString(ch.Choices[0].Delta.Content)
			if fr := ch.Choices[0].FinishReason; fr != "" {
				finish = fr
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	select {
	case held := <-heldUntilClientGotFirst:
		if !held {
			t.Fatal("the first chunk did not reach the client before the upstream sent the last one: the stream is buffered")
		}
	case <-time.After(testTimeout):
		t.Fatal("the upstream never came to its last chunk")
	}
	if got := content.String(); got != wardentest.DefaultContent || finish != "stop" {
		t.Errorf("stream content %q (finish %q), want %q (stop)", got, finish, wardentest.DefaultContent)
	}
	if want := len(wardentest.DefaultChunks) + 1; events != want {
		t.Errorf("got %d events, want %d", events, want)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q", ct)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("stream response lacks X-Request-Id")
	}
	if up, _ := u.LastRequest(); up.JSON()["model"] != "upstream-model" || up.JSON()["stream"] != true {
		t.Errorf("upstream got model %v stream %v", up.JSON()["model"], up.JSON()["stream"])
	}
}

func TestModelsList(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	tests := []struct {
		name string
		key  wardentest.KeyOptions
		want []string
	}{
		{"admin sees every model", wardentest.KeyOptions{Role: "admin"}, []string{"gpt-test", "gpt-other", "embed-test"}},
		{"chat-only sees its model", wardentest.KeyOptions{Role: "chat-only"}, []string{"gpt-test"}},
		{"key scope narrows the role", wardentest.KeyOptions{Role: "admin", Models: []string{"gpt-*"}}, []string{"gpt-test", "gpt-other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(g, g.NewKey(t, tt.key).Secret)
			page, err := c.Models.List(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range page.Data {
				got = append(got, m.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("models (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeaderHygiene checks what crosses the gateway: the upstream gets its
// own key and model name and none of the client's credentials or forwarding
// claims; the client gets none of the upstream's cookies; X-Forwarded-For is
// believed only from a trusted proxy.
func TestHeaderHygiene(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted []string
		wantIP  string
	}{
		{"untrusted peer", nil, "127.0.0.1"},
		{"trusted proxy", []string{"127.0.0.1/32"}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := wardentest.NewGateway(t, wardentest.GatewayOptions{
				Configure: func(c *config.Config) { c.Server.TrustedProxies = tt.trusted },
			})
			key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
			c := newClient(g, key.Secret,
				option.WithHeader("X-Forwarded-For", "203.0.113.7"),
				option.WithHeader("Cookie", "session="+key.Secret),
				option.WithHeader("X-Api-Key", key.Secret),
			)
			var res *http.Response
			if err := chat(testContext(t), c, "gpt-test", option.WithResponseInto(&res)); err != nil {
				t.Fatal(err)
			}

			up, ok := g.Upstream.LastRequest()
			if !ok {
				t.Fatal("the upstream received nothing")
			}
			if got, want := up.Header.Get("Authorization"), "Bearer "+g.Upstream.Key; got != want {
				t.Errorf("upstream Authorization = %q, want the upstream's key", got)
			}
			for name, vals := range up.Header {
				for _, v := range vals {
					if strings.Contains(v, key.Secret) {
						t.Errorf("upstream received the client's key in %s", name)
					}
					if strings.Contains(v, "203.0.113.7") {
						t.Errorf("upstream received the client's forwarding claim in %s: %s", name, v)
					}
				}
			}
			for _, h := range []string{"Cookie", "X-Api-Key"} {
				if up.Header.Get(h) != "" {
					t.Errorf("upstream received client header %s", h)
				}
			}
			if up.JSON()["model"] != "upstream-model" {
				t.Errorf("upstream got model %v, want upstream-model", up.JSON()["model"])
			}

			if res.Header.Get("Openai-Organization") != "" || res.Header.Get("X-Ratelimit-Remaining-Requests") != "" {
				t.Error("the upstream's account or rate-limit headers reached the client")
			}
			if res.Header.Get("Set-Cookie") != "" {
				t.Error("the upstream's Set-Cookie reached the client")
			}
			if got := res.Header.Get("X-Upstream-Request-Id"); got != "upstream-req-1" {
				t.Errorf("X-Upstream-Request-Id = %q, want the upstream's id", got)
			}
			id := res.Header.Get("X-Request-Id")
			if !strings.HasPrefix(id, "req_") {
				t.Errorf("X-Request-Id = %q, want Warden's req_...", id)
			}
			if got := g.AccessLog(t, id)["client_ip"]; got != tt.wantIP {
				t.Errorf("gateway saw client_ip %v, want %s", got, tt.wantIP)
			}
			if logs := g.Logs(); strings.Contains(logs, key.Secret) || strings.Contains(logs, g.Upstream.Key) {
				t.Error("a credential appears in the gateway's log")
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	tests := []struct {
		name      string
		grace     time.Duration
		oldWorks  bool
		oldStatus int
	}{
		{"grace keeps the old secret", time.Hour, true, 0},
		{"no grace retires the old secret", 0, false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
			if err := chat(ctx, newClient(g, key.Secret), "gpt-test"); err != nil {
				t.Fatalf("before rotation: %v", err)
			}
			fresh := g.Rotate(t, key.ID, tt.grace)
			if err := chat(ctx, newClient(g, fresh), "gpt-test"); err != nil {
				t.Errorf("new secret: %v", err)
			}
			err := chat(ctx, newClient(g, key.Secret), "gpt-test")
			if tt.oldWorks {
				if err != nil {
					t.Errorf("old secret within grace: %v", err)
				}
				return
			}
			wantAPIError(t, err, tt.oldStatus, "invalid_api_key", key.Secret)
		})
	}
}

// TestModelsRetrieve: GET /v1/models/{id} (the SDKs' models.retrieve)
// answers for a model the caller may use, and 404 model_not_found alike
// for a model outside its roles and one that does not exist.
func TestModelsRetrieve(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	c := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret)
	m, err := c.Models.Get(testContext(t), "gpt-test")
	if err != nil || m.ID != "gpt-test" || m.Object != "model" {
		t.Fatalf("retrieve gpt-test: %+v %v", m, err)
	}
	var bodies []string
	for _, id := range []string{"gpt-other", "no-such-model"} {
		_, err := c.Models.Get(testContext(t), id)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "model_not_found" {
			t.Fatalf("retrieve %s: %v", id, err)
		}
		bodies = append(bodies, apiErr.RawJSON())
	}
	if bodies[0] != bodies[1] {
		t.Errorf("a model outside the role answers differently from a missing one:\n%s\n%s", bodies[0], bodies[1])
	}
}
