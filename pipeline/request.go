package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/reqjson"
)

// Request is what the gateway needs from an OpenAI request body. The body
// itself is forwarded byte for byte except for the model value, so fields
// Warden does not know pass through untouched.
type Request struct {
	Model  string
	Stream bool
	// byte offsets of the model's JSON value in the body
	modelStart, modelEnd int
}

// Errors from ParseRequest; their text is safe to show the client.
var (
	ErrNotJSON      = errors.New("request body is not valid JSON")
	ErrNotObject    = errors.New("request body must be a JSON object")
	ErrNoModel      = errors.New("missing required parameter: model")
	ErrModelType    = errors.New("model must be a non-empty string")
	ErrStreamType   = errors.New("stream must be a boolean")
	ErrDuplicateKey = reqjson.ErrDuplicateKey
	// ErrCaseVariant and ErrFieldValue come wrapped in a *reqjson.FieldError
	// whose message names the field.
	ErrCaseVariant = reqjson.ErrCaseVariant
	ErrFieldValue  = reqjson.ErrFieldValue
)

// ParseRequest reads the top-level "model" and "stream" members of body,
// having checked the whole body against the fields Warden reads
// (reqjson.Check): keys are compared after unescaping, and a body is
// refused in which any object repeats a key or has two that differ only in
// case ("MODEL" beside "model", even "ſtream" beside "stream"), in which a
// member's name is a case-variant of a field Warden reads ("MAX_TOKENS",
// "max_to\u212aens": Go's encoding/json, used by Ollama, reads it as
// max_tokens; Python servers and Warden's policy would not), or in which a
// role, a name, an id or an image URL does not match its grammar. Such a
// body could mean one model, stream, token budget or prompt to policy and
// another to the upstream.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	// RFC 8259 JSON is UTF-8; encoding/json accepts invalid bytes in strings
	// and decoders disagree on how to repair them, so they are refused.
	if !utf8.Valid(body) || !json.Valid(body) {
		return r, ErrNotJSON
	}
	i := reqjson.SkipSpace(body, 0)
	if body[i] != '{' {
		return r, ErrNotObject
	}
	if err := reqjson.Check(body); err != nil {
		return r, err
	}
	i++
	seenModel := false
	for {
		i = reqjson.SkipSpace(body, i)
		if body[i] == '}' {
			break
		}
		if body[i] == ',' {
			i = reqjson.SkipSpace(body, i+1)
		}
		ks := i
		i = reqjson.SkipString(body, i)
		key := keyText(body[ks:i])
		i = reqjson.SkipSpace(body, i) + 1 // ':'
		vs := reqjson.SkipSpace(body, i)
		i = reqjson.SkipValue(body, vs)
		switch string(key) { // case-variants were refused above
		case "model":
			seenModel = true
			if body[vs] != '"' {
				return r, ErrModelType
			}
			var s string
			if raw := body[vs+1 : i-1]; bytes.IndexByte(raw, '\\') < 0 {
				s = string(raw)
			} else {
				json.Unmarshal(body[vs:i], &s) // valid: checked above
			}
			if s == "" {
				return r, ErrModelType
			}
			r.Model, r.modelStart, r.modelEnd = s, vs, i
		case "stream":
			switch string(body[vs:i]) {
			case "true":
				r.Stream = true
			case "false", "null":
			default:
				return r, ErrStreamType
			}
		}
	}
	if !seenModel {
		return r, ErrNoModel
	}
	return r, nil
}

// WithModel returns body with the model value replaced by name. It allocates
// a new slice; body is not modified.
func (r Request) WithModel(body []byte, name string) []byte {
	q, _ := json.Marshal(name)
	out := make([]byte, 0, len(body)-(r.modelEnd-r.modelStart)+len(q))
	out = append(out, body[:r.modelStart]...)
	out = append(out, q...)
	return append(out, body[r.modelEnd:]...)
}

// keyText returns the text of a (valid) JSON string q, quotes included,
// unescaped if need be.
func keyText(q []byte) []byte {
	k := q[1 : len(q)-1]
	if bytes.IndexByte(k, '\\') < 0 {
		return k
	}
	var s string
	json.Unmarshal(q, &s) // valid: checked by the caller
	return []byte(s)
}
