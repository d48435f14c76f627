package tokens

import "iter"

// objectMembers yields the members of the JSON object body, in order: each
// name as its string token (quotes included, escapes not undone) and its
// value's text. body must be valid JSON (encoding/json has read it); on
// anything else the scan stops, never reading past the end.
func objectMembers(body []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		i := skipSpace(body, 0)
		if i >= len(body) || body[i] != '{' {
			return
		}
		for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; {
			k := i
			i = skipString(body, i)
			name := body[k:i]
			if i = skipSpace(body, i); i >= len(body) || body[i] != ':' {
				return
			}
			v := skipSpace(body, i+1)
			i = skipValue(body, v)
			if v >= i || !yield(name, body[v:i]) {
				return
			}
			if i = skipSpace(body, i); i < len(body) && body[i] == ',' {
				i = skipSpace(body, i+1)
			}
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the JSON value at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
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
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}
