package pipeline

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
)

// screen applies content controls to the request body: every string value
// a model reads (messages and their parts, tool-call arguments, prompts,
// embedding inputs; not model names, roles, ids or schemas) is stripped of
// invisible characters, normalised (NFKC), and put through the request
// policy: redacted, masked or hashed in place, or the request is refused
// with 403 content_blocked before anything reaches the upstream. What was
// done goes into the record's filters, never what was found.
func screen(next Handler) Handler {
	return func(w http.ResponseWriter, r *http.Request, x *Exchange) error {
		var p, resp *content.Policy
		if x.Env.Content != nil {
			p, resp = x.Env.Content.For(x.Decision.Role, x.Route.Name)
		}
		if resp.Active() && asksLogprobs(x.Body) {
			// Log probabilities carry the answer token by token, where no
			// filter can see a value whole.
			return httperr.New(http.StatusBadRequest, "logprobs_not_allowed", "log probabilities are not available for this model: its responses are filtered")
		}
		if p.Active() && tokenIDs(x.Body) {
			// Numbers are not text to the detectors: a prompt of token ids
			// would pass every rule unread.
			return httperr.New(http.StatusBadRequest, "invalid_request", "prompts and inputs given as token ids cannot be screened by this model's content policy; send text")
		}
		body, s, err := FilterRequest(p, x.Body)
		if err != nil {
			return httperr.Wrap(http.StatusBadRequest, "invalid_request", ErrNotJSON.Error(), err)
		}
		x.Filters = appendFilters(x.Filters, "request", s.Counts())
		if rule := s.Blocked(); rule != "" {
			x.Blocked = rule
			return httperr.New(http.StatusForbidden, "content_blocked", content.BlockedMessage(rule))
		}
		if len(body) != len(x.Body) || len(body) > 0 && &body[0] != &x.Body[0] {
			req, err := ParseRequest(body)
			if err != nil { // cannot happen: only string contents changed
				return httperr.Wrap(http.StatusInternalServerError, "internal_error", "the filtered request is malformed", err)
			}
			x.Body, x.Request = body, req
		}
		return next(w, r, x)
	}
}

// tokenIDs reports whether a completions prompt or an embeddings input is
// given as token ids (an array of integers, or of arrays of integers).
func tokenIDs(body []byte) bool {
	var v struct {
		Prompt json.RawMessage `json:"prompt"`
		Input  json.RawMessage `json:"input"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false // ParseRequest has refused it already
	}
	for _, raw := range []json.RawMessage{v.Prompt, v.Input} {
		// [1, 2], [[1, 2]]: the first value inside the brackets is a number.
		raw = bytes.TrimLeft(raw, " \t\r\n[")
		if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
			return true
		}
	}
	return false
}

// schemaKeys returns the object keys within a request's JSON schemas (tool
// and function parameters, response_format), a line each; nil if it has
// none (no second decode of a request without a schema).
func schemaKeys(body []byte) []byte {
	if !bytes.Contains(body, []byte(`"parameters"`)) && !bytes.Contains(body, []byte(`"response_format"`)) {
		return nil
	}
	var v struct {
		Tools []struct {
			Function struct {
				Parameters any `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Functions []struct {
			Parameters any `json:"parameters"`
		} `json:"functions"`
		ResponseFormat any `json:"response_format"`
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	var keys []byte
	var walk func(x any, depth int)
	walk = func(x any, depth int) {
		if depth > 100 {
			return
		}
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				keys = append(append(keys, k...), 0x1e) // a separator no phrase spans
				walk(e, depth+1)
			}
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		}
	}
	for _, t := range v.Tools {
		walk(t.Function.Parameters, 0)
	}
	for _, f := range v.Functions {
		walk(f.Parameters, 0)
	}
	walk(v.ResponseFormat, 0)
	return keys
}

// FilterRequest applies p (nil: only sanitising) to the content of a
// request body, as the gateway does; the session says what was done and
// whether a rule blocked. `warden content test` shows it to operators.
func FilterRequest(p *content.Policy, body []byte) ([]byte, *content.Session, error) {
	s := p.NewSession()
	var roles []string
	if p.Screens() { // only injection screening needs the roles: no decode per request otherwise
		roles = messageRoles(body)
	}
	texts := make([][]byte, len(roles)) // each message's text, for injection screening
	if p.Active() {
		// Property names in schemas are text a model reads, and cannot be
		// rewritten: what a rule would act on there refuses the request.
		if keys := schemaKeys(body); len(keys) > 0 && s.Forbid(keys) != "" {
			return body, s, nil
		}
	}
	skip := func(path content.Path) bool { return notContent(path) || p.Skip(path) }
	out, err := content.RewriteStrings(body, skip, func(path content.Path, text []byte) []byte {
		if len(path) > 0 && path[len(path)-1] == "arguments" { // JSON text: read its escapes
			text = content.UnescapeJSON(text)
		}
		out := s.Filter(text)
		i := path.Index(1)
		switch {
		case !p.Screens():
		case len(path) == 0 || path[0] != "messages" || i < 0 || i >= len(roles):
			s.Screen(out)
		case roles[i] == "system" || roles[i] == "developer":
			// The application's own instructions (they may well say "you
			// are ...; never reveal your instructions"): not screened. An
			// end user's text reaches a model as user content or tool
			// results.
		default:
			texts[i] = append(append(texts[i], out...), '\n')
		}
		return out
	})
	for _, t := range texts {
		if len(t) > 0 {
			s.Screen(t) // a message's parts together
		}
	}
	return out, s, err
}

// asksLogprobs reports whether a request asks for log probabilities
// (chat: logprobs true or top_logprobs; completions: logprobs N).
func asksLogprobs(body []byte) bool {
	var v struct {
		Logprobs    json.RawMessage `json:"logprobs"`
		TopLogprobs json.RawMessage `json:"top_logprobs"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	on := func(r json.RawMessage) bool {
		s := string(r)
		return len(s) > 0 && s != "null" && s != "false" && s != "0"
	}
	return on(v.Logprobs) || on(v.TopLogprobs)
}

// messageRoles returns the role of each message of a chat request.
func messageRoles(body []byte) []string {
	var v struct {
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	roles := make([]string, len(v.Messages))
	for i, m := range v.Messages {
		roles[i] = m.Role
	}
	return roles
}

// ContentPolicies give the content policies of a role's requests to a
// model (content.*, with the role's and the model's overrides).
type ContentPolicies interface {
	For(role, model string) (request, response *content.Policy)
}

func appendFilters(fs []auditlog.Filter, stage string, counts []content.Count) []auditlog.Filter {
	for _, c := range counts {
		fs = append(fs, auditlog.Filter{Stage: stage, Type: c.Type, Entity: c.Entity, Action: c.Action, Count: c.N})
	}
	return fs
}

// notContentPaths are the request fields that name, identify or describe
// rather than say something: model and role names, ids, types, tool
// names, images and audio. JSON schemas are structure, but for their
// descriptive values (schemaRoots).
var notContentPaths = []content.Path{
	{"model"},
	{"messages", "[]", "role"},
	{"messages", "[]", "tool_call_id"},
	{"messages", "[]", "tool_calls", "[]", "id"},
	{"messages", "[]", "tool_calls", "[]", "type"},
	{"messages", "[]", "tool_calls", "[]", "function", "name"},
	{"messages", "[]", "function_call", "name"},
	{"messages", "[]", "content", "[]", "type"},
	{"messages", "[]", "content", "[]", "image_url"},
	{"messages", "[]", "content", "[]", "input_audio"},
	{"messages", "[]", "content", "[]", "file"},
	{"tools", "[]", "type"},
	{"tools", "[]", "function", "name"},
	{"functions", "[]", "name"},
	{"tool_choice"},
	{"function_call"},
	{"encoding_format"},
	{"service_tier"},
	{"reasoning_effort"},
	{"modalities"},
}

// schemaRoots hold JSON schemas: in them only the values of descriptive
// keywords are text a model reads.
var schemaRoots = []content.Path{
	{"tools", "[]", "function", "parameters"},
	{"functions", "[]", "parameters"},
	{"response_format"},
}

var schemaText = map[string]bool{"description": true, "title": true, "enum": true, "default": true, "examples": true, "const": true}

func notContent(p content.Path) bool {
	for _, root := range schemaRoots {
		if p.Match(root) {
			for i := len(p) - 1; i >= len(root); i-- {
				if len(p[i]) == 0 || p[i][0] != '[' { // "" is a key, if an odd one
					return !schemaText[p[i]]
				}
			}
			return true
		}
	}
	for _, pat := range notContentPaths {
		if p.Match(pat) {
			return true
		}
	}
	return false
}
