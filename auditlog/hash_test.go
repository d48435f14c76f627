package auditlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// reference is the documented definition, written out independently.
func reference(key []byte, parts []Part) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("warden-content-v1"))
	for _, p := range parts {
		m.Write([]byte{byte(len(p.Role))})
		m.Write([]byte(p.Role))
		t := sha256.Sum256([]byte(p.Text))
		m.Write(t[:])
	}
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

func TestSumMatchesDefinition(t *testing.T) {
	h := NewHasher(key)
	for _, parts := range [][]Part{
		nil,
		{{"user", "Hello"}},
		{{"system", "Be brief."}, {"user", "What is 2+2?"}, {"assistant", ""}},
		{{"user", strings.Repeat("é", 10000)}},
	} {
		if got, want := h.Sum(parts), reference(key, parts); got != want {
			t.Errorf("Sum(%v) = %s, want %s", parts, got, want)
		}
	}
}

func TestSumSeparatesWhatDiffers(t *testing.T) {
	h := NewHasher(key)
	seen := map[string][]Part{}
	for _, parts := range [][]Part{
		{{"user", "ab"}},
		{{"user", "a"}, {"user", "b"}},
		{{"user", "ab"}, {"user", ""}},
		{{"assistant", "ab"}},
		{{"user", "ab "}},
		{{"use", "rab"}},
		{},
	} {
		s := h.Sum(parts)
		if prev, dup := seen[s]; dup {
			t.Fatalf("%v and %v hash alike", prev, parts)
		}
		seen[s] = parts
	}
	if NewHasher([]byte("another key, thirty-two bytes!!!")).Sum([]Part{{"user", "ab"}}) == h.Sum([]Part{{"user", "ab"}}) {
		t.Fatal("the hash does not depend on the key")
	}
}

// TestDigestStreams: text written in pieces (a stream's deltas) hashes as
// the whole text does.
func TestDigestStreams(t *testing.T) {
	h := NewHasher(key)
	d := h.Begin()
	d.Part("assistant")
	for _, piece := range []string{"Hel", "lo", ", ", "wörld"} {
		d.Write([]byte(piece))
	}
	if got, want := d.Sum(), h.Sum([]Part{{"assistant", "Hello, wörld"}}); got != want {
		t.Fatalf("streamed %s, whole %s", got, want)
	}
}

func TestPromptParts(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []Part
	}{
		{"chat", `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}`,
			[]Part{{"system", "Be brief."}, {"user", "Hi"}}},
		{"chat with parts", `{"messages":[{"role":"user","content":[{"type":"text","text":"What is "},{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"this?"}]}]}`,
			[]Part{{"user", "What is this?"}, {"user.image_url", `{"type":"image_url","image_url":{"url":"data:x"}}`}}},
		{"tool call", `{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]}`,
			[]Part{{"assistant", ""}, {"assistant.tool_call", "f\n{\"a\":1}"}}},
		{"completion", `{"model":"m","prompt":"Once upon"}`, []Part{{"prompt", "Once upon"}}},
		{"completions", `{"prompt":["a","b"]}`, []Part{{"prompt", "a"}, {"prompt", "b"}}},
		{"token prompt", `{"prompt":[1,2,3]}`, []Part{{"prompt", "[1,2,3]"}}},
		{"embeddings", `{"input":["x","y"]}`, []Part{{"input", "x"}, {"input", "y"}}},
		{"embedding token arrays", `{"input":[[1,2],[3]]}`, []Part{{"input", "[1,2]"}, {"input", "[3]"}}},
		{"nothing", `{"model":"m"}`, nil},
		// Shapes OpenAI refuses but a model server may read: hashed as sent.
		{"content of another type", `{"messages":[{"role":"system","content":"S"},{"role":"user","content":5},{"role":"user","content":{"text":"x"}}]}`,
			[]Part{{"system", "S"}, {"message", `{"role":"user","content":5}`}, {"message", `{"role":"user","content":{"text":"x"}}`}}},
		{"arguments not a string", `{"messages":[{"role":"assistant","content":"a","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]}]}`,
			[]Part{{"message", `{"role":"assistant","content":"a","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]}`}}},
		{"text part of another shape", `{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":["b"]}]}]}`,
			[]Part{{"user", "a"}, {"user.text", `{"type":"text","text":["b"]}`}}},
		{"messages not a list", `{"messages":{"role":"user","content":"x"}}`, []Part{{"messages", `{"role":"user","content":"x"}`}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PromptParts([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
	for _, bad := range []string{``, `[]`, `"x"`} {
		if _, err := PromptParts([]byte(bad)); err == nil {
			t.Errorf("PromptParts(%s) accepted", bad)
		}
	}
}

func FuzzPromptParts(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"prompt":[[1]],"input":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := PromptParts(body)
		if err == nil {
			NewHasher(key).Sum(parts)
		}
	})
}
