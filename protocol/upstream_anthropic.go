package protocol

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// The other direction: a model whose upstream speaks Anthropic's Messages
// API (upstream.api: anthropic). The request, once every control has run
// on it as a chat completion, is translated into a Messages request; the
// upstream's answer, whole or streamed, back into a chat completion before
// Warden's response controls read it.

// AnthropicVersion is the anthropic-version header sent upstream.
const AnthropicVersion = "2023-06-01"

// DefaultAnthropicMaxTokens is max_tokens for a chat request that sets
// none (the Messages API requires one).
const DefaultAnthropicMaxTokens = 4096

type chatRequestIn struct {
	Model               string          `json:"model"`
	Messages            []chatMessageIn `json:"messages"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int64          `json:"top_k"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       json.RawMessage `json:"stream_options"` // usage is always reported
	Tools               []struct {
		Type     string      `json:"type"`
		Function chatToolDef `json:"function"`
	} `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	User              string          `json:"user"`
	SafetyIdentifier  string          `json:"safety_identifier"`
	N                 *int64          `json:"n"`
	// Accepted and dropped: they do not change the answer.
	Store          json.RawMessage `json:"store"`
	Metadata       json.RawMessage `json:"metadata"`
	ServiceTier    json.RawMessage `json:"service_tier"`
	PromptCacheKey json.RawMessage `json:"prompt_cache_key"`
	// Refused unless absent or null: the Messages API has no equivalent.
	PresencePenalty  json.RawMessage `json:"presence_penalty"`
	FrequencyPenalty json.RawMessage `json:"frequency_penalty"`
	LogitBias        json.RawMessage `json:"logit_bias"`
	Seed             json.RawMessage `json:"seed"`
	Logprobs         json.RawMessage `json:"logprobs"`
	TopLogprobs      json.RawMessage `json:"top_logprobs"`
	ResponseFormat   json.RawMessage `json:"response_format"`
	ReasoningEffort  json.RawMessage `json:"reasoning_effort"`
}

type chatMessageIn struct {
	Role       string           `json:"role"`
	Content    json.RawMessage  `json:"content"`
	Name       string           `json:"name"`
	ToolCalls  []chatToolCallIn `json:"tool_calls"`
	ToolCallID string           `json:"tool_call_id"`
	Refusal    json.RawMessage  `json:"refusal"`
}

type chatPartIn struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Refusal  string `json:"refusal"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail"`
	} `json:"image_url"`
}

// ToAnthropic translates a Chat Completions request (the one Warden
// forwards, after its controls) into a Messages API request for model.
func ToAnthropic(chat []byte, model string) ([]byte, error) {
	var in chatRequestIn
	if err := decode(chat, &in); err != nil {
		return nil, err
	}
	for name, raw := range map[string]json.RawMessage{"presence_penalty": in.PresencePenalty, "frequency_penalty": in.FrequencyPenalty,
		"logit_bias": in.LogitBias, "seed": in.Seed, "logprobs": in.Logprobs, "top_logprobs": in.TopLogprobs, "reasoning_effort": in.ReasoningEffort} {
		if present(raw) && string(raw) != "false" {
			return nil, refuse(name, "the model's upstream speaks Anthropic's Messages API, which has no equivalent")
		}
	}
	if present(in.ResponseFormat) {
		var rf struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(in.ResponseFormat, &rf) != nil || rf.Type != "text" {
			return nil, refuse("response_format", "the model's upstream speaks Anthropic's Messages API: structured output cannot be translated")
		}
	}
	if in.N != nil && *in.N != 1 {
		return nil, refuse("n", "the model's upstream speaks Anthropic's Messages API: one choice only")
	}
	out := map[string]any{"model": model}
	maxTokens := int64(DefaultAnthropicMaxTokens)
	if in.MaxCompletionTokens != nil {
		maxTokens = *in.MaxCompletionTokens
	} else if in.MaxTokens != nil {
		maxTokens = *in.MaxTokens
	}
	out["max_tokens"] = maxTokens
	if in.Temperature != nil {
		out["temperature"] = *in.Temperature
	}
	if in.TopP != nil {
		out["top_p"] = *in.TopP
	}
	if in.TopK != nil {
		out["top_k"] = *in.TopK
	}
	if present(in.Stop) {
		var one string
		var many []string
		switch {
		case json.Unmarshal(in.Stop, &one) == nil:
			out["stop_sequences"] = []string{one}
		case json.Unmarshal(in.Stop, &many) == nil:
			out["stop_sequences"] = many
		default:
			return nil, refuse("stop", "want a string or a list of strings")
		}
	}
	if in.Stream {
		out["stream"] = true
	}
	if u := cmp.Or(in.User, in.SafetyIdentifier); u != "" {
		out["metadata"] = map[string]string{"user_id": u}
	}
	var system []map[string]any
	var turns []map[string]any
	for i, m := range in.Messages {
		p := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer":
			if len(turns) > 0 {
				return nil, refuse(p+".role", "Anthropic's Messages API takes the system prompt before the conversation only")
			}
			text, err := chatText(m.Content, p)
			if err != nil {
				return nil, err
			}
			system = append(system, map[string]any{"type": "text", "text": text})
		case "user":
			blocks, err := chatUserBlocks(m.Content, p)
			if err != nil {
				return nil, err
			}
			turns = appendTurn(turns, "user", blocks)
		case "assistant":
			var blocks []map[string]any
			if present(m.Content) {
				text, err := chatText(m.Content, p)
				if err != nil {
					return nil, err
				}
				if text != "" {
					blocks = append(blocks, map[string]any{"type": "text", "text": text})
				}
			}
			for j, tc := range m.ToolCalls {
				input := json.RawMessage(tc.Function.Arguments)
				if strings.TrimSpace(tc.Function.Arguments) == "" {
					input = json.RawMessage("{}")
				}
				if _, ok := compactObject(input); !ok {
					return nil, refuse(fmt.Sprintf("%s.tool_calls[%d].function.arguments", p, j), "must be a JSON object for Anthropic's Messages API")
				}
				blocks = append(blocks, map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": input})
			}
			turns = appendTurn(turns, "assistant", blocks)
		case "tool":
			text, err := chatText(m.Content, p)
			if err != nil {
				return nil, err
			}
			turns = appendTurn(turns, "user", []map[string]any{{"type": "tool_result", "tool_use_id": m.ToolCallID, "content": text}})
		default:
			return nil, refuse(p+".role", "cannot be translated to Anthropic's Messages API")
		}
	}
	if len(turns) == 0 {
		return nil, refuse("messages", "Anthropic's Messages API needs at least one user or assistant message")
	}
	if len(system) > 0 {
		out["system"] = system
	}
	out["messages"] = turns
	if len(in.Tools) > 0 {
		var tools []map[string]any
		for i, t := range in.Tools {
			if t.Type != "function" {
				return nil, refuse(fmt.Sprintf("tools[%d].type", i), "only function tools can be translated")
			}
			schema := t.Function.Parameters
			if !present(schema) {
				schema = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			tool := map[string]any{"name": t.Function.Name, "input_schema": schema}
			if t.Function.Description != "" {
				tool["description"] = t.Function.Description
			}
			tools = append(tools, tool)
		}
		out["tools"] = tools
	}
	var choice map[string]any
	if present(in.ToolChoice) {
		var s string
		var c struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		switch {
		case json.Unmarshal(in.ToolChoice, &s) == nil && s == "auto":
			choice = map[string]any{"type": "auto"}
		case s == "required":
			choice = map[string]any{"type": "any"}
		case s == "none":
			choice = map[string]any{"type": "none"}
		case json.Unmarshal(in.ToolChoice, &c) == nil && c.Function.Name != "":
			choice = map[string]any{"type": "tool", "name": c.Function.Name}
		default:
			return nil, refuse("tool_choice", "want auto, required, none or a function")
		}
	}
	if in.ParallelToolCalls != nil && !*in.ParallelToolCalls && len(in.Tools) > 0 {
		if choice == nil {
			choice = map[string]any{"type": "auto"}
		}
		if choice["type"] != "none" {
			choice["disable_parallel_tool_use"] = true
		}
	}
	if choice != nil {
		out["tool_choice"] = choice
	}
	return json.Marshal(out)
}

// appendTurn adds blocks as a turn of role, joining a turn of the same
// role before it (several tool results make one user turn).
func appendTurn(turns []map[string]any, role string, blocks []map[string]any) []map[string]any {
	if n := len(turns); n > 0 && turns[n-1]["role"] == role {
		turns[n-1]["content"] = append(turns[n-1]["content"].([]map[string]any), blocks...)
		return turns
	}
	if blocks == nil {
		blocks = []map[string]any{}
	}
	return append(turns, map[string]any{"role": role, "content": blocks})
}

// chatText is a message's content as text: a string or text parts.
func chatText(raw json.RawMessage, p string) (string, error) {
	if !present(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []chatPartIn
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", refuse(p+".content", "want a string or text parts")
	}
	var b strings.Builder
	for j, part := range parts {
		switch part.Type {
		case "text":
			b.WriteString(part.Text)
		case "refusal":
			b.WriteString(part.Refusal)
		default:
			return "", refuse(fmt.Sprintf("%s.content[%d].type", p, j), "only text can be translated here")
		}
	}
	return b.String(), nil
}

// chatUserBlocks is a user message's content as Anthropic blocks.
func chatUserBlocks(raw json.RawMessage, p string) ([]map[string]any, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []map[string]any{{"type": "text", "text": s}}, nil
	}
	var parts []chatPartIn
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, refuse(p+".content", "want a string or content parts")
	}
	var blocks []map[string]any
	for j, part := range parts {
		pp := fmt.Sprintf("%s.content[%d]", p, j)
		switch part.Type {
		case "text":
			blocks = append(blocks, map[string]any{"type": "text", "text": part.Text})
		case "image_url":
			if part.ImageURL == nil {
				return nil, refuse(pp+".image_url", "field required")
			}
			u := part.ImageURL.URL
			if rest, ok := strings.CutPrefix(u, "data:"); ok {
				media, data, ok := strings.Cut(rest, ";base64,")
				if !ok {
					return nil, refuse(pp, "an image data URL must be base64")
				}
				blocks = append(blocks, map[string]any{"type": "image", "source": map[string]string{"type": "base64", "media_type": media, "data": data}})
			} else {
				blocks = append(blocks, map[string]any{"type": "image", "source": map[string]string{"type": "url", "url": u}})
			}
		default:
			return nil, refuse(pp+".type", "%s parts cannot be translated to Anthropic's Messages API", quote(part.Type))
		}
	}
	return blocks, nil
}

// chatFinish maps a stop reason to a Chat Completions finish reason.
func chatFinish(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop"
}

type anthropicAnswer struct {
	ID         string `json:"id"`
	Model      string `json:"model"`
	Content    []anthropicBlock
	StopReason string `json:"stop_reason"`
	Usage      struct {
		InputTokens              int64 `json:"input_tokens"`
		OutputTokens             int64 `json:"output_tokens"`
		CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

// FromAnthropicAnswer translates a whole Messages API answer into a chat
// completion.
func FromAnthropicAnswer(body []byte, now time.Time) ([]byte, error) {
	var a anthropicAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, refuse("", "the upstream's answer is not a Messages API message")
	}
	msg := map[string]any{"role": "assistant"}
	var text strings.Builder
	hasText := false
	var calls []map[string]any
	for _, b := range a.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
			hasText = true
		case "tool_use":
			args, ok := compactObject(b.Input)
			if !ok {
				args = "{}"
			}
			calls = append(calls, map[string]any{"id": b.ID, "type": "function", "function": map[string]string{"name": b.Name, "arguments": args}})
		}
	}
	if hasText || len(calls) == 0 {
		msg["content"] = text.String()
	} else {
		msg["content"] = nil
	}
	if len(calls) > 0 {
		msg["tool_calls"] = calls
	}
	in := a.Usage.InputTokens + a.Usage.CacheCreationInputTokens + a.Usage.CacheReadInputTokens
	return json.Marshal(map[string]any{"id": "chatcmpl-" + suffix(a.ID), "object": "chat.completion", "created": now.Unix(), "model": a.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": chatFinish(a.StopReason), "logprobs": nil}},
		"usage":   map[string]int64{"prompt_tokens": in, "completion_tokens": a.Usage.OutputTokens, "total_tokens": in + a.Usage.OutputTokens}})
}

// FromAnthropicError translates an error answer in Anthropic's shape into
// OpenAI's.
func FromAnthropicError(body []byte) []byte {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return body
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": e.Error.Message, "type": e.Error.Type, "code": nil}})
	return b
}

// anthropicStream reads a Messages API stream and gives it as Chat
// Completions chunks.
type anthropicStream struct {
	src    io.ReadCloser
	r      SSEReader
	out    bytes.Buffer
	id     string
	model  string
	now    int64
	tools  int // tool calls so far
	block  map[int]int
	input  int64
	output int64
	done   bool
	buf    [8 << 10]byte
}

// FromAnthropicStream wraps a Messages API event stream so that it reads
// as a Chat Completions stream (usage in a last chunk, then [DONE]).
func FromAnthropicStream(src io.ReadCloser, now time.Time) io.ReadCloser {
	return &anthropicStream{src: src, now: now.Unix(), block: map[int]int{}}
}

func (s *anthropicStream) Close() error { return s.src.Close() }

func (s *anthropicStream) Read(p []byte) (int, error) {
	for s.out.Len() == 0 {
		if s.done {
			return 0, io.EOF
		}
		n, err := s.src.Read(s.buf[:])
		if n > 0 {
			s.r.Write(s.buf[:n])
			for _, ev := range s.r.Next() {
				s.event(ev)
			}
		}
		if err != nil {
			if err == io.EOF {
				s.done = true
				continue
			}
			return 0, err
		}
	}
	return s.out.Read(p)
}

func (s *anthropicStream) chunk(choices []any, usage map[string]int64) {
	c := map[string]any{"id": "chatcmpl-" + suffix(s.id), "object": "chat.completion.chunk", "created": s.now, "model": s.model, "choices": choices}
	if usage != nil {
		c["usage"] = usage
	}
	b, _ := json.Marshal(c)
	s.out.WriteString("data: ")
	s.out.Write(b)
	s.out.WriteString("\n\n")
}

func (s *anthropicStream) delta(d map[string]any, finish any) {
	s.chunk([]any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}, nil)
}

func (s *anthropicStream) event(ev Event) {
	if ev.Data == nil {
		return
	}
	var e struct {
		Type    string `json:"type"`
		Index   int    `json:"index"`
		Message struct {
			ID    string `json:"id"`
			Model string `json:"model"`
			Usage struct {
				InputTokens              int64 `json:"input_tokens"`
				CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
				CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
			} `json:"usage"`
		} `json:"message"`
		ContentBlock anthropicBlock `json:"content_block"`
		Delta        struct {
			Type        string `json:"type"`
			Text        string `json:"text"`
			PartialJSON string `json:"partial_json"`
			StopReason  string `json:"stop_reason"`
		} `json:"delta"`
		Usage struct {
			OutputTokens int64 `json:"output_tokens"`
		} `json:"usage"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(ev.Data, &e) != nil {
		return
	}
	switch e.Type {
	case "message_start":
		s.id, s.model = e.Message.ID, e.Message.Model
		u := e.Message.Usage
		s.input = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
		s.delta(map[string]any{"role": "assistant", "content": ""}, nil)
	case "content_block_start":
		if e.ContentBlock.Type == "tool_use" {
			s.block[e.Index] = s.tools
			s.delta(map[string]any{"tool_calls": []any{map[string]any{"index": s.tools, "id": e.ContentBlock.ID, "type": "function",
				"function": map[string]string{"name": e.ContentBlock.Name, "arguments": ""}}}}, nil)
			s.tools++
		} else if e.ContentBlock.Type == "text" && e.ContentBlock.Text != "" {
			s.delta(map[string]any{"content": e.ContentBlock.Text}, nil)
		}
	case "content_block_delta":
		switch e.Delta.Type {
		case "text_delta":
			s.delta(map[string]any{"content": e.Delta.Text}, nil)
		case "input_json_delta":
			if i, ok := s.block[e.Index]; ok && e.Delta.PartialJSON != "" {
				s.delta(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]string{"arguments": e.Delta.PartialJSON}}}}, nil)
			}
		}
	case "message_delta":
		if e.Usage.OutputTokens > 0 {
			s.output = e.Usage.OutputTokens
		}
		if e.Delta.StopReason != "" {
			s.delta(map[string]any{}, chatFinish(e.Delta.StopReason))
		}
	case "message_stop":
		s.chunk([]any{}, map[string]int64{"prompt_tokens": s.input, "completion_tokens": s.output, "total_tokens": s.input + s.output})
		s.out.WriteString("data: [DONE]\n\n")
	case "error":
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": e.Error.Message, "type": e.Error.Type}})
		s.out.WriteString("data: ")
		s.out.Write(b)
		s.out.WriteString("\n\n")
	}
}
