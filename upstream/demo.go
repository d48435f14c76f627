package upstream

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/httperr"
)

// Demo is the built-in demonstration model. It is not a language model: it
// answers deterministically, says so in every reply, and echoes the start of
// the last user message so that filtering and auditing can be tried without
// a model server. Streams are sent one word per chunk, a few ms apart.
type Demo struct{}

// DemoChunkDelay spaces streamed demo chunks so streaming is visible.
var DemoChunkDelay = 15 * time.Millisecond

const demoLabel = "[warden demo model — not a real AI]"

type demoRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Prompt any  `json:"prompt"`
	Input  any  `json:"input"`
	Stream bool `json:"stream"`
	// EncodingFormat "base64" asks for each embedding as the base64 of its
	// little-endian float32s (what the openai npm SDK and LangChain ask
	// for); otherwise floats.
	EncodingFormat string `json:"encoding_format"`
}

func (Demo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req demoRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		httperr.Write(w, httperr.New(http.StatusBadRequest, "invalid_request", "the demo model could not read the request"))
		return
	}
	switch strings.TrimPrefix(r.URL.Path, "/v1") {
	case "/chat/completions":
		var last string
		for _, m := range req.Messages {
			if m.Role == "user" {
				last = contentText(m.Content)
			}
		}
		demoAnswer(w, r, req.Model, "chat.completion", demoReply(last), req.Stream)
	case "/completions":
		demoAnswer(w, r, req.Model, "text_completion", demoReply(fmt.Sprint(req.Prompt)), req.Stream)
	case "/embeddings":
		demoEmbeddings(w, req.Model, req.Input, req.EncodingFormat == "base64")
	default:
		httperr.Write(w, httperr.New(http.StatusNotFound, "unknown_endpoint", "the demo model does not serve this endpoint"))
	}
}

func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type, Text string
	}
	json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func demoReply(prompt string) string {
	prompt = strings.Join(strings.Fields(prompt), " ")
	if r := []rune(prompt); len(r) > 200 {
		prompt = string(r[:200]) + "…"
	}
	return fmt.Sprintf("%s You said: %q. Point models[].upstream at a real model server for real answers.", demoLabel, prompt)
}

func demoAnswer(w http.ResponseWriter, r *http.Request, model, object, text string, stream bool) {
	id := fmt.Sprintf("demo-%x", sha256.Sum256([]byte(text)))[:21]
	created := time.Now().Unix()
	words := strings.SplitAfter(text, " ")
	usage := map[string]int{"prompt_tokens": len(text) / 4, "completion_tokens": len(words), "total_tokens": len(text)/4 + len(words)}
	chat := object == "chat.completion"
	if !stream {
		choice := map[string]any{"index": 0, "finish_reason": "stop"}
		if chat {
			choice["message"] = map[string]string{"role": "assistant", "content": text}
		} else {
			choice["text"] = text
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": id, "object": object, "created": created, "model": model, "choices": []any{choice}, "usage": usage})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	chunkObject := "chat.completion.chunk"
	if !chat {
		chunkObject = "text_completion"
	}
	for i, word := range words {
		var choice map[string]any
		if chat {
			delta := map[string]string{"content": word}
			if i == 0 {
				delta["role"] = "assistant"
			}
			choice = map[string]any{"index": 0, "delta": delta, "finish_reason": nil}
		} else {
			choice = map[string]any{"index": 0, "text": word, "finish_reason": nil}
		}
		send(map[string]any{"id": id, "object": chunkObject, "created": created, "model": model, "choices": []any{choice}})
		select {
		case <-r.Context().Done():
			return
		case <-time.After(DemoChunkDelay):
		}
	}
	final := map[string]any{"index": 0, "finish_reason": "stop"}
	if chat {
		final["delta"] = map[string]string{}
	} else {
		final["text"] = ""
	}
	send(map[string]any{"id": id, "object": chunkObject, "created": created, "model": model, "choices": []any{final}, "usage": usage})
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

// demoEmbeddings returns a deterministic unit vector per input, derived from
// its SHA-256, so equal inputs embed equally.
func demoEmbeddings(w http.ResponseWriter, model string, input any, b64 bool) {
	var inputs []string
	switch v := input.(type) {
	case string:
		inputs = []string{v}
	case []any:
		for _, e := range v {
			inputs = append(inputs, fmt.Sprint(e))
		}
	}
	data := make([]any, len(inputs))
	for i, in := range inputs {
		var e any = demoVector(in, 16)
		if b64 {
			e = float32Base64(e.([]float64))
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": e}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]int{"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})
}

// float32Base64 is v as OpenAI's encoding_format "base64" sends it: the
// base64 of its values as little-endian float32s.
func float32Base64(v []float64) string {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func demoVector(s string, n int) []float64 {
	sum := sha256.Sum256([]byte(s))
	v := make([]float64, n)
	var norm float64
	for i := range v {
		x := float64(int16(binary.BigEndian.Uint16(sum[(2*i)%32:]))) / 32768
		v[i], norm = x, norm+x*x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}
