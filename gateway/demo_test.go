package gateway_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
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

	// encoding_format base64 (the npm SDK's and LangChain's default): the
	// same vector as little-endian float32s.
	res, body := send(t, g, "POST", "/v1/embeddings", g.NewKey(t, wardentest.KeyOptions{Role: "admin"}).Secret,
		`{"model":"demo","input":["a"],"encoding_format":"base64"}`)
	var enc struct{ Data []struct{ Embedding string } }
	if err := json.Unmarshal(body, &enc); err != nil || res.StatusCode != 200 || len(enc.Data) != 1 {
		t.Fatalf("base64 embeddings: %s %s", res.Status, body)
	}
	raw, err := base64.StdEncoding.DecodeString(enc.Data[0].Embedding)
	if err != nil || len(raw) != 4*len(emb.Data[0].Embedding) {
		t.Fatalf("base64 embedding %q: %v", enc.Data[0].Embedding, err)
	}
	for i, want := range emb.Data[0].Embedding {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != float32(want) {
			t.Fatalf("value %d: %v, want %v", i, got, float32(want))
		}
	}
}
