package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
)

// An Anthropic Messages API request (https://docs.anthropic.com/en/api/messages).
type messagesRequest struct {
	Model         string           `json:"model"`
	MaxTokens     *int64           `json:"max_tokens"`
	Messages      []anthropicTurn  `json:"messages"`
	System        json.RawMessage  `json:"system"`
	StopSequences []string         `json:"stop_sequences"`
	Temperature   *float64         `json:"temperature"`
	TopP          *float64         `json:"top_p"`
	TopK          *int64           `json:"top_k"`
	Stream        bool             `json:"stream"`
	Tools         []anthropicTool  `json:"tools"`
	ToolChoice    *anthropicChoice `json:"tool_choice"`
	Metadata      *anthropicMeta   `json:"metadata"`
	ServiceTier   string           `json:"service_tier"` // a billing choice; dropped
	Thinking      json.RawMessage  `json:"thinking"`     // refused unless disabled
	Container     json.RawMessage  `json:"container"`    // refused
	MCPServers    json.RawMessage  `json:"mcp_servers"`  // refused
}

type anthropicMeta struct {
	UserID string `json:"user_id"`
}

type anthropicTurn struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type anthropicBlock struct {
	Type         string          `json:"type"`
	Text         string          `json:"text"`
	Source       *anthropicSrc   `json:"source"`
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
	ToolUseID    string          `json:"tool_use_id"`
	Content      json.RawMessage `json:"content"`
	IsError      bool            `json:"is_error"`
	CacheControl json.RawMessage `json:"cache_control"` // a cache hint; dropped
	Citations    json.RawMessage `json:"citations"`     // refused unless null or empty
	Title        string          `json:"title"`
	Context      string          `json:"context"`
	Thinking     string          `json:"thinking"`
	Signature    string          `json:"signature"`
	Data         string          `json:"data"`
}

type anthropicSrc struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
	FileID    string `json:"file_id"`
}

type anthropicTool struct {
	Type         string          `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"input_schema"`
	CacheControl json.RawMessage `json:"cache_control"`
}

type anthropicChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// MessagesRequest is what a Messages API request becomes.
type MessagesRequest struct {
	Chat   []byte // the Chat Completions request
	Model  string
	Stream bool
}

// FromMessages translates an Anthropic Messages API request into a Chat
// Completions request, or refuses it (*Error).
func FromMessages(body []byte) (*MessagesRequest, error) { return fromMessages(body, false) }

// FromMessagesCount translates a /v1/messages/count_tokens request (a
// Messages request without max_tokens) for counting its prompt.
func FromMessagesCount(body []byte) (*MessagesRequest, error) { return fromMessages(body, true) }

func fromMessages(body []byte, count bool) (*MessagesRequest, error) {
	var in messagesRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if count {
		if in.MaxTokens != nil || in.Stream {
			return nil, refuse("", "count_tokens takes neither max_tokens nor stream")
		}
		one := int64(1)
		in.MaxTokens = &one
	}
	switch {
	case in.Model == "":
		return nil, refuse("model", "field required")
	case in.MaxTokens == nil:
		return nil, refuse("max_tokens", "field required")
	case *in.MaxTokens < 1:
		return nil, refuse("max_tokens", "must be at least 1")
	case len(in.Messages) == 0:
		return nil, refuse("messages", "field required: at least one message")
	case present(in.Container), present(in.MCPServers):
		return nil, refuse("", "containers and MCP servers run at Anthropic's side: they cannot be translated for the upstream")
	}
	if present(in.Thinking) {
		var t struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(in.Thinking, &t) != nil || t.Type != "disabled" {
			return nil, refuse("thinking", "extended thinking cannot be translated to Chat Completions for the upstream")
		}
	}
	out := chatRequest{Model: in.Model, MaxTokens: in.MaxTokens, Temperature: in.Temperature, TopP: in.TopP, TopK: in.TopK,
		Stop: in.StopSequences, Stream: in.Stream}
	if in.Stream {
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	if in.Metadata != nil {
		out.User = in.Metadata.UserID
	}
	if present(in.System) {
		m, err := anthropicSystem(in.System)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, m)
	}
	for i, turn := range in.Messages {
		msgs, err := anthropicTurnToChat(turn, fmt.Sprintf("messages[%d]", i))
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msgs...)
	}
	for i, t := range in.Tools {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "custom" {
			return nil, refuse(p+".type", "Anthropic's server and client tools (web search, bash, text editor, computer use) run at Anthropic's side: only custom tools can be translated")
		}
		if t.Name == "" {
			return nil, refuse(p+".name", "field required")
		}
		schema := t.InputSchema
		if !present(schema) {
			return nil, refuse(p+".input_schema", "field required")
		}
		out.Tools = append(out.Tools, chatTool{Type: "function", Function: chatToolDef{Name: t.Name, Description: t.Description, Parameters: schema}})
	}
	if c := in.ToolChoice; c != nil {
		switch c.Type {
		case "auto":
			out.ToolChoice = "auto"
		case "any":
			out.ToolChoice = "required"
		case "none":
			out.ToolChoice = "none"
		case "tool":
			if c.Name == "" {
				return nil, refuse("tool_choice.name", "field required")
			}
			out.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": c.Name}}
		default:
			return nil, refuse("tool_choice.type", "want auto, any, tool or none")
		}
		if c.DisableParallelToolUse {
			f := false
			out.ParallelToolCalls = &f
		}
	}
	chat, err := json.Marshal(&out)
	if err != nil {
		return nil, err
	}
	return &MessagesRequest{Chat: chat, Model: in.Model, Stream: in.Stream}, nil
}

// present reports whether a raw member was given and is not null.
func present(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null"
}

// anthropicSystem turns system (a string or text blocks) into a system
// message.
func anthropicSystem(raw json.RawMessage) (chatMessage, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return chatMessage{Role: "system", Content: s}, nil
	}
	var blocks []anthropicBlock
	if json.Unmarshal(raw, &blocks) != nil {
		return chatMessage{}, refuse("system", "want a string or a list of text blocks")
	}
	var parts []chatPart
	for i, b := range blocks {
		if b.Type != "text" {
			return chatMessage{}, refuse(fmt.Sprintf("system[%d].type", i), "only text blocks can be a system prompt")
		}
		if present(b.Citations) {
			return chatMessage{}, refuse(fmt.Sprintf("system[%d].citations", i), "citations cannot be translated")
		}
		parts = append(parts, chatPart{Type: "text", Text: b.Text})
	}
	return chatMessage{Role: "system", Content: parts}, nil
}

// anthropicTurnToChat turns one turn into Chat Completions messages: a
// user turn's tool results become tool messages (before the rest of the
// turn, as Anthropic requires them first), an assistant turn's tool uses
// become tool calls.
func anthropicTurnToChat(turn anthropicTurn, p string) ([]chatMessage, error) {
	if turn.Role != "user" && turn.Role != "assistant" {
		return nil, refuse(p+".role", "want user or assistant")
	}
	var s string
	if json.Unmarshal(turn.Content, &s) == nil {
		return []chatMessage{{Role: turn.Role, Content: s}}, nil
	}
	var blocks []anthropicBlock
	if err := decodeBlocks(turn.Content, &blocks); err != nil {
		return nil, refuse(p+".content", "%s", err)
	}
	var out []chatMessage
	var parts []chatPart
	var calls []chatToolCall
	for i, b := range blocks {
		bp := fmt.Sprintf("%s.content[%d]", p, i)
		if present(b.Citations) {
			return nil, refuse(bp+".citations", "citations cannot be translated")
		}
		switch b.Type {
		case "text":
			parts = append(parts, chatPart{Type: "text", Text: b.Text})
		case "image":
			if turn.Role != "user" {
				return nil, refuse(bp, "images belong in user turns")
			}
			part, err := anthropicImage(b.Source, bp)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part)
		case "tool_use":
			if turn.Role != "assistant" {
				return nil, refuse(bp, "tool_use blocks belong in assistant turns")
			}
			args, ok := compactObject(b.Input)
			if b.ID == "" || b.Name == "" || !ok {
				return nil, refuse(bp, "a tool_use block needs an id, a name and an input object")
			}
			calls = append(calls, chatToolCall{ID: b.ID, Type: "function", Function: chatFunction{Name: b.Name, Arguments: args}})
		case "tool_result":
			if turn.Role != "user" {
				return nil, refuse(bp, "tool_result blocks belong in user turns")
			}
			if b.ToolUseID == "" {
				return nil, refuse(bp+".tool_use_id", "field required")
			}
			text, err := toolResultText(b.Content, bp+".content")
			if err != nil {
				return nil, err
			}
			if b.IsError {
				text = "[tool error] " + text
			}
			out = append(out, chatMessage{Role: "tool", ToolCallID: b.ToolUseID, Content: text})
		case "document":
			return nil, refuse(bp+".type", "documents (PDF, plain-text sources) cannot be translated to Chat Completions")
		case "thinking", "redacted_thinking":
			return nil, refuse(bp+".type", "thinking blocks cannot be translated to Chat Completions")
		default:
			return nil, refuse(bp+".type", "%s blocks cannot be translated to Chat Completions", quote(b.Type))
		}
	}
	switch {
	case turn.Role == "assistant":
		m := chatMessage{Role: "assistant", ToolCalls: calls}
		if len(parts) > 0 || len(calls) == 0 {
			m.Content = joinText(parts)
		}
		out = append(out, m)
	case len(parts) > 0 || len(out) == 0:
		out = append(out, chatMessage{Role: "user", Content: parts})
	}
	return out, nil
}

// decodeBlocks reads a list of content blocks, refusing members no block
// has.
func decodeBlocks(raw json.RawMessage, blocks *[]anthropicBlock) error {
	if err := decode(raw, blocks); err != nil {
		return fmt.Errorf("want a string or a list of content blocks: %v", err)
	}
	return nil
}

// joinText is an assistant turn's text: its text blocks one after the other.
func joinText(parts []chatPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// anthropicImage turns an image source into an image_url part.
func anthropicImage(src *anthropicSrc, p string) (chatPart, error) {
	switch {
	case src == nil:
		return chatPart{}, refuse(p+".source", "field required")
	case src.Type == "base64" && src.MediaType != "" && src.Data != "":
		return chatPart{Type: "image_url", ImageURL: &imageURL{URL: "data:" + src.MediaType + ";base64," + src.Data}}, nil
	case src.Type == "url" && (strings.HasPrefix(src.URL, "https://") || strings.HasPrefix(src.URL, "http://")):
		return chatPart{Type: "image_url", ImageURL: &imageURL{URL: src.URL}}, nil
	case src.Type == "file":
		return chatPart{}, refuse(p+".source", "files uploaded to Anthropic cannot be translated")
	}
	return chatPart{}, refuse(p+".source", "want a base64 source with its media_type, or an http(s) url")
}

// toolResultText is a tool result's content as text: a string, or text
// blocks (an image in a tool result cannot be carried by a tool message).
func toolResultText(raw json.RawMessage, p string) (string, error) {
	if !present(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []anthropicBlock
	if err := decodeBlocks(raw, &blocks); err != nil {
		return "", refuse(p, "%s", err)
	}
	var b strings.Builder
	for i, blk := range blocks {
		if blk.Type != "text" {
			return "", refuse(fmt.Sprintf("%s[%d].type", p, i), "a tool result translated to a tool message can hold only text")
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(blk.Text)
	}
	return b.String(), nil
}
