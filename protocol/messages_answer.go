package protocol

import (
	"encoding/json"
	"net/http"
)

// MessagesAnswer turns Chat Completions answers, whole or streamed, into
// the Messages API's. One serves one response.
type MessagesAnswer struct {
	model string // the model the client named

	r       SSEReader
	started bool
	ended   bool
	id      string
	open    string // the open content block's type: "", "text" or "tool_use"
	next    int    // the next content block's index
	tools   map[int]int
	finish  string
	usage   chatUsage
}

// NewMessagesAnswer starts the answer to a request that named model.
func NewMessagesAnswer(model string) *MessagesAnswer {
	return &MessagesAnswer{model: model, tools: map[int]int{}}
}

// anthropicStop maps a Chat Completions finish reason to a stop reason.
func anthropicStop(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

type anthropicMessage struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []map[string]any `json:"content"`
	StopReason   *string          `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        map[string]int64 `json:"usage"`
}

// Whole translates a complete Chat Completions answer.
func (a *MessagesAnswer) Whole(body []byte) ([]byte, error) {
	var c chatCompletion
	if err := json.Unmarshal(body, &c); err != nil || len(c.Choices) == 0 {
		return nil, refuse("", "the upstream's answer is not a chat completion")
	}
	ch := c.Choices[0]
	m := anthropicMessage{ID: "msg_" + suffix(c.ID), Type: "message", Role: "assistant", Model: a.model, Content: []map[string]any{},
		Usage: map[string]int64{"input_tokens": 0, "output_tokens": 0}}
	if ch.Message.Content != nil && *ch.Message.Content != "" {
		m.Content = append(m.Content, map[string]any{"type": "text", "text": *ch.Message.Content})
	}
	if ch.Message.Refusal != nil && *ch.Message.Refusal != "" {
		m.Content = append(m.Content, map[string]any{"type": "text", "text": *ch.Message.Refusal})
	}
	for _, tc := range ch.Message.ToolCalls {
		input := json.RawMessage(tc.Function.Arguments)
		if _, ok := compactObject(input); !ok {
			return nil, refuse("", "the upstream's tool call arguments are not a JSON object")
		}
		m.Content = append(m.Content, map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": input})
	}
	finish := ""
	if ch.FinishReason != nil {
		finish = *ch.FinishReason
	}
	if ch.Message.Refusal != nil && *ch.Message.Refusal != "" {
		finish = "content_filter"
	}
	stop := anthropicStop(finish)
	m.StopReason = &stop
	if c.Usage != nil {
		m.Usage["input_tokens"], m.Usage["output_tokens"] = c.Usage.PromptTokens, c.Usage.CompletionTokens
	}
	return json.Marshal(&m)
}

// Stream feeds streamed Chat Completions bytes and returns the Messages
// API events they make (nil if none yet). Comments pass as they are.
func (a *MessagesAnswer) Stream(p []byte) []byte { return translateStream(&a.r, p, a.chunk, a.end) }

func (a *MessagesAnswer) event(out []byte, name string, v any) []byte {
	b, _ := json.Marshal(v)
	return appendEvent(out, name, b)
}

func (a *MessagesAnswer) start(out []byte, id string) []byte {
	if a.started {
		return out
	}
	a.started, a.id = true, "msg_"+suffix(id)
	return a.event(out, "message_start", map[string]any{"type": "message_start", "message": anthropicMessage{
		ID: a.id, Type: "message", Role: "assistant", Model: a.model, Content: []map[string]any{},
		Usage: map[string]int64{"input_tokens": 0, "output_tokens": 0}}})
}

func (a *MessagesAnswer) closeBlock(out []byte) []byte {
	if a.open == "" {
		return out
	}
	a.open = ""
	return a.event(out, "content_block_stop", map[string]any{"type": "content_block_stop", "index": a.next - 1})
}

func (a *MessagesAnswer) chunk(out []byte, data []byte) []byte {
	if a.ended {
		return out
	}
	var c struct {
		chatCompletion
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &c) != nil {
		return out
	}
	if c.Error != nil {
		a.ended = true
		return a.event(out, "error", anthropicError(http.StatusBadGateway, c.Error.Message, ""))
	}
	out = a.start(out, c.ID)
	if c.Usage != nil {
		a.usage = *c.Usage
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		for _, piece := range []*string{ch.Delta.Content, ch.Delta.Refusal} {
			if piece == nil || *piece == "" {
				continue
			}
			if a.open != "text" {
				out = a.closeBlock(out)
				out = a.event(out, "content_block_start", map[string]any{"type": "content_block_start", "index": a.next,
					"content_block": map[string]any{"type": "text", "text": ""}})
				a.open, a.next = "text", a.next+1
			}
			out = a.event(out, "content_block_delta", map[string]any{"type": "content_block_delta", "index": a.next - 1,
				"delta": map[string]any{"type": "text_delta", "text": *piece}})
		}
		if ch.Delta.Refusal != nil && *ch.Delta.Refusal != "" {
			a.finish = "content_filter"
		}
		for _, tc := range ch.Delta.ToolCalls {
			idx, seen := a.tools[tc.Index]
			if !seen {
				out = a.closeBlock(out)
				idx = a.next
				a.tools[tc.Index] = idx
				out = a.event(out, "content_block_start", map[string]any{"type": "content_block_start", "index": idx,
					"content_block": map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": map[string]any{}}})
				a.open, a.next = "tool_use", a.next+1
			}
			if tc.Function.Arguments != "" {
				out = a.event(out, "content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
					"delta": map[string]any{"type": "input_json_delta", "partial_json": tc.Function.Arguments}})
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" && a.finish != "content_filter" {
			a.finish = *ch.FinishReason
		}
	}
	return out
}

// end closes the message: the stream's [DONE] (which Warden sends only once
// the exchange's audit record is released).
func (a *MessagesAnswer) end(out []byte) []byte {
	if a.ended {
		return out
	}
	out = a.start(out, "")
	out = a.closeBlock(out)
	a.ended = true
	out = a.event(out, "message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": anthropicStop(a.finish), "stop_sequence": nil},
		"usage": map[string]int64{"input_tokens": a.usage.PromptTokens, "output_tokens": a.usage.CompletionTokens}})
	return a.event(out, "message_stop", map[string]any{"type": "message_stop"})
}

// anthropicErrorType is the Messages API's error type for a status.
func anthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// anthropicError is the Messages API's error body; code is Warden's own
// (content_blocked, model_not_allowed, ...), kept beside Anthropic's type.
func anthropicError(status int, msg, code string) map[string]any {
	e := map[string]any{"type": anthropicErrorType(status), "message": msg}
	if code != "" {
		e["code"] = code
	}
	return map[string]any{"type": "error", "error": e}
}

// Error translates an error answer in OpenAI's shape (Warden's own, or an
// upstream's) into the Messages API's shape.
func (a *MessagesAnswer) Error(status int, body []byte) []byte {
	return MessagesError(status, body)
}

// MessagesError is Error without an answer in progress.
func MessagesError(status int, body []byte) []byte {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	msg, code := http.StatusText(status), ""
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg = e.Error.Message
		if s, ok := e.Error.Code.(string); ok {
			code = s
		}
	}
	b, _ := json.Marshal(anthropicError(status, msg, code))
	return b
}
