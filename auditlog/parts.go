package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
)

// PromptParts returns what a request asks of a model, as content parts:
//
//   - chat completions: one part per message, role = the message's role,
//     text = its string content, or its text parts concatenated with no
//     separator; every non-text part as role "<role>.<type>" with the part's
//     JSON as sent; every tool call as role "assistant.tool_call", text =
//     function name + "\n" + arguments; a message of another shape (content
//     neither null, a string nor a list, a tool call's arguments not a
//     string, ...) as role "message" with its JSON as sent, and messages
//     that are not a list as role "messages" likewise, so that whatever
//     Warden forwards is hashed;
//   - completions: role "prompt", one part per prompt (a string, or a token
//     array as its JSON);
//   - embeddings: role "input", one part per input, likewise.
//
// A body may carry several of these (it is hashed as what it is, whatever
// endpoint it was sent to): messages, then prompt, then input.
func PromptParts(body []byte) ([]Part, error) {
	var req struct {
		Messages json.RawMessage `json:"messages"`
		Prompt   json.RawMessage `json:"prompt"`
		Input    json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, errors.New("auditlog: request body is not an OpenAI request")
	}
	var parts []Part
	if !isNull(req.Messages) {
		var list []json.RawMessage
		if json.Unmarshal(req.Messages, &list) != nil {
			// Not a list: one part, as sent.
			parts = append(parts, Part{Role: "messages", Text: string(req.Messages)})
		}
		for _, raw := range list {
			parts = appendMessage(parts, raw)
		}
	}
	for _, f := range []struct {
		role string
		raw  json.RawMessage
	}{{"prompt", req.Prompt}, {"input", req.Input}} {
		if isNull(f.raw) {
			continue
		}
		var s string
		var list []json.RawMessage
		switch {
		case json.Unmarshal(f.raw, &s) == nil:
			parts = append(parts, Part{Role: f.role, Text: s})
		case json.Unmarshal(f.raw, &list) == nil && !isTokens(f.raw):
			for _, e := range list {
				if json.Unmarshal(e, &s) == nil {
					parts = append(parts, Part{Role: f.role, Text: s})
				} else {
					parts = append(parts, Part{Role: f.role, Text: string(e)})
				}
			}
		default: // one token array
			parts = append(parts, Part{Role: f.role, Text: string(f.raw)})
		}
	}
	return parts, nil
}

// appendMessage appends a chat message's parts (PromptParts). A message of
// another shape than OpenAI's (not an object; a role that is not a string;
// content that is not null, a string or a list; tool calls other than a
// list of functions with string names and arguments) is one part, role
// "message", its JSON as sent: a model may read it all the same, and
// whatever Warden forwards has a prompt_hash.
func appendMessage(parts []Part, raw json.RawMessage) []Part {
	var m struct {
		Role      string          `json:"role"`
		Content   json.RawMessage `json:"content"`
		ToolCalls []struct {
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	whole := append(parts, Part{Role: "message", Text: string(raw)})
	if json.Unmarshal(raw, &m) != nil {
		return whole
	}
	var s string
	var list []json.RawMessage
	switch {
	case isNull(m.Content):
		parts = append(parts, Part{Role: m.Role})
	case json.Unmarshal(m.Content, &s) == nil:
		parts = append(parts, Part{Role: m.Role, Text: s})
	case json.Unmarshal(m.Content, &list) == nil:
		var text bytes.Buffer
		var other []Part
		for _, raw := range list {
			var p struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}
			// A text part whose text is not a string is hashed as the
			// other parts are, as sent, not as an empty text.
			if json.Unmarshal(raw, &p) == nil && p.Type == "text" {
				text.WriteString(p.Text)
			} else {
				other = append(other, Part{Role: m.Role + "." + p.Type, Text: string(raw)})
			}
		}
		parts = append(parts, Part{Role: m.Role, Text: text.String()})
		parts = append(parts, other...)
	default:
		return whole
	}
	for _, tc := range m.ToolCalls {
		parts = append(parts, Part{Role: "assistant.tool_call", Text: tc.Function.Name + "\n" + tc.Function.Arguments})
	}
	return parts
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// isTokens reports whether raw is one array of numbers (a token array),
// as opposed to an array of prompts.
func isTokens(raw json.RawMessage) bool {
	var n []float64
	return json.Unmarshal(raw, &n) == nil && len(n) > 0
}
