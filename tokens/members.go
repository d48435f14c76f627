package tokens

import (
	"iter"

	"github.com/wardenhq/warden/internal/reqjson"
)

// objectMembers yields the members of the JSON object body, in order: each
// name as its string token (quotes included, escapes not undone) and its
// value's text. body must be valid JSON (encoding/json has read it); on
// anything else the scan stops, never reading past the end.
func objectMembers(body []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		i := reqjson.SkipSpace(body, 0)
		if i >= len(body) || body[i] != '{' {
			return
		}
		for i = reqjson.SkipSpace(body, i+1); i < len(body) && body[i] == '"'; {
			k := i
			i = reqjson.SkipString(body, i)
			name := body[k:i]
			if i = reqjson.SkipSpace(body, i); i >= len(body) || body[i] != ':' {
				return
			}
			v := reqjson.SkipSpace(body, i+1)
			i = reqjson.SkipValue(body, v)
			if v >= i || !yield(name, body[v:i]) {
				return
			}
			if i = reqjson.SkipSpace(body, i); i < len(body) && body[i] == ',' {
				i = reqjson.SkipSpace(body, i+1)
			}
		}
	}
}
