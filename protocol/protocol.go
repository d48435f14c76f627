// Package protocol translates between the inference APIs Warden serves and
// the one its controls read: Anthropic's Messages API and OpenAI's
// Responses API are turned into Chat Completions requests on the way in,
// and Chat Completions answers (whole or streamed) back into theirs on the
// way out. Every control then applies to one form, whatever the client
// speaks (docs/interfaces.md).
//
// A translation is faithful or refused: a parameter or content block that
// Chat Completions cannot carry is an *Error (400), never silently
// dropped. The few things that are dropped on purpose (cache hints) are
// listed in the docs.
package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/wardenhq/warden/internal/reqjson"
)

// Error is a request that cannot be translated: the client is answered
// 400 with Msg, which names parameters by Warden's own words or by names
// that look like parameter names, never by values.
type Error struct {
	Param string // the parameter, as a path ("messages[2].content[0].type"), or ""
	Msg   string
}

func (e *Error) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

func refuse(param, format string, args ...any) error {
	return &Error{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// paramName is what a client's key must look like to be quoted in an
// error; anything else is described, not quoted.
var paramName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func quote(key string) string {
	if paramName.MatchString(key) {
		return fmt.Sprintf("%q", key)
	}
	return "a parameter"
}

// decode reads body into v as the translation needs it: valid JSON, no
// key repeated or differing only in case (anywhere), member names exact
// (reqjson.Unmarshal), and no member v does not know (the error names it
// if it looks like a parameter name).
func decode(body []byte, v any) error {
	if !json.Valid(body) {
		return &Error{Msg: "request body is not valid JSON"}
	}
	if err := reqjson.CheckKeys(body); err != nil {
		return &Error{Msg: err.Error()}
	}
	if err := reqjson.Exact(body, v); err != nil {
		var fe *reqjson.FieldError
		if errors.As(err, &fe) {
			return &Error{Msg: fe.Error()}
		}
		return &Error{Msg: "request body does not match the API's shape"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			key = strings.Trim(key, `"`)
			return &Error{Msg: fmt.Sprintf("%s is not a parameter Warden can translate to Chat Completions for the upstream", quote(key))}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Param: te.Field, Msg: "has the wrong type"}
		}
		return &Error{Msg: "request body does not match the API's shape"}
	}
	return nil
}

// The Chat Completions request, as the translations write it.
type chatRequest struct {
	Model             string          `json:"model"`
	Messages          []chatMessage   `json:"messages"`
	MaxTokens         *int64          `json:"max_tokens,omitempty"`
	Temperature       *float64        `json:"temperature,omitempty"`
	TopP              *float64        `json:"top_p,omitempty"`
	TopK              *int64          `json:"top_k,omitempty"`
	Stop              []string        `json:"stop,omitempty"`
	Stream            bool            `json:"stream,omitempty"`
	StreamOptions     *streamOptions  `json:"stream_options,omitempty"`
	Tools             []chatTool      `json:"tools,omitempty"`
	ToolChoice        any             `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	User              string          `json:"user,omitempty"`
	ResponseFormat    json.RawMessage `json:"response_format,omitempty"`
	ReasoningEffort   string          `json:"reasoning_effort,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role       string         `json:"role"`
	Content    any            `json:"content,omitempty"` // string, []chatPart, or nil beside tool calls
	ToolCalls  []chatToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type chatPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type chatToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function chatFunction `json:"function"`
}

type chatFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type chatTool struct {
	Type     string      `json:"type"`
	Function chatToolDef `json:"function"`
}

type chatToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// The Chat Completions answer, as the translations read it.
type chatCompletion struct {
	ID      string       `json:"id"`
	Model   string       `json:"model"`
	Created int64        `json:"created"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      chatAnswer      `json:"message"`
	Delta        chatAnswer      `json:"delta"`
	FinishReason *string         `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

type chatAnswer struct {
	Role      string           `json:"role"`
	Content   *string          `json:"content"`
	Refusal   *string          `json:"refusal"`
	ToolCalls []chatToolCallIn `json:"tool_calls"`
}

type chatToolCallIn struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// compactObject returns raw as compact JSON if it is an object.
func compactObject(raw json.RawMessage) (string, bool) {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil || b.Len() == 0 || b.Bytes()[0] != '{' {
		return "", false
	}
	return b.String(), true
}

// suffix returns id without a prefix such as "chatcmpl-", for minting the
// translated answer's id from the upstream's.
func suffix(id string) string {
	if i := strings.LastIndexAny(id, "-_"); i >= 0 && i < len(id)-1 {
		return id[i+1:]
	}
	return id
}
