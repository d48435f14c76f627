package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/wardentest"
)

func limitedRoles(l config.Limits) []config.Role {
	return append(wardentest.DefaultRoles(), config.Role{Name: "limited", Models: []string{"gpt-*"}, Capabilities: []string{"chat", "stream"}, Limits: l})
}

// chatHeaders sends a chat completion and returns the response headers and
// the error.
func chatHeaders(ctx context.Context, c openai.Client, params openai.ChatCompletionNewParams) (http.Header, error) {
	var res *http.Response
	_, err := c.Chat.Completions.New(ctx, params, option.WithResponseInto(&res))
	if res == nil {
		return nil, err
	}
	return res.Header, err
}

// TestRequestsPerMinute: the role's budget holds, the refusal is a 429 the
// SDK surfaces with Retry-After and OpenAI's headers, and a key's own --rpm
// narrows its role's.
func TestRequestsPerMinute(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: limitedRoles(config.Limits{RequestsPerMinute: 3})})
	ctx := testContext(t)
	c := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited"}).Secret)
	for i := range 3 {
		h, err := chatHeaders(ctx, c, chatParams("gpt-test"))
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if h.Get("X-Ratelimit-Limit-Requests") != "3" || h.Get("X-Ratelimit-Remaining-Requests") != strconv.Itoa(2-i) || h.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Fatalf("request %d headers: %v", i+1, h)
		}
	}
	h, err := chatHeaders(ctx, c, chatParams("gpt-test"))
	wantAPIError(t, err, http.StatusTooManyRequests, "rate_limit_exceeded", "")
	if ra, _ := strconv.Atoi(h.Get("Retry-After")); ra < 1 || ra > 60 || h.Get("X-Ratelimit-Remaining-Requests") != "0" {
		t.Fatalf("429 headers: %v", h)
	}
	// Another principal has its own budget.
	if err := chat(ctx, newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited"}).Secret), "gpt-test"); err != nil {
		t.Fatalf("second key: %v", err)
	}
	// A key's own rpm narrows the role's, never widens it.
	narrow := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited", RPM: 1}).Secret)
	if err := chat(ctx, narrow, "gpt-test"); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, chat(ctx, narrow, "gpt-test"), http.StatusTooManyRequests, "rate_limit_exceeded", "")
	wide := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited", RPM: 100}).Secret)
	for range 3 {
		chat(ctx, wide, "gpt-test")
	}
	wantAPIError(t, chat(ctx, wide, "gpt-test"), http.StatusTooManyRequests, "rate_limit_exceeded", "")
}

// TestTokenBudgets: tokens are reserved before forwarding (prompt estimate +
// max_tokens) and reconciled with the upstream's usage afterwards; a request
// larger than the budget is refused as such.
func TestTokenBudgets(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: limitedRoles(config.Limits{TokensPerDay: 2000})})
	ctx := testContext(t)
	key := g.NewKey(t, wardentest.KeyOptions{Role: "limited"})
	c := newClient(g, key.Secret)
	params := chatParams("gpt-test")
	params.MaxTokens = openai.Int(100)

	h1, err := chatHeaders(ctx, c, params)
	if err != nil {
		t.Fatal(err)
	}
	g.AccessLog(t, h1.Get("X-Request-Id")) // reconciled once logged
	reserved := 2000 - mustInt(t, h1.Get("X-Ratelimit-Remaining-Tokens"))
	if reserved <= 100 {
		t.Fatalf("reserved %d tokens, want the prompt estimate plus max_tokens (100)", reserved)
	}
	// The upstream reported 9 tokens; the next reservation is the same size,
	// so what remains is 2000 - 9 - reserved.
	h2, err := chatHeaders(ctx, c, params)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustInt(t, h2.Get("X-Ratelimit-Remaining-Tokens")), 2000-9-reserved; got != want {
		t.Fatalf("remaining after reconciliation = %d, want %d", got, want)
	}
	params.MaxTokens = openai.Int(5000)
	h, err := chatHeaders(ctx, c, params)
	wantAPIError(t, err, http.StatusTooManyRequests, "tokens_exceed_limit", "")
	if h.Get("Retry-After") != "" {
		t.Error("a request that can never fit was told to retry")
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		if rec := g.AccessLog(t, apiErr.Response.Header.Get("X-Request-Id")); firstReason(rec) != "limit.request_exceeds_limit" {
			t.Fatalf("recorded %v", rec)
		}
	}
}

func mustInt(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// TestSharedLimitAcrossReplicas: two gateways sharing one Redis enforce one
// budget between them.
func TestSharedLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	if os.Getenv("WARDEN_TEST_SKIP_REDIS") == "1" {
		t.Skip("WARDEN_TEST_SKIP_REDIS=1")
	}
	prefix := fmt.Sprintf("warden-test-%d:", time.Now().UnixNano())
	newLimiter := func() ratelimit.Limiter {
		rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		t.Cleanup(func() { rc.Close() })
		return ratelimit.NewRedis(rc, prefix)
	}
	u := wardentest.NewUpstream(t)
	roles := limitedRoles(config.Limits{RequestsPerMinute: 4})
	g1 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: roles, Limiter: newLimiter()})
	g2 := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: roles, Limiter: newLimiter()})
	// The same key in both gateways' stores (as a shared PostgreSQL would hold it).
	key := g1.NewKey(t, wardentest.KeyOptions{Role: "limited"})
	g2.CopyKey(t, g1, key)
	ctx := testContext(t)
	c1, c2 := newClient(g1, key.Secret), newClient(g2, key.Secret)
	for i, c := range []openai.Client{c1, c2, c1, c2} {
		if err := chat(ctx, c, "gpt-test"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	wantAPIError(t, chat(ctx, c1, "gpt-test"), http.StatusTooManyRequests, "rate_limit_exceeded", "")
	wantAPIError(t, chat(ctx, c2, "gpt-test"), http.StatusTooManyRequests, "rate_limit_exceeded", "")
}

// TestLimiterDownFailsClosed: with its Redis unreachable, a limited request
// is refused with 503 and nothing is forwarded; unlimited principals are not
// affected.
func TestLimiterDownFailsClosed(t *testing.T) {
	t.Parallel()
	rc := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })
	u := wardentest.NewUpstream(t)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: limitedRoles(config.Limits{RequestsPerMinute: 100}), Limiter: ratelimit.NewRedis(rc, "x:")})
	ctx := testContext(t)
	wantAPIError(t, chat(ctx, newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited"}).Secret), "gpt-test"), http.StatusServiceUnavailable, "rate_limiter_unavailable", "")
	if n := len(u.Requests()); n != 0 {
		t.Fatalf("%d requests reached the upstream", n)
	}
	if err := chat(ctx, newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret), "gpt-test"); err != nil {
		t.Fatalf("unlimited role: %v", err)
	}
}

func closedAddr(t *testing.T) string {
	u := closedURL(t) // http://127.0.0.1:PORT/v1
	return u[len("http://") : len(u)-len("/v1")]
}

// TestStreamTokensWithoutUsage: a stream whose upstream reports no usage is
// charged its prompt estimate plus the streamed text counted, not just the
// reservation; a request the upstream answers with an error gives its tokens
// back.
func TestStreamTokensWithoutUsage(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	long := strings.Repeat("word ", 2000) // ~2000 tokens streamed, no usage chunk
	u.SetStream([]string{long[:5000], long[5000:]}, 0)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u, Roles: limitedRoles(config.Limits{TokensPerDay: 100000})})
	ctx := testContext(t)
	c := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "limited"}).Secret)
	params := chatParams("gpt-test")
	params.MaxTokens = openai.Int(10)
	var res *http.Response
	s := c.Chat.Completions.NewStreaming(ctx, params, option.WithResponseInto(&res))
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reconciliation ends the exchange, just after the client has it all.
	g.AccessLog(t, res.Header.Get("X-Request-Id"))
	h, err := chatHeaders(ctx, c, params)
	if err != nil {
		t.Fatal(err)
	}
	if used := 100000 - mustInt(t, h.Get("X-Ratelimit-Remaining-Tokens")); used < 1500 {
		t.Fatalf("charged %d tokens for ~2000 streamed without usage", used)
	}

	u.SetStatus(http.StatusServiceUnavailable)
	before := mustInt(t, h.Get("X-Ratelimit-Remaining-Tokens"))
	big := chatParams("gpt-test")
	big.MaxTokens = openai.Int(5000) // charged, this would show
	_, err = c.Chat.Completions.New(ctx, big)
	recordOf(t, g, err)
	u.SetStatus(0)
	h, err = chatHeaders(ctx, c, params)
	if err != nil {
		t.Fatal(err)
	}
	// Between the two reads: the failed request (5000+ reserved, refunded)
	// and this one's own small reservation.
	if after := mustInt(t, h.Get("X-Ratelimit-Remaining-Tokens")); before-after > 100 {
		t.Fatalf("an upstream error was charged: %d -> %d", before, after)
	}
}
