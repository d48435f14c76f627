package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
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
	ErrDuplicateKey = errors.New("an object in the request body repeats a key, or has keys that differ only in case")
)

// ParseRequest reads the top-level "model" and "stream" members of body.
// Keys are compared after unescaping, and a body in which any object repeats
// a key, or has two that differ only in case ("MODEL", "Stream", even
// "ſtream"), is refused: decoders disagree on which one counts (Go's
// encoding/json, used by Ollama, folds case and keeps the last; Python
// servers read the exact key), so such a body could mean one model, stream
// or token budget to policy and another to the upstream.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	// RFC 8259 JSON is UTF-8; encoding/json accepts invalid bytes in strings
	// and decoders disagree on how to repair them, so they are refused.
	if !utf8.Valid(body) || !json.Valid(body) {
		return r, ErrNotJSON
	}
	if foldedDuplicates(body) {
		return r, ErrDuplicateKey
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return r, ErrNotObject
	}
	i++
	seenModel := false
	for {
		i = skipSpace(body, i)
		if body[i] == '}' {
			break
		}
		if body[i] == ',' {
			i = skipSpace(body, i+1)
		}
		ks := i
		i = skipString(body, i)
		key := body[ks+1 : i-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			json.Unmarshal(body[ks:i], &k) // valid: checked above
			key = []byte(k)
		}
		i = skipSpace(body, i) + 1 // ':'
		vs := skipSpace(body, i)
		i = skipValue(body, vs)
		switch string(key) {
		default:
			// "Model" or "Stream" alone: a case-folding decoder reads it
			// as the real thing, policy would not.
			if bytes.EqualFold(key, keyModel) || bytes.EqualFold(key, keyStream) {
				return r, ErrDuplicateKey
			}
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

var keyModel, keyStream = []byte("model"), []byte("stream")

// WithModel returns body with the model value replaced by name. It allocates
// a new slice; body is not modified.
func (r Request) WithModel(body []byte, name string) []byte {
	q, _ := json.Marshal(name)
	out := make([]byte, 0, len(body)-(r.modelEnd-r.modelStart)+len(q))
	out = append(out, body[:r.modelStart]...)
	out = append(out, q...)
	return append(out, body[r.modelEnd:]...)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index just past the (valid) JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	default: // number, true, false, null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return i
			}
		}
		return i
	}
}
