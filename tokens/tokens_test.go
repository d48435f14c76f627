package tokens_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tiktoken-go/tokenizer/codec"

	"github.com/wardenhq/warden/tokens"
)

var o200k = codec.NewO200kBase()

// count is the tokenizer's count of s, to build expectations from.
func count(s string) int64 {
	n, err := o200k.Count(s)
	if err != nil {
		panic(err)
	}
	return int64(n)
}

// TestCookbookExample: OpenAI's cookbook example, for which the API reports
// 124 prompt tokens on gpt-4o.
func TestCookbookExample(t *testing.T) {
	body := `{"model": "gpt-4o", "messages": [
		{"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
		{"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
		{"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
		{"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
		{"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
		{"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
	]}`
	prompt, completion, err := tokens.Estimate([]byte(body), tokens.DefaultCompletion)
	if err != nil || prompt != 124 || completion != tokens.DefaultCompletion {
		t.Fatalf("Estimate = %d, %d, %v; want 124, %d", prompt, completion, err, tokens.DefaultCompletion)
	}
}

func TestEstimate(t *testing.T) {
	audio := `{"type":"input_audio","input_audio":{"data":"UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=","format":"wav"}}`
	toolCalls := `[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]`
	tools := `[{"type":"function","function":{"name":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	tests := []struct {
		name              string
		body              string
		defaultCompletion int64
		prompt            int64
		completion        int64
	}{
		{
			name:   "chat",
			body:   `{"model":"m","messages":[{"role":"user","content":"Hello, world"}]}`,
			prompt: 3 + count("user") + count("Hello, world") + 3, completion: 1024, defaultCompletion: 1024,
		},
		{
			name:   "chat with max_tokens and n",
			body:   `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":100,"n":3}`,
			prompt: 3 + count("user") + count("Hi") + 3, completion: 300, defaultCompletion: 1024,
		},
		{
			name:   "the larger of max_tokens and max_completion_tokens",
			body:   `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":80,"max_completion_tokens":50}`,
			prompt: 3 + count("user") + count("Hi") + 3, completion: 80,
		},
		{
			name: "content parts",
			body: `{"messages":[{"role":"user","content":[
				{"type":"text","text":"What is in these?"},
				{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},
				{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}},
				` + audio + `]}],"max_tokens":10}`,
			prompt:     3 + count("user") + count("What is in these?") + 765 + 85 + int64(len(audio)+3)/4 + 3,
			completion: 10,
		},
		{
			name: "tool calls and tools",
			body: `{"messages":[{"role":"user","content":"Weather in Oslo?"},
				{"role":"assistant","content":null,"tool_calls":` + toolCalls + `},
				{"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":` + tools + `,"max_tokens":5}`,
			prompt: 3 + count("user") + count("Weather in Oslo?") +
				3 + count("assistant") + count(compact(toolCalls)) +
				3 + count("tool") + count("call_1") + count("sunny") + 3 + count(compact(tools)),
			completion: 5,
		},
		{
			name:   "what else a model may read: suffix, documents, unknown members",
			body:   `{"model":"m","prompt":"def f():","suffix":"return 1","documents":[{"text":"Oslo"}],"temperature":0.5}`,
			prompt: count("def f():") + count(`"return 1"`) + count(`[{"text":"Oslo"}]`), completion: 7, defaultCompletion: 7,
		},
		{
			name:   "completions prompt",
			body:   `{"model":"m","prompt":"Once upon a time","max_tokens":16}`,
			prompt: count("Once upon a time"), completion: 16,
		},
		{
			name:   "completions batch: a completion per prompt and choice",
			body:   `{"prompt":["One","Two"],"max_tokens":10,"n":2,"best_of":3}`,
			prompt: count("One") + count("Two"), completion: 10 * 3 * 2,
		},
		{
			name:   "completions token array",
			body:   `{"prompt":[1,2,3],"max_tokens":10}`,
			prompt: 3, completion: 10,
		},
		{
			name:   "completions token arrays",
			body:   `{"prompt":[[1,2],[3]],"max_tokens":10}`,
			prompt: 3, completion: 20,
		},
		{
			name:   "embeddings",
			body:   `{"model":"e","input":"The food was delicious"}`,
			prompt: count("The food was delicious"), completion: 0, defaultCompletion: 1024,
		},
		{
			name:   "embeddings batch",
			body:   `{"model":"e","input":["a b","c d e",[5,6,7,8]]}`,
			prompt: count("a b") + count("c d e") + 4, completion: 0, defaultCompletion: 1024,
		},
		{
			name:   "every prompt-bearing field counts",
			body:   `{"messages":[{"role":"user","content":"x"}],"input":"hidden payload"}`,
			prompt: 3 + count("user") + count("x") + 3 + count("hidden payload"), completion: 7, defaultCompletion: 7,
		},
		{
			name:   "negative default reserves nothing",
			body:   `{"messages":[]}`,
			prompt: 0, completion: 0, defaultCompletion: -5,
		},
		{
			name:   "huge reservations saturate",
			body:   `{"messages":[],"max_tokens":9000000000000000000,"n":128}`,
			prompt: 0, completion: math.MaxInt64,
		},
		{
			name:   "other fields ignored",
			body:   `{"messages":[{"role":"user","content":"Hi","audio":{"id":"x"}}],"stream":true,"temperature":0.2,"max_tokens":null}`,
			prompt: 3 + count("user") + count("Hi") + 3, completion: 9, defaultCompletion: 9,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prompt, completion, err := tokens.Estimate([]byte(tt.body), tt.defaultCompletion)
			if err != nil {
				t.Fatal(err)
			}
			if prompt != tt.prompt || completion != tt.completion {
				t.Errorf("Estimate = %d, %d; want %d, %d", prompt, completion, tt.prompt, tt.completion)
			}
		})
	}
}

func compact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

func TestEstimateErrors(t *testing.T) {
	for _, body := range []string{
		``,
		`not json`,
		`[{"role":"user"}]`,
		`"text"`,
		`{"messages":"hello"}`,
		`{"messages":[{"role":"user","content":42}]}`,
		`{"messages":[{"role":"user","content":{"text":"x"}}]}`,
		`{"messages":[{"role":"user","content":[42]}]}`,
		`{"messages":[],"max_tokens":-1}`,
		`{"messages":[],"max_tokens":"10"}`,
		`{"messages":[],"max_tokens":1.5}`,
		`{"messages":[],"n":0}`,
		// 0 is no limit at all to Ollama (num_predict).
		`{"messages":[],"max_completion_tokens":0}`,
		`{"messages":[],"max_tokens":-0}`,
		`{"messages":[],"n_predict":0}`,
		`{"prompt":{"text":"x"}}`,
		`{"prompt":["a",[1,"b"]]}`,
		`{"input":[{"x":1}, "a"`,
		// Names are read exactly, as OpenAI reads them: encoding/json
		// would read each of these as the real field.
		`{"MESSAGES":[{"role":"user","content":"Hi"}]}`,
		`{"messages":[],"MAX_TOKENS":10}`,
		`{"messages":[],"Max_Tokens":10}`,
		`{"messages":[],"max_to\u212aens":10}`,
		`{"messages":[{"role":"user","Content":"Hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","TEXT":"Hi"}]}]}`,
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"DETAIL":"low"}}]}]}`,
		`{"ſtream":true,"PROMPT":"x"}`,
	} {
		if p, c, err := tokens.Estimate([]byte(body), 10); err == nil || p != 0 || c != 0 {
			t.Errorf("Estimate(%q) = %d, %d, %v; want an error", body, p, c, err)
		}
	}
}

// TestLongWhitespace: runs of mixed whitespace, on which the tokenizer's
// pattern is quadratic (256 KiB of " \n" alone takes it about 35 s), are
// cut so that they cost no more than ordinary text (this test would
// otherwise run for minutes) and still count about right.
func TestLongWhitespace(t *testing.T) {
	for _, ws := range []string{" \n", "\t\n", "  \r\n", "\u3000\n"} {
		s := strings.Repeat(ws, (256<<10)/len(ws))
		body, _ := json.Marshal(map[string]any{"input": s})
		prompt, _, err := tokens.Estimate(body, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Cutting runs costs a token or so per 64 bytes at most.
		if exact := int64(strings.Count(s, ws)); prompt < exact*9/10 || prompt > exact+int64(len(s)/32) {
			t.Errorf("%q: %d tokens, want about %d", ws, prompt, exact)
		}
	}
}

// TestExtrapolation: past 4 KiB of text the estimate is extrapolated,
// close to the exact count for ordinary text.
func TestExtrapolation(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString("The quick brown fox, number ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(" jumps over the lazy dog.\n")
	}
	body, _ := json.Marshal(map[string]any{"prompt": b.String(), "max_tokens": 1})
	prompt, _, err := tokens.Estimate(body, 0)
	if err != nil {
		t.Fatal(err)
	}
	if exact := count(b.String()); prompt < exact || prompt > exact*105/100 {
		t.Errorf("estimate %d tokens, exact %d: want within +5%%", prompt, exact)
	}
}

func FuzzEstimate(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":"Hello"}],"max_tokens":10,"n":2}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u","detail":"low"}}]}]}`,
		`{"prompt":["a",[1,2]],"best_of":2}`,
		`{"input":[[1],[2,3]]}`,
		`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"x"}]}],"tools":[]}`,
		"{\"input\":\" \\n \\n \\n\\u3000\\n\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		prompt, completion, err := tokens.Estimate(body, tokens.DefaultCompletion)
		if prompt < 0 || completion < 0 {
			t.Fatalf("Estimate(%q) = %d, %d, %v", body, prompt, completion, err)
		}
		if err != nil && (prompt != 0 || completion != 0) {
			t.Fatalf("Estimate(%q) = %d, %d with error %v", body, prompt, completion, err)
		}
	})
}

func benchmarkEstimate(b *testing.B, body []byte) {
	tokens.Preload()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tokens.Estimate(body, tokens.DefaultCompletion); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEstimate(b *testing.B) {
	para := "Warden is a gateway for AI inference. It authenticates every caller, applies policy, " +
		"redacts what must not leave, and writes an audit record that can be verified later.\n"
	chat := func(n int) []byte {
		body, _ := json.Marshal(map[string]any{
			"model":      "gpt-4o",
			"max_tokens": 256,
			"messages": []map[string]string{
				{"role": "system", "content": "You are a careful assistant."},
				{"role": "user", "content": strings.Repeat(para, n)},
			},
		})
		return body
	}
	b.Run("chat-1KB", func(b *testing.B) { benchmarkEstimate(b, chat(6)) })
	b.Run("chat-64KB", func(b *testing.B) { benchmarkEstimate(b, chat(380)) })
	b.Run("chat-1MB", func(b *testing.B) { benchmarkEstimate(b, chat(6100)) })
}

func TestText(t *testing.T) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20)
	exact := count(s)
	if got := tokens.Text(s, int64(len(s))); got != exact {
		t.Errorf("whole text: %d, want %d", got, exact)
	}
	// Only the start seen: the rest extrapolated at the sample's density.
	if got := tokens.Text(s[:len(s)/2], int64(len(s))); got < exact*9/10 || got > exact*11/10 {
		t.Errorf("half sampled: %d, want about %d", got, exact)
	}
	if got := tokens.Text("", 600); got != 100 {
		t.Errorf("nothing sampled: %d, want one token per 6 bytes (100)", got)
	}
}

// TestMaxCompletionExact: max_tokens is read by its exact name; a
// case-variant is an error naming the field, never a limit left unset.
func TestMaxCompletionExact(t *testing.T) {
	if n, set, err := tokens.MaxCompletion([]byte(`{"max_tokens":10,"max_completion_tokens":20}`)); err != nil || !set || n != 20 {
		t.Fatalf("got %d %v %v", n, set, err)
	}
	// Servers' own spellings of the limit count too.
	for body, want := range map[string]int64{`{"n_predict":100000}`: 100000, `{"max_tokens":10,"max_new_tokens":300}`: 300} {
		if n, set, err := tokens.MaxCompletion([]byte(body)); err != nil || !set || n != want {
			t.Errorf("%s: got %d %v %v", body, n, set, err)
		}
	}
	if _, _, err := tokens.MaxCompletion([]byte(`{"n_predict":-1}`)); err == nil {
		t.Error("n_predict -1 (unbounded, to llama.cpp) accepted")
	}
	if _, _, err := tokens.MaxCompletion([]byte(`{"max_tokens":0}`)); err == nil || !strings.Contains(err.Error(), "max_tokens is 0, want at least 1") {
		t.Errorf("max_tokens 0 (unbounded, to Ollama): %v", err)
	}
	for _, body := range []string{`{"MAX_TOKENS":10}`, `{"Max_Tokens":10}`, `{"max_to\u212aens":10}`, `{"max_completion_tokenſ":10}`} {
		n, set, err := tokens.MaxCompletion([]byte(body))
		if err == nil || !strings.Contains(err.Error(), `write "max_`) {
			t.Errorf("MaxCompletion(%s) = %d, %v, %v; want an error naming the field", body, n, set, err)
		}
	}
}
