package gateway_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/wardentest"
)

// TestNodeSDK drives the gateway with the official openai and
// @anthropic-ai/sdk npm packages and the Vercel AI SDK (clients/node,
// installed by `make test` with npm ci): chat, a stream, the model list,
// the Responses API, Anthropic's Messages API and the AI SDK's default
// provider, and refusals surfaced as each SDK's own error classes.
func TestNodeSDK(t *testing.T) {
	t.Parallel()
	dir, _ := filepath.Abs("../clients/node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai")); err != nil {
		t.Fatalf("the openai npm package is not installed: run `npm ci --prefix clients/node` (make test does): %v", err)
	}
	u := wardentest.NewUpstream(t)
	u.SetStream([]string{"Hel", "lo", " from", " upstream"}, 0)
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})

	cmd := exec.CommandContext(testContext(t), "node", "check.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OPENAI_BASE_URL="+g.URL, "ANTHROPIC_BASE_URL="+strings.TrimSuffix(g.URL, "/v1"), "OPENAI_API_KEY="+key.Secret,
		"MODEL=gpt-test", "FORBIDDEN_MODEL=gpt-other")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	var got struct {
		Chat      string
		Chunks    []string
		Models    []string
		Forbidden struct {
			Status     int
			Code, Type string
			IsAPIError bool
		}
		BadKey struct {
			Status      int
			Code        string
			IsAuthError bool
		}
		Responses          string
		ResponsesDeltas    []string
		Anthropic          string
		AnthropicStream    string
		AnthropicForbidden struct {
			Status            int
			Type              string
			IsPermissionError bool
		}
		AIText, AIStream string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if got.Chat == "" || strings.Join(got.Chunks, "") != "Hello from upstream" || len(got.Chunks) < 2 {
		t.Errorf("chat %q, stream chunks %q", got.Chat, got.Chunks)
	}
	if !slices.Equal(got.Models, []string{"gpt-test"}) {
		t.Errorf("models = %v, want only gpt-test", got.Models)
	}
	if diff := cmp.Diff(struct {
		Status     int
		Code, Type string
		IsAPIError bool
	}{403, "model_not_allowed", "permission_error", true}, got.Forbidden); diff != "" {
		t.Errorf("forbidden model (-want +got):\n%s", diff)
	}
	if got.BadKey.Status != 401 || got.BadKey.Code != "invalid_api_key" || !got.BadKey.IsAuthError {
		t.Errorf("bad key: %+v", got.BadKey)
	}
	const hello = "Hello from upstream"
	if got.Responses != hello || strings.Join(got.ResponsesDeltas, "") != hello || len(got.ResponsesDeltas) < 2 {
		t.Errorf("responses %q, deltas %q", got.Responses, got.ResponsesDeltas)
	}
	if got.Anthropic != hello || got.AnthropicStream != hello {
		t.Errorf("anthropic %q, streamed %q", got.Anthropic, got.AnthropicStream)
	}
	if f := got.AnthropicForbidden; f.Status != 403 || f.Type != "permission_error" || !f.IsPermissionError {
		t.Errorf("anthropic forbidden model: %+v", f)
	}
	if got.AIText != hello || got.AIStream != hello {
		t.Errorf("Vercel AI SDK: %q, streamed %q", got.AIText, got.AIStream)
	}
}
