package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
)

// An OpenAI Responses API request (https://platform.openai.com/docs/api-reference/responses/create).
type responsesRequest struct {
	Model             string          `json:"model"`
	Input             json.RawMessage `json:"input"`
	Instructions      *string         `json:"instructions"`
	MaxOutputTokens   *int64          `json:"max_output_tokens"`
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	Stream            bool            `json:"stream"`
	StreamOptions     json.RawMessage `json:"stream_options"` // obfuscation padding: dropped
	Tools             []responsesTool `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	Text              *responsesText  `json:"text"`
	Reasoning         *struct {
		Effort  string `json:"effort"`
		Summary string `json:"summary"`
	} `json:"reasoning"`
	User               string          `json:"user"`
	SafetyIdentifier   string          `json:"safety_identifier"`
	Store              *bool           `json:"store"`            // Warden keeps no conversation state: dropped
	Metadata           json.RawMessage `json:"metadata"`         // labels for OpenAI's stored responses: dropped
	ServiceTier        string          `json:"service_tier"`     // a billing choice: dropped
	PromptCacheKey     string          `json:"prompt_cache_key"` // a cache hint: dropped
	Truncation         string          `json:"truncation"`
	PreviousResponseID string          `json:"previous_response_id"`
	Conversation       json.RawMessage `json:"conversation"`
	Prompt             json.RawMessage `json:"prompt"`
	Include            []string        `json:"include"`
	Background         bool            `json:"background"`
	MaxToolCalls       *int64          `json:"max_tool_calls"`
	TopLogprobs        *int64          `json:"top_logprobs"`
}

type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

type responsesText struct {
	Format *struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	} `json:"format"`
	Verbosity string `json:"verbosity"`
}

// An input item: a message, a function call, or a function call's output.
type responsesItem struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Status  string          `json:"status"`
	CallID  string          `json:"call_id"`
	Name    string          `json:"name"`
	Args    *string         `json:"arguments"`
	Output  json.RawMessage `json:"output"`
}

type responsesPart struct {
	Type        string          `json:"type"`
	Text        string          `json:"text"`
	Refusal     string          `json:"refusal"`
	ImageURL    string          `json:"image_url"`
	FileID      string          `json:"file_id"`
	FileData    string          `json:"file_data"`
	FileURL     string          `json:"file_url"`
	Filename    string          `json:"filename"`
	Detail      string          `json:"detail"`
	Annotations json.RawMessage `json:"annotations"`
	Logprobs    json.RawMessage `json:"logprobs"`
}

// ResponsesRequest is what a Responses API request becomes.
type ResponsesRequest struct {
	Chat         []byte // the Chat Completions request
	Model        string
	Stream       bool
	Instructions *string
	MaxOutput    *int64
}

// FromResponses translates a Responses API request into a Chat
// Completions request, or refuses it (*Error).
func FromResponses(body []byte) (*ResponsesRequest, error) {
	var in responsesRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case in.Model == "":
		return nil, refuse("model", "field required")
	case !present(in.Input):
		return nil, refuse("input", "field required")
	case in.PreviousResponseID != "", present(in.Conversation):
		return nil, refuse("previous_response_id", "Warden keeps no conversation state: send the whole conversation in input")
	case present(in.Prompt):
		return nil, refuse("prompt", "stored prompt templates live at OpenAI's side: they cannot be translated")
	case len(in.Include) > 0:
		return nil, refuse("include", "cannot be translated to Chat Completions")
	case in.Background:
		return nil, refuse("background", "background responses are not supported")
	case in.Truncation != "" && in.Truncation != "disabled":
		return nil, refuse("truncation", "only disabled can be translated")
	case in.MaxToolCalls != nil, in.TopLogprobs != nil:
		return nil, refuse("", "max_tool_calls and top_logprobs cannot be translated to Chat Completions")
	case in.MaxOutputTokens != nil && *in.MaxOutputTokens < 1:
		return nil, refuse("max_output_tokens", "must be at least 1")
	}
	out := chatRequest{Model: in.Model, MaxTokens: in.MaxOutputTokens, Temperature: in.Temperature, TopP: in.TopP,
		Stream: in.Stream, ParallelToolCalls: in.ParallelToolCalls, User: in.User}
	if out.User == "" {
		out.User = in.SafetyIdentifier
	}
	if in.Stream {
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	if r := in.Reasoning; r != nil {
		if r.Summary != "" {
			return nil, refuse("reasoning.summary", "reasoning summaries cannot be translated to Chat Completions")
		}
		out.ReasoningEffort = r.Effort
	}
	if t := in.Text; t != nil {
		if t.Verbosity != "" && t.Verbosity != "medium" {
			return nil, refuse("text.verbosity", "cannot be translated to Chat Completions")
		}
		if f := t.Format; f != nil {
			switch f.Type {
			case "", "text":
			case "json_object":
				out.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
			case "json_schema":
				if f.Name == "" || !present(f.Schema) {
					return nil, refuse("text.format", "a json_schema format needs a name and a schema")
				}
				rf, _ := json.Marshal(map[string]any{"type": "json_schema", "json_schema": map[string]any{
					"name": f.Name, "description": f.Description, "schema": f.Schema, "strict": f.Strict}})
				out.ResponseFormat = rf
			default:
				return nil, refuse("text.format.type", "want text, json_object or json_schema")
			}
		}
	}
	if in.Instructions != nil && *in.Instructions != "" {
		out.Messages = append(out.Messages, chatMessage{Role: "system", Content: *in.Instructions})
	}
	msgs, err := responsesInput(in.Input)
	if err != nil {
		return nil, err
	}
	out.Messages = append(out.Messages, msgs...)
	for i, t := range in.Tools {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, refuse(p+".type", "only function tools can be translated: OpenAI's hosted tools (web search, file search, computer use, code interpreter, MCP) run at OpenAI's side")
		}
		if t.Name == "" {
			return nil, refuse(p+".name", "field required")
		}
		out.Tools = append(out.Tools, chatTool{Type: "function", Function: chatToolDef{Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	if present(in.ToolChoice) {
		var s string
		var c struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		switch {
		case json.Unmarshal(in.ToolChoice, &s) == nil && (s == "auto" || s == "none" || s == "required"):
			out.ToolChoice = s
		case json.Unmarshal(in.ToolChoice, &c) == nil && c.Type == "function" && c.Name != "":
			out.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": c.Name}}
		default:
			return nil, refuse("tool_choice", "want auto, none, required or a function")
		}
	}
	chat, err := json.Marshal(&out)
	if err != nil {
		return nil, err
	}
	return &ResponsesRequest{Chat: chat, Model: in.Model, Stream: in.Stream, Instructions: in.Instructions, MaxOutput: in.MaxOutputTokens}, nil
}

// responsesInput turns input (a string or a list of items) into messages.
func responsesInput(raw json.RawMessage) ([]chatMessage, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []chatMessage{{Role: "user", Content: s}}, nil
	}
	var items []responsesItem
	if err := decode(raw, &items); err != nil {
		return nil, refuse("input", "want a string or a list of input items: %v", err)
	}
	var out []chatMessage
	for i, it := range items {
		p := fmt.Sprintf("input[%d]", i)
		switch it.Type {
		case "", "message":
			m, err := responsesMessage(it, p)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		case "function_call":
			args := ""
			if it.Args != nil {
				args = *it.Args
			}
			if it.CallID == "" || it.Name == "" {
				return nil, refuse(p, "a function_call needs a call_id and a name")
			}
			call := chatToolCall{ID: it.CallID, Type: "function", Function: chatFunction{Name: it.Name, Arguments: args}}
			// Calls that follow an assistant message (or each other) join it,
			// as Chat Completions carries them.
			if n := len(out); n > 0 && out[n-1].Role == "assistant" {
				out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
			} else {
				out = append(out, chatMessage{Role: "assistant", ToolCalls: []chatToolCall{call}})
			}
		case "function_call_output":
			if it.CallID == "" {
				return nil, refuse(p+".call_id", "field required")
			}
			text, err := responsesOutputText(it.Output, p+".output")
			if err != nil {
				return nil, err
			}
			out = append(out, chatMessage{Role: "tool", ToolCallID: it.CallID, Content: text})
		case "reasoning":
			return nil, refuse(p+".type", "reasoning items cannot be translated to Chat Completions")
		case "item_reference":
			return nil, refuse(p+".type", "Warden keeps no stored items: send the item itself")
		default:
			return nil, refuse(p+".type", "%s items cannot be translated to Chat Completions", quote(it.Type))
		}
	}
	return out, nil
}

// responsesMessage turns a message item into a chat message.
func responsesMessage(it responsesItem, p string) (chatMessage, error) {
	switch it.Role {
	case "user", "system", "developer", "assistant":
	default:
		return chatMessage{}, refuse(p+".role", "want user, assistant, system or developer")
	}
	var s string
	if json.Unmarshal(it.Content, &s) == nil {
		return chatMessage{Role: it.Role, Content: s}, nil
	}
	var parts []responsesPart
	if err := decode(it.Content, &parts); err != nil {
		return chatMessage{}, refuse(p+".content", "want a string or a list of content parts: %v", err)
	}
	var out []chatPart
	for j, part := range parts {
		pp := fmt.Sprintf("%s.content[%d]", p, j)
		switch part.Type {
		case "input_text", "output_text":
			out = append(out, chatPart{Type: "text", Text: part.Text})
		case "refusal":
			out = append(out, chatPart{Type: "text", Text: part.Refusal})
		case "input_image":
			if it.Role != "user" {
				return chatMessage{}, refuse(pp, "images belong in user messages")
			}
			if part.ImageURL == "" {
				return chatMessage{}, refuse(pp, "files uploaded to OpenAI cannot be translated: send the image_url")
			}
			out = append(out, chatPart{Type: "image_url", ImageURL: &imageURL{URL: part.ImageURL, Detail: part.Detail}})
		case "input_file":
			return chatMessage{}, refuse(pp+".type", "input files cannot be translated to Chat Completions")
		default:
			return chatMessage{}, refuse(pp+".type", "%s parts cannot be translated to Chat Completions", quote(part.Type))
		}
	}
	if it.Role == "assistant" || it.Role == "system" || it.Role == "developer" {
		// Text only: one string, as every server reads it.
		return chatMessage{Role: it.Role, Content: joinText(out)}, nil
	}
	return chatMessage{Role: it.Role, Content: out}, nil
}

// responsesOutputText is a function call output as text.
func responsesOutputText(raw json.RawMessage, p string) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []responsesPart
	if err := decode(raw, &parts); err != nil {
		return "", refuse(p, "want a string or text parts")
	}
	var b strings.Builder
	for j, part := range parts {
		if part.Type != "input_text" && part.Type != "output_text" {
			return "", refuse(fmt.Sprintf("%s[%d].type", p, j), "a function output translated to a tool message can hold only text")
		}
		b.WriteString(part.Text)
	}
	return b.String(), nil
}
