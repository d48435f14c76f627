// Package reqjson describes how Warden reads an OpenAI request body (chat
// completions, completions, embeddings): which fields it reads, by their
// exact names as OpenAI's servers read them, where they sit, and what kind
// of string each holds. The request parser (case-variant names, grammars),
// the token estimate and the content controls all read this one table, so
// they cannot drift apart.
//
// Go's encoding/json matches names case-insensitively, with Unicode simple
// folding ("MAX_TOKENS", "max_to\u212aens" with a Kelvin sign, "ſtream"
// all read as the real field), while Python servers read them exactly: a
// decision made on one reading and a generation made on the other can
// disagree. Decoders here read names exactly (Unmarshal), and the parser
// refuses a body that carries a case-variant of a name in this table.
package reqjson

// Kind says what the strings at a field are to a model, and so what Warden
// does with them.
type Kind uint8

const (
	// Text is read by the model as text: screened by the content policy
	// (redacted, masked, hashed or blocked in place; injection screening)
	// and shown in the approver's preview. Fields not in the table are Text.
	Text Kind = iota
	// Model names the model: routed by Warden, rewritten to the upstream's
	// name, never read as text.
	Model
	// Role is a message's role, one of a closed set (Roles).
	Role
	// Name is a name or an enumeration value (a function or tool name, a
	// part's type, an image's detail): 1 to 64 ASCII letters, digits, "_"
	// or "-".
	Name
	// ID is an identifier (a tool call's id, a file id): up to 256 ASCII
	// letters, digits, "_", "-", "." or ":".
	ID
	// URL is an image URL: http or https (its text is screened, not
	// rewritten), or a data:image/...;base64, URL (its payload is not text).
	URL
	// Data is base64 data (audio, a file), optionally as a data: URL.
	Data
	// Schema is a JSON schema (tool parameters, a response format's
	// schema): every string value in it is text a model reads, and so are
	// its object keys (property names), which cannot be rewritten.
	Schema
	// Refused is a member a request may not carry at all, whatever its
	// value: extra_body, the OpenAI SDKs' client-side option, which they
	// merge into the top level before sending. Sent as it is, a proxy such
	// as LiteLLM merges it over the body it forwards, so its model,
	// max_tokens or messages would replace those Warden decided on.
	Refused
)

// Field is a field of a request body: the kind of the strings at it (a
// string value there, or in an array there), and the members of an object
// there (or of the objects in an array there), by exact name. A nil
// Members map means the object's keys are not Warden's to know (metadata,
// a schema's properties).
type Field struct {
	Kind    Kind
	Members map[string]*Field
	// List: the field holds an array of strings of its kind (modalities).
	// Elsewhere a field with a grammar holds one string (or an object),
	// never an array: ["system"] is no role.
	List   bool
	sorted []string // the names of Members, sorted
}

// Member returns the member named exactly name, or nil.
func (f *Field) Member(name string) *Field {
	if f == nil {
		return nil
	}
	return f.Members[name]
}

// Roles are the message roles a request may use.
var Roles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// KindAt returns the kind of the string at path in a request body (object
// keys, and "[n]" for array elements, as content.Path has them): a member
// the table does not list is Text, and anything within a schema is Schema.
func KindAt(path []string) Kind {
	f := Request
	for _, e := range path {
		if len(e) > 0 && e[0] == '[' {
			continue // arrays are transparent: an element is read as the array's field
		}
		m := f.Members[e]
		if m == nil {
			if f.Kind == Schema {
				return Schema
			}
			return Text
		}
		f = m
	}
	return f.Kind
}

// Listed reports whether key is, exactly, a member the table lists of the
// object at path (as KindAt reads paths): "role" in a message, "type" in a
// content part. Other keys (of metadata, of a schema, of a field the table
// does not know, or unknown members) are free text a model may read: a
// tool schema's property names, the keys of vLLM's documents, which chat
// templates render.
func Listed(path []string, key []byte) bool {
	f := Request
	for _, e := range path {
		if len(e) > 0 && e[0] == '[' {
			continue
		}
		if f = f.Members[e]; f == nil {
			return false
		}
	}
	return f.Members[string(key)] != nil
}

type members = map[string]*Field

func leaf(k Kind) *Field { return &Field{Kind: k} }

func object(k Kind, m members) *Field { return &Field{Kind: k, Members: m} }

var (
	text   = leaf(Text)
	name   = leaf(Name)
	id     = leaf(ID)
	schema = leaf(Schema)

	// function is a function's definition (tools[].function, functions[]).
	function = object(Text, members{"name": name, "description": text, "parameters": schema, "strict": text})
	// call is a function call (its name and its arguments, JSON text).
	call = object(Text, members{"name": name, "arguments": text})

	part = members{
		"type": name, "text": text, "refusal": text,
		"image_url":   object(URL, members{"url": leaf(URL), "detail": name}),
		"input_audio": object(Text, members{"data": leaf(Data), "format": name}),
		"file":        object(Text, members{"file_data": leaf(Data), "file_id": id, "filename": text}),
	}
	message = object(Text, members{
		"role": leaf(Role), "name": name, "content": object(Text, part), "refusal": text,
		"tool_calls":    object(Text, members{"id": id, "type": name, "function": call}),
		"function_call": call,
		"tool_call_id":  id,
		"audio":         object(Text, members{"id": id}),
	})
)

// Request is the top-level object of a request: the fields of chat
// completions, completions and embeddings requests that Warden reads or
// that OpenAI's API defines with a fixed grammar.
var Request = object(Text, members{
	"model":         leaf(Model),
	"stream":        text,
	"messages":      message,
	"prompt":        text,       // a string, strings, or token ids (numbers)
	"prompt_embeds": leaf(Data), // vLLM: the prompt as base64 embeddings
	"input":         text,
	"content":       text, // llama.cpp's embeddings read it where input is absent
	"suffix":        text,
	"tools":         object(Text, members{"type": name, "function": function}),
	"functions":     function,
	"tool_choice":   object(Name, members{"type": name, "function": object(Text, members{"name": name})}),
	"function_call": object(Name, members{"name": name}),
	"response_format": object(Text, members{"type": name,
		"json_schema": object(Text, members{"name": name, "description": text, "schema": schema, "strict": text})}),
	"max_tokens":            text,
	"max_completion_tokens": text,
	"n_predict":             text, // llama.cpp's max_tokens
	"max_new_tokens":        text, // text-generation-inference's
	"n":                     text,
	"best_of":               text,
	"logprobs":              text,
	"top_logprobs":          text,
	"prompt_logprobs":       text, // vLLM's
	"n_probs":               text, // llama.cpp's logprobs
	"chat_template":         text, // vLLM renders a request's own template
	"chat_template_kwargs":  object(Text, members{"chat_template": text}),
	"stream_options":        object(Text, members{"include_usage": text}),
	"encoding_format":       name,
	"dimensions":            text,
	"service_tier":          name,
	"reasoning_effort":      name,
	"modalities":            &Field{Kind: Name, List: true},
	"audio":                 object(Text, members{"voice": object(Name, members{"id": id}), "format": name}),
	"prediction":            object(Text, members{"type": name, "content": object(Text, part)}),
	"stop":                  text,
	"user":                  text,
	"temperature":           text,
	"top_p":                 text,
	"seed":                  text,
	"presence_penalty":      text,
	"frequency_penalty":     text,
	"parallel_tool_calls":   text,
	"echo":                  text,
	"metadata":              text,
	"logit_bias":            text,
	"store":                 text,
	"extra_body":            leaf(Refused),
})
