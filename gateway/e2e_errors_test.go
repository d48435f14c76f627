package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// closedURL returns an upstream URL on a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/v1"
}

// errorGateway serves the default models plus failing ones: "gpt-down" (no
// server), "gpt-slow" (answers after the 200ms upstream timeout),
// "gpt-broken" (answers 500); a "no-stream" role (chat without stream); and
// a 4 KiB body limit.
func errorGateway(t *testing.T) *wardentest.Gateway {
	slow := wardentest.NewUpstream(t)
	slow.SetDelay(testTimeout)
	broken := wardentest.NewUpstream(t)
	broken.SetStatus(http.StatusInternalServerError)
	down := closedURL(t)
	// An upstream that refuses the credential Warden presents.
	wrong := wardentest.NewUpstream(t).Model("gpt-wrongkey", "m")
	env := fmt.Sprintf("WARDEN_TEST_WRONG_KEY_%d", time.Now().UnixNano())
	os.Setenv(env, "sk-wrong-credential-1234")
	t.Cleanup(func() { os.Unsetenv(env) })
	wrong.Upstream.APIKey = config.Secret("env:" + env)
	return wardentest.NewGateway(t, wardentest.GatewayOptions{
		Roles: append(wardentest.DefaultRoles(), config.Role{Name: "no-stream", Models: []string{"*"}, Capabilities: []string{"chat"}}),
		Configure: func(c *config.Config) {
			c.Server.MaxBodyBytes = 4096
			sm := slow.Model("gpt-slow", "slow-model")
			sm.Upstream.Timeout = config.Duration(200 * time.Millisecond)
			c.Models = append(c.Models, sm,
				broken.Model("gpt-broken", "broken-model"), wrong,
				config.Model{Name: "gpt-down", Upstream: config.Upstream{URL: down}})
		},
	})
}

// TestErrors checks that every refusal reaches the SDK as an *openai.Error
// with the right status and code.
func TestErrors(t *testing.T) {
	t.Parallel()
	g := errorGateway(t)
	issue := func(o wardentest.KeyOptions) func(t *testing.T) string {
		return func(t *testing.T) string { return g.NewKey(t, o).Secret }
	}
	secret := func(s string) func(t *testing.T) string { return func(*testing.T) string { return s } }
	admin, chatOnly := issue(wardentest.KeyOptions{Role: "admin"}), issue(wardentest.KeyOptions{Role: "chat-only"})
	revokedAfterUse := func(t *testing.T) string {
		k := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
		if err := chat(testContext(t), newClient(g, k.Secret), "gpt-test"); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
		g.Revoke(t, k.ID)
		return k.Secret
	}

	chatTo := func(model string) func(context.Context, openai.Client) error {
		return func(ctx context.Context, c openai.Client) error { return chat(ctx, c, model) }
	}
	streamTo := func(model string) func(context.Context, openai.Client) error {
		return func(ctx context.Context, c openai.Client) error {
			s := c.Chat.Completions.NewStreaming(ctx, chatParams(model))
			defer s.Close()
			for s.Next() {
			}
			return s.Err()
		}
	}
	embed := func(model string, opts ...option.RequestOption) func(context.Context, openai.Client) error {
		return func(ctx context.Context, c openai.Client) error {
			_, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
				Model: model, Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")},
			}, opts...)
			return err
		}
	}
	complete := func(model string) func(context.Context, openai.Client) error {
		return func(ctx context.Context, c openai.Client) error {
			_, err := c.Completions.New(ctx, openai.CompletionNewParams{
				Model: openai.CompletionNewParamsModel(model), Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("a")},
			})
			return err
		}
	}
	rawBody := func(body string) func(context.Context, openai.Client) error {
		return chatWith(option.WithRequestBody("application/json", []byte(body)))
	}
	huge := func(ctx context.Context, c openai.Client) error {
		p := chatParams("gpt-test")
		p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage(strings.Repeat("x", 8192))}
		_, err := c.Chat.Completions.New(ctx, p)
		return err
	}

	tests := []struct {
		name   string
		key    func(t *testing.T) string
		call   func(context.Context, openai.Client) error
		status int
		code   string
	}{
		{"missing key", secret(""), chatTo("gpt-test"), 401, "invalid_api_key"},
		{"unknown key", secret(auth.NewKey()), chatTo("gpt-test"), 401, "invalid_api_key"},
		{"malformed key", secret("sk-not-a-warden-key"), chatTo("gpt-test"), 401, "invalid_api_key"},
		{"expired key", issue(wardentest.KeyOptions{ExpiresAt: time.Now().Add(-time.Minute)}), chatTo("gpt-test"), 401, "invalid_api_key"},
		{"revoked key", revokedAfterUse, chatTo("gpt-test"), 401, "invalid_api_key"},
		{"missing key on models list", secret(""), func(ctx context.Context, c openai.Client) error {
			_, err := c.Models.List(ctx)
			return err
		}, 401, "invalid_api_key"},

		{"model not in role", chatOnly, chatTo("gpt-other"), 403, "model_not_allowed"},
		{"model not in key scope", issue(wardentest.KeyOptions{Role: "admin", Models: []string{"gpt-test"}}), chatTo("gpt-other"), 403, "model_not_allowed"},
		{"embeddings without capability", chatOnly, embed("gpt-test"), 403, "capability_not_allowed"},
		{"completions without capability", chatOnly, complete("gpt-test"), 403, "capability_not_allowed"},
		{"stream without capability", issue(wardentest.KeyOptions{Role: "no-stream"}), streamTo("gpt-test"), 403, "capability_not_allowed"},

		{"body not JSON", admin, rawBody(`{"model": "gpt-test",`), 400, "invalid_request"},
		{"body not an object", admin, rawBody(`["gpt-test"]`), 400, "invalid_request"},
		{"model missing", admin, rawBody(`{"messages": []}`), 400, "invalid_request"},
		{"model not a string", admin, rawBody(`{"model": 7}`), 400, "invalid_request"},
		{"model given twice", admin, rawBody(`{"model": "gpt-test", "model": "gpt-other"}`), 400, "invalid_request"},
		{"stream on embeddings", admin, embed("embed-test", option.WithJSONSet("stream", true)), 400, "invalid_request"},

		{"unknown model", admin, chatTo("no-such-model"), 404, "model_not_found"},
		{"unknown model, narrow role", chatOnly, chatTo("no-such-model"), 404, "model_not_found"},
		{"body too large", admin, huge, 413, "request_too_large"},

		{"upstream down", admin, chatTo("gpt-down"), 502, "upstream_unavailable"},
		{"upstream 500", admin, chatTo("gpt-broken"), 502, "upstream_error"},
		{"upstream refuses the gateway's credential", admin, chatTo("gpt-wrongkey"), 502, "upstream_auth_failed"},
		{"upstream 500 on a stream", admin, streamTo("gpt-broken"), 502, "upstream_error"},
		{"upstream timeout", admin, chatTo("gpt-slow"), 504, "upstream_timeout"},
		{"upstream timeout on a stream", admin, streamTo("gpt-slow"), 504, "upstream_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := tt.key(t)
			err := tt.call(testContext(t), newClient(g, key))
			wantAPIError(t, err, tt.status, tt.code, key)
		})
	}
}

func chatWith(opts ...option.RequestOption) func(context.Context, openai.Client) error {
	return func(ctx context.Context, c openai.Client) error { return chat(ctx, c, "gpt-test", opts...) }
}

// TestRawRequests sends what the SDK cannot: bodies of unknown length and
// requests with no client library at all.
func TestRawRequests(t *testing.T) {
	t.Parallel()
	g := errorGateway(t)
	key := g.NewKey(t, wardentest.KeyOptions{Role: "admin"})
	big := `{"model": "gpt-test", "messages": [{"role": "user", "content": "` + strings.Repeat("x", 8192) + `"}]}`
	tests := []struct {
		name    string
		body    io.Reader
		ctype   string
		status  int
		code    string
		content string // for 200, the answer
	}{
		{"malformed JSON", strings.NewReader(`{"model": "gpt-test", "messages": [}`), "application/json", 400, "invalid_request", ""},
		{"too large, chunked", io.MultiReader(strings.NewReader(big)), "application/json", 413, "request_too_large", ""},
		// A second model key in another case would reach a Go upstream
		// (which matches keys case-insensitively) unchecked.
		{"model smuggled in upper case", strings.NewReader(`{"model": "gpt-test", "MODEL": "gpt-other", "messages": []}`), "application/json", 400, "invalid_request", ""},
		{"stream smuggled in title case", strings.NewReader(`{"model": "gpt-test", "Stream": true, "messages": []}`), "application/json", 400, "invalid_request", ""},
		// Decoders disagree on case-variant keys anywhere in the body, so the
		// token estimate could read one max_tokens and the upstream another.
		{"max_tokens smuggled in another case", strings.NewReader(`{"model": "gpt-test", "max_tokens": 20000, "Max_Tokens": 1, "messages": []}`), "application/json", 400, "invalid_request", ""},
		// curl -d sends a form content type; the body is JSON all the same.
		{"form content type", strings.NewReader(`{"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}`), "application/x-www-form-urlencoded", 200, "", wardentest.DefaultContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, g.URL+"/chat/completions", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			req.Header.Set("Content-Type", tt.ctype)
			res, err := g.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got struct {
				Error *struct {
					Message, Type, Code string
				}
				Choices []struct{ Message struct{ Content string } }
			}
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatalf("%s: body is not JSON: %v", res.Status, err)
			}
			if res.StatusCode != tt.status {
				t.Fatalf("status %s, want %d (%+v)", res.Status, tt.status, got.Error)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tt.status == http.StatusOK {
				if len(got.Choices) != 1 || got.Choices[0].Message.Content != tt.content {
					t.Errorf("answer %+v, want %q", got.Choices, tt.content)
				}
				return
			}
			if got.Error == nil || got.Error.Code != tt.code || got.Error.Type != "invalid_request_error" || got.Error.Message == "" {
				t.Errorf("error %+v, want code %q of type invalid_request_error with a message", got.Error, tt.code)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

// TestAbortedStreamIsObserved: a stream cut short, by the upstream or by the
// client, must still be reported to the observers (access log, metrics and,
// later, the audit log), or a client could skip its audit record by hanging
// up before the end.
func TestAbortedStreamIsObserved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hook func(ctx context.Context) // at the third chunk
	}{
		{"upstream cuts the stream", func(context.Context) { panic(http.ErrAbortHandler) }},
		{"client hangs up", func(ctx context.Context) { <-ctx.Done() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := wardentest.NewUpstream(t)
			u.OnChunk(func(ctx context.Context, i int) {
				if i == 2 {
					tt.hook(ctx)
				}
			})
			g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u})
			key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			var res *http.Response
			c := newClient(g, key.Secret)
			s := c.Chat.Completions.NewStreaming(ctx, chatParams("gpt-test"), option.WithResponseInto(&res))
			if !s.Next() {
				t.Fatalf("no first chunk: %v", s.Err())
			}
			cancel() // the client hangs up, unless the upstream already did
			for s.Next() {
			}
			s.Close()
			g.AccessLog(t, res.Header.Get("X-Request-Id"))
		})
	}
}

// TestUpstreamIdleTimeout: an upstream that starts a stream and then goes
// silent is cut off after its idle timeout; the client's stream ends and the
// exchange is logged as aborted by the idle timeout.
func TestUpstreamIdleTimeout(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	u.OnChunk(func(ctx context.Context, i int) {
		if i == 1 {
			<-ctx.Done() // silent until Warden gives up
		}
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Upstream: u,
		Configure: func(c *config.Config) {
			for i := range c.Models {
				c.Models[i].Upstream.IdleTimeout = config.Duration(150 * time.Millisecond)
			}
		},
	})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	var res *http.Response
	c := newClient(g, key.Secret)
	s := c.Chat.Completions.NewStreaming(testContext(t), chatParams("gpt-test"), option.WithResponseInto(&res))
	if !s.Next() {
		t.Fatalf("no first chunk: %v", s.Err())
	}
	for s.Next() {
	}
	if s.Err() == nil {
		t.Fatal("the stream ended cleanly although the upstream went silent")
	}
	s.Close()
	line := g.AccessLog(t, res.Header.Get("X-Request-Id"))
	if line["aborted"] != true || !strings.Contains(fmt.Sprint(line["upstream_error"]), "idle timeout") {
		t.Fatalf("access log %v, want aborted by the idle timeout", line)
	}
}
