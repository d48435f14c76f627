package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/internal/reqjson"
)

// screen applies content controls to the request body: every string a
// model reads either matches a strict grammar (roles, names, ids: checked
// by ParseRequest) or is screened. Text (messages and their parts,
// tool-call arguments, prompts, embedding inputs, tool descriptions, JSON
// schemas) is stripped of invisible characters, normalised (NFKC), and put
// through the request policy: redacted, masked or hashed in place, or the
// request is refused with 403 content_blocked before anything reaches the
// upstream. What cannot be rewritten (names, ids, image URLs, object keys
// the table does not list, such as schema property names) is refused when
// a rule would act on it, and screened for injection. What was done
// goes into the record's filters, never what was found.
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
			// (or of embeddings) would pass every rule unread.
			return httperr.New(http.StatusBadRequest, "invalid_request", "prompts and inputs given as token ids or embeddings cannot be screened by this model's content policy; send text")
		}
		if p.Active() && ownTemplate(x.Body) {
			// A chat template (vLLM renders one given in the request) is a
			// program that writes the prompt: {{ 'sk-pr' ~ 'oj-...' }} puts
			// together what no detector saw whole.
			return httperr.New(http.StatusBadRequest, "invalid_request", "a request's own chat_template cannot be screened by this model's content policy; use the server's")
		}
		spans, err := analyze(r.Context(), p, x)
		if err != nil {
			return err
		}
		body, s, err := filterRequest(p, x.Body, spans)
		if err != nil {
			return httperr.Wrap(http.StatusBadRequest, "invalid_request", ErrNotJSON.Error(), err)
		}
		if err := guard(r.Context(), p, s, x); err != nil {
			x.Filters = appendFilters(x.Filters, "request", s.Counts())
			return err
		}
		x.Filters = appendFilters(x.Filters, "request", s.Counts())
		x.pseudonyms = s.Pseudonyms()
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

// tokenIDs reports whether a completions prompt or an embeddings input
// (input, or a top-level content, which llama.cpp reads in its place)
// holds token ids: a number anywhere in it (an array of integers, or an
// array holding any array of integers, wherever it sits), which no
// detector reads; or whether the request carries its prompt as embeddings
// (vLLM's prompt_embeds). Only strings, and arrays of strings, are text.
func tokenIDs(body []byte) bool {
	var v struct {
		Prompt       json.RawMessage `json:"prompt"`
		Input        json.RawMessage `json:"input"`
		Content      json.RawMessage `json:"content"` // llama.cpp's embeddings read it where input is absent
		PromptEmbeds json.RawMessage `json:"prompt_embeds"`
	}
	if reqjson.Unmarshal(body, &v) != nil {
		return true // not readable, so not screenable (ParseRequest has refused it already)
	}
	return hasNumber(v.Prompt) || hasNumber(v.Input) || hasNumber(v.Content) || len(v.PromptEmbeds) > 0 && string(v.PromptEmbeds) != "null"
}

// hasNumber reports whether the (valid) JSON value holds a number.
func hasNumber(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			i = reqjson.SkipString(raw, i) - 1
		case c == '-' || '0' <= c && c <= '9':
			return true // outside strings, digits only begin numbers
		}
	}
	return false
}

// FilterRequest applies p (nil: only sanitising) to the content of a
// request body, as the gateway does; the session says what was done and
// whether a rule blocked. `warden content test` shows it to operators.
//
// What is done with each string follows from reqjson's table (treat):
// text is filtered in place, and screened for injection message by message
// with its origin (origin): user messages, prompts, inputs and documents
// are the user's; tool and function messages, Anthropic-style tool_result
// blocks and Responses function_call_output items a tool's; system and
// developer messages the application's (system), screened unless the
// policy's injection_sources leave system out; names, ids, http(s) image URLs, a schema's property names
// and its structural values (types, patterns, formats), and every object
// key the table does not list (a schema's property names, the keys of
// documents or of unknown members) are text a model may read but cannot be
// rewritten without breaking the request, so a rule that would redact,
// mask, hash or block in them blocks the request (flags are counted), and
// they are screened for injection (names as words);
// roles, the model, data and data URLs are left alone (roles and data
// match grammars ParseRequest checked), except that data which decodes to
// text (a text file) is screened as text that cannot be rewritten.
func FilterRequest(p *content.Policy, body []byte) ([]byte, *content.Session, error) {
	return filterRequest(p, body, nil)
}

// filterRequest is FilterRequest with what external analyzers found:
// spans[i] in the i-th text filtered (requestTexts' order).
func filterRequest(p *content.Policy, body []byte, spans [][]content.Span) ([]byte, *content.Session, error) {
	f := &requestFilter{p: p, s: p.NewSession(), active: p.Active(), screens: p.Screens()}
	if p.Pseudonymizes() {
		reserve(f.s, body)
	}
	if spans != nil {
		f.s.Analyzed(spans)
	}
	v := content.Visitor{Value: f.value}
	if f.active {
		v.Key = f.key
	}
	out, err := v.Rewrite(body)
	if s := f.s; len(f.held) > 0 && s.Forbid(f.held) != "" {
		return body, s, err
	}
	// What could not be rewritten within a message, screened alone with
	// the message's origin (known only now: a role may follow its
	// content); then each message's text, its parts of one origin
	// together.
	for _, h := range f.heldIn {
		f.s.Screen(h.text, f.origin(h.u))
	}
	type group struct {
		list   string
		i      int
		origin content.Origin
	}
	var order []group
	joined := map[group][]byte{}
	for _, t := range f.texts {
		g := group{t.u.list, t.u.i, f.origin(t.u)}
		if _, ok := joined[g]; !ok {
			order = append(order, g)
		}
		joined[g] = append(append(joined[g], t.text...), '\n')
	}
	for _, g := range order {
		f.s.Screen(joined[g], g.origin)
	}
	return out, f.s, err
}

// unit is where a text of a request sits, for its origin: the message
// (list "messages") or Responses input item (list "input") at index i,
// and the content part at index j within it (-1: none); list "" for a
// text outside any (a prompt, an input string, a document, a tool's
// description), which is the user's.
type unit struct {
	list string
	i, j int
}

// unitOf returns the unit of the string (or key) at path.
func unitOf(path content.Path) unit {
	if len(path) < 2 {
		return unit{i: -1, j: -1}
	}
	switch path[0] {
	case "messages":
		if i := path.Index(1); i >= 0 {
			j := -1
			if len(path) > 3 && path[2] == "content" {
				j = path.Index(3)
			}
			return unit{"messages", i, j}
		}
	case "input":
		if i := path.Index(1); i >= 0 && len(path) > 2 { // an item object, not an embeddings string
			return unit{"input", i, -1}
		}
	}
	return unit{i: -1, j: -1}
}

// toolTypes are the types of content blocks and input items that carry a
// tool's result: Anthropic's tool_result, the Responses API's outputs.
var toolTypes = map[string]bool{
	"tool_result": true, "function_call_output": true, "custom_tool_call_output": true,
	"computer_call_output": true, "local_shell_call_output": true, "mcp_tool_result": true,
}

// origin is who supplied the texts of u: a tool for tool and function
// messages and tool-result blocks and items; the application for system
// and developer messages; the user otherwise.
func (f *requestFilter) origin(u unit) content.Origin {
	var role string
	switch u.list {
	case "messages":
		role = at(f.roles, u.i)
		if role == "tool" || role == "function" || u.j >= 0 && toolTypes[f.types[u]] {
			return content.OriginTool
		}
	case "input":
		role = f.itemRoles[u.i]
		if toolTypes[f.types[u]] {
			return content.OriginTool
		}
	default:
		return content.OriginUser
	}
	if role == "system" || role == "developer" {
		return content.OriginSystem
	}
	return content.OriginUser
}

// note records, from a string at path, a message's role or a part's or
// item's type, which decide the origin of their texts.
func (f *requestFilter) note(path content.Path, text []byte) {
	u := unitOf(path)
	if u.list == "" {
		return
	}
	last := path[len(path)-1]
	switch {
	case u.list == "messages" && len(path) == 3 && last == "role":
		f.roles = setAt(f.roles, u.i, string(text))
	case u.list == "messages" && u.j >= 0 && len(path) == 5 && last == "type",
		u.list == "input" && len(path) == 3 && last == "type":
		if f.types == nil {
			f.types = map[unit]string{}
		}
		f.types[u] = string(text)
	case u.list == "input" && len(path) == 3 && last == "role":
		if f.itemRoles == nil {
			f.itemRoles = map[int]string{}
		}
		f.itemRoles[u.i] = string(text)
	}
}

// reserve notes every placeholder-like token the request's strings and
// keys hold, as written and in NFKC form (a model may write "［PERSON_1］"
// as "[PERSON_1]"), so that the pseudonymize action mints none of them:
// the response never turns the client's own literal into another value.
func reserve(s *content.Session, body []byte) {
	note := func(text []byte) {
		if bytes.IndexByte(text, '[') >= 0 || bytes.Contains(text, []byte("［")) {
			s.Reserve(text)
			s.Reserve(content.NFKC(text))
		}
	}
	content.Visitor{
		Value: func(_ content.Path, text []byte) []byte { note(text); return text },
		Key:   func(_ content.Path, key []byte) { note(key) },
	}.Rewrite(body) // a body that is not JSON is refused by the pass that filters it
}

// requestFilter is FilterRequest's state over one body.
type requestFilter struct {
	p               *content.Policy
	s               *content.Session
	active, screens bool
	roles           []string        // each message's role, for injection screening
	types           map[unit]string // each content part's (and input item's) type
	itemRoles       map[int]string  // each Responses input item's role
	texts           []unitText      // the texts of messages and input items, screened at the end
	heldIn          []unitText      // what cannot be rewritten within them, screened at the end
	held            []byte          // what cannot be rewritten, each value ended by 0x1e
	collect         bool            // only collect the texts that would be filtered, as the detectors read them
	views           [][]byte        // collected texts
	collectBlocked  bool            // a collected text is blocked by the policy itself
}

// unitText is a text of a unit.
type unitText struct {
	u    unit
	text []byte
}

// requestTexts returns the texts FilterRequest would filter in body, in
// its order, as the detectors read them, with what the policy itself
// redacts, masks or hashes overwritten (content.Session.ForAnalyzer):
// what an external analyzer is sent. Names, ids, keys and data are not
// among them. It returns nil if the policy blocks one of the texts anyway.
func requestTexts(p *content.Policy, body []byte) [][]byte {
	f := &requestFilter{p: p, s: p.NewSession(), active: p.Active(), collect: true}
	v := content.Visitor{Value: f.value}
	if _, err := v.Rewrite(body); err != nil || f.collectBlocked {
		return nil
	}
	return f.views
}

// analyze sends the request's texts to the policy's external analyzers
// and returns what they found, text by text (nil with none). An analyzer
// that fails refuses the request (503 analyzer_unavailable, recorded as a
// block by "analyzer.<name>") unless its on_error is allow: then the
// request proceeds with Warden's own findings, and the record notes the
// analyzer skipped. Neither the text nor the failure's detail is in the
// answer or the record.
func analyze(ctx context.Context, p *content.Policy, x *Exchange) ([][]content.Span, error) {
	as := p.Analyzers()
	if len(as) == 0 {
		return nil, nil
	}
	texts := requestTexts(p, x.Body)
	if len(texts) == 0 {
		return nil, nil
	}
	want := p.Acting()
	var merged [][]content.Span
	for _, a := range as {
		found, err := a.Analyze(ctx, texts, want)
		if err != nil {
			if a.FailOpen() {
				x.Filters = append(x.Filters, auditlog.Filter{Stage: "request", Type: "analyzer", Entity: a.Name(), Action: "skipped", Count: 1})
				continue
			}
			x.Filters = append(x.Filters, auditlog.Filter{Stage: "request", Type: "analyzer", Entity: a.Name(), Action: "unavailable", Count: 1})
			x.Blocked = "analyzer." + a.Name()
			return nil, httperr.Wrap(http.StatusServiceUnavailable, "analyzer_unavailable",
				fmt.Sprintf("the content analyzer %s could not screen the request; try again later", a.Name()), err)
		}
		if found == nil {
			continue
		}
		if merged == nil {
			merged = make([][]content.Span, len(texts))
		}
		for i := range min(len(found), len(texts)) {
			merged[i] = append(merged[i], found[i]...)
		}
	}
	return merged, nil
}

// guard asks the policy's external injection screens about the texts the
// session screened (as filtered: what the policy redacted is not sent),
// unless a rule blocked already, and acts on their verdicts as on its
// own (Session.Guard). A guard that fails refuses the request (503
// guard_unavailable, recorded as a block by "guard.<name>") unless its
// on_error is allow, or the policy is in shadow mode: then the record
// notes the guard skipped. Neither
// the texts nor the failure's detail is in the answer or the record.
func guard(ctx context.Context, p *content.Policy, s *content.Session, x *Exchange) error {
	gs := p.Guards()
	if len(gs) == 0 || s.Blocked() != "" {
		return nil
	}
	texts := s.GuardTexts()
	if len(texts) == 0 {
		return nil
	}
	meta := content.GuardMeta{RequestID: x.ID}
	if x.Route != nil {
		meta.Model = x.Route.Name
	}
	for _, g := range gs {
		v, err := g.Check(ctx, texts, meta)
		if err != nil {
			if g.FailOpen() || p.Shadow() { // shadow mode blocks nothing, a guard's failure included
				x.Filters = append(x.Filters, auditlog.Filter{Stage: "request", Type: "guard", Entity: g.Name(), Action: "skipped", Count: 1})
				continue
			}
			x.Filters = append(x.Filters, auditlog.Filter{Stage: "request", Type: "guard", Entity: g.Name(), Action: "unavailable", Count: 1})
			x.Blocked = "guard." + g.Name()
			return httperr.Wrap(http.StatusServiceUnavailable, "guard_unavailable",
				fmt.Sprintf("the injection guard %s could not screen the request; try again later", g.Name()), err)
		}
		if s.Guard(g.Name(), v); s.Blocked() != "" {
			return nil // the caller answers the block
		}
	}
	return nil
}

// key holds the object keys a model may read: every key the table does
// not list at its place (a schema's property names, the keys of vLLM's
// documents, which chat templates render, unknown members), as names are
// held.
func (f *requestFilter) key(path content.Path, key []byte) {
	if !reqjson.Listed(path, key) && !f.p.Skip(path) {
		f.hold(path, key)
	}
}

// value filters, holds or leaves one string, as treat says.
func (f *requestFilter) value(path content.Path, text []byte) []byte {
	if f.screens {
		f.note(path, text)
	}
	switch t := treat(path, text); {
	case t == leave:
		if reqjson.KindAt(path) == reqjson.Data {
			// A file that is text (text/plain, CSV, JSON) is read by the
			// model as text: screened as it is, decoded.
			if f.active && !f.p.Skip(path) {
				if decoded, ok := reqjson.DataText(text); ok {
					f.hold(path, decoded)
				}
			}
		}
		return text
	case f.p.Skip(path):
		return text
	case t == fixed:
		f.hold(path, text)
		if reqjson.KindAt(path) == reqjson.URL {
			// What percent-encoding hides is seen too, however often it
			// was applied: sk%252Dproj is sk%2Dproj to the image's host,
			// and sk-proj to whoever reads its logs.
			u := string(text)
			for range 4 {
				d, err := url.PathUnescape(u)
				if err != nil || d == u {
					break
				}
				f.hold(path, []byte(d))
				u = d
			}
		}
		return text
	}
	isJSON := len(path) > 0 && path[len(path)-1] == "arguments" // JSON text: read its escapes
	if isJSON {
		text = content.UnescapeJSON(text)
	}
	if f.collect {
		view, blocked := f.s.ForAnalyzer(text)
		f.views = append(f.views, view)
		f.collectBlocked = f.collectBlocked || blocked
		return text
	}
	var out []byte
	if isJSON {
		out = f.s.FilterJSON(text)
	} else {
		out = f.s.Filter(text)
	}
	if f.screens {
		if u := unitOf(path); u.list == "" {
			f.s.Screen(out, content.OriginUser)
		} else {
			f.texts = append(f.texts, unitText{u, bytes.Clone(out)})
		}
	}
	return out
}

// hold keeps a string that cannot be rewritten for Forbid, and screens it
// for injection (a name's words apart): at once outside messages and
// input items, at the end within them (their origin is known then).
func (f *requestFilter) hold(path content.Path, t []byte) {
	if f.active {
		f.held = append(append(f.held, t...), 0x1e) // a separator no value spans
	}
	if f.screens {
		if u := unitOf(path); u.list == "" {
			f.s.Screen(spaced(t), content.OriginUser)
		} else {
			f.heldIn = append(f.heldIn, unitText{u, bytes.Clone(spaced(t))})
		}
	}
}

// spaced returns a name as words ("ignore_all-previous" as "ignore all
// previous") for injection screening.
func spaced(name []byte) []byte {
	if !bytes.ContainsAny(name, "_-") {
		return name
	}
	out := bytes.Clone(name)
	for i, c := range out {
		if c == '_' || c == '-' {
			out[i] = ' '
		}
	}
	return out
}

// setAt sets xs[i] to x, growing xs as needed.
func setAt[T any](xs []T, i int, x T) []T {
	for len(xs) <= i {
		var zero T
		xs = append(xs, zero)
	}
	xs[i] = x
	return xs
}

// at is xs[i], or the zero value if xs is shorter.
func at[T any](xs []T, i int) T {
	if i < len(xs) {
		return xs[i]
	}
	var zero T
	return zero
}

// ownTemplate reports whether a request brings its own chat template
// (vLLM's chat_template, or one passed among chat_template_kwargs).
func ownTemplate(body []byte) bool {
	var v struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		Kwargs       struct {
			ChatTemplate json.RawMessage `json:"chat_template"`
		} `json:"chat_template_kwargs"`
	}
	if reqjson.Unmarshal(body, &v) != nil {
		return true // not readable: refused
	}
	return present(v.ChatTemplate) || present(v.Kwargs.ChatTemplate)
}

// present reports whether a member was given and is not null.
func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// asksLogprobs reports whether a request asks for log probabilities
// (chat: logprobs true or top_logprobs; completions: logprobs N; vLLM's
// prompt_logprobs; llama.cpp's own name for them, n_probs).
func asksLogprobs(body []byte) bool {
	var v struct {
		Logprobs       json.RawMessage `json:"logprobs"`
		TopLogprobs    json.RawMessage `json:"top_logprobs"`
		PromptLogprobs json.RawMessage `json:"prompt_logprobs"`
		NProbs         json.RawMessage `json:"n_probs"`
	}
	if reqjson.Unmarshal(body, &v) != nil {
		return true // unreadable: refused (ParseRequest has refused it already)
	}
	on := func(r json.RawMessage) bool {
		s := string(r)
		return len(s) > 0 && s != "null" && s != "false" && s != "0"
	}
	return on(v.Logprobs) || on(v.TopLogprobs) || on(v.PromptLogprobs) || on(v.NProbs)
}

// ContentPolicies give the content policies of a role's requests to a
// model (content.*, with the role's and the model's overrides).
type ContentPolicies interface {
	For(role, model string) (request, response *content.Policy)
}

func appendFilters(fs []auditlog.Filter, stage string, counts []content.Count) []auditlog.Filter {
	for _, c := range counts {
		fs = append(fs, auditlog.Filter{Stage: stage, Type: c.Type, Entity: c.Entity, Action: c.Action, Count: c.N, Score: c.Score, Origin: c.Origin})
	}
	return fs
}

// treatment is what the content controls do with a string of a request.
type treatment uint8

const (
	leave   treatment = iota // not text to a model: the model's name, a role, data
	rewrite                  // text: filtered in place, shown in the approver's preview
	fixed                    // text that cannot be rewritten: a rule acting on it refuses the request
)

// treat says what is done with the string text at path of a request body,
// from reqjson's table: Text is rewritten; in a JSON schema, the values of
// descriptive keywords (schemaText) are rewritten and the rest (types,
// patterns, formats) is fixed; names, ids and http(s) image URLs are fixed;
// the model, roles, data and data URLs are left.
func treat(path content.Path, text []byte) treatment {
	switch reqjson.KindAt(path) {
	case reqjson.Text:
		return rewrite
	case reqjson.Schema:
		for i := len(path) - 1; i >= 0; i-- {
			if len(path[i]) == 0 || path[i][0] != '[' { // "" is a key, if an odd one
				if schemaText[path[i]] {
					return rewrite
				}
				return fixed
			}
		}
	case reqjson.Name, reqjson.ID:
		return fixed
	case reqjson.URL:
		if !reqjson.IsDataURL(text) {
			return fixed
		}
	}
	return leave
}

// schemaText are the JSON-schema keywords whose values are prose a model
// reads, to be filtered like any text.
var schemaText = map[string]bool{"description": true, "title": true, "enum": true, "default": true, "examples": true, "const": true}

// previewed reports whether the approver's preview shows the string text
// at path: every string a model reads that no grammar confines: the text
// (rewrite), image URLs, and a schema's structural values other than
// bare words (a pattern is shown; "object" is not).
func previewed(path content.Path, text []byte) bool {
	switch treat(path, text) {
	case rewrite:
		return true
	case fixed:
		switch reqjson.KindAt(path) {
		case reqjson.URL:
			return true
		case reqjson.Schema:
			return !reqjson.Valid(reqjson.Name, text)
		}
	}
	return false
}
