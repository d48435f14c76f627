package gateway_test

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/upstream"
	"github.com/wardenhq/warden/wardentest"
)

// TestDemoModel drives the built-in demo model (what `serve --dev` offers)
// through the SDK: it answers deterministically, labels itself, streams, and
// embeds equal inputs equally.
func TestDemoModel(t *testing.T) {
	t.Parallel()
	upstream.DemoChunkDelay = 0
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{
		Models: []config.Model{{Name: "demo", Builtin: "demo"}},
	})
	c := newClient(g, g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret)
	ctx := testContext(t)

	params := openai.ChatCompletionNewParams{
		Model:    "demo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello there")},
	}
	r1, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	got := r1.Choices[0].Message.Content
	if got != r2.Choices[0].Message.Content || !strings.Contains(got, "demo") || !strings.Contains(got, "Hello there") {
		t.Fatalf("demo reply %q (then %q)", got, r2.Choices[0].Message.Content)
	}

	s := c.Chat.Completions.NewStreaming(ctx, params)
	var b strings.Builder
	chunks := 0
	for s.Next() {
		if ch := s.Current(); len(ch.Choices) > 0 {
			b.WriteString(ch.Choices[0].Delta.Content)
			chunks++
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if b.String() != got || chunks < 3 {
		t.Fatalf("stream gave %q in %d chunks, want %q in several", b.String(), chunks, got)
	}

	comp, err := c.Completions.New(ctx, openai.CompletionNewParams{
		Model: "demo", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon")},
	})
	if err != nil || !strings.Contains(comp.Choices[0].Text, "Once upon") {
		t.Fatalf("completion: %v %+v", err, comp)
	}

	emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "demo",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b", "a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 3 || len(emb.Data[0].Embedding) == 0 {
		t.Fatalf("embeddings %+v", emb.Data)
	}
	eq := func(x, y []float64) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return len(x) == len(y)
	}
	if !eq(emb.Data[0].Embedding, emb.Data[2].Embedding) || eq(emb.Data[0].Embedding, emb.Data[1].Embedding) {
		t.Fatal("equal inputs must embed equally and different ones differently")
	}
}
