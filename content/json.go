package content

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Path is where a string sits in a JSON document: object keys, and "[n]"
// for array element n (messages[1].content is {"messages", "[1]",
// "content"}).
type Path []string

// Match reports whether p lies within pattern, whose "[]" elements match
// any array element: {"messages", "[]", "role"} matches messages[3].role.
func (p Path) Match(pattern Path) bool {
	if len(p) < len(pattern) {
		return false
	}
	for i, e := range pattern {
		if e != p[i] && !(e == "[]" && len(p[i]) > 0 && p[i][0] == '[') {
			return false
		}
	}
	return true
}

// Index returns the array index at p[i] ("[3]" → 3), or -1.
func (p Path) Index(i int) int {
	if i >= len(p) || len(p[i]) < 3 || p[i][0] != '[' {
		return -1
	}
	n := 0
	for _, c := range p[i][1 : len(p[i])-1] {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// indexNames are the path elements of the first array indexes.
var indexNames = func() (n [64]string) {
	for i := range n {
		n[i] = "[" + strconv.Itoa(i) + "]"
	}
	return n
}()

func indexName(i int) string {
	if i < len(indexNames) {
		return indexNames[i]
	}
	return "[" + strconv.Itoa(i) + "]"
}

// ErrJSON: the document is not the JSON it was said to be.
var ErrJSON = errors.New("content: malformed JSON")

// RewriteStrings calls f with the text of every string value in doc (not
// object keys) whose path skip does not exclude, and returns doc with the
// values f changed re-encoded; everything else is kept byte for byte. doc
// must be valid JSON (as the request parser has checked).
func RewriteStrings(doc []byte, skip func(Path) bool, f func(Path, []byte) []byte) ([]byte, error) {
	return Visitor{Skip: skip, Value: f}.Rewrite(doc)
}

// Visitor is what Rewrite does with a JSON document's strings: the one
// extractor of the text in requests and responses.
type Visitor struct {
	// Skip, if set, excludes the string values at a path from Value.
	Skip func(Path) bool
	// Value is called with the path and text (unescaped) of every string
	// value not skipped, and returns the text to write instead: the same
	// slice to keep it as written.
	Value func(Path, []byte) []byte
	// Key, if set, is called with every object key (unescaped) and the
	// path of its object, before the key's value is visited.
	Key func(Path, []byte)
}

// Rewrite visits doc and returns it with the values Value changed
// re-encoded; everything else is kept byte for byte. doc must be valid
// JSON.
func (v Visitor) Rewrite(doc []byte) ([]byte, error) {
	w := rewriter{doc: doc, skip: v.Skip, f: v.Value, key: v.Key}
	i, err := w.value(skipWS(doc, 0))
	if err != nil {
		return nil, err
	}
	if skipWS(doc, i) != len(doc) {
		return nil, ErrJSON
	}
	if w.out == nil {
		return doc, nil
	}
	return append(w.out, doc[w.last:]...), nil
}

// maxDepth bounds the nesting RewriteStrings follows: deeper documents are
// refused, not recursed into (an upstream answer is not checked first).
const maxDepth = 1000

type rewriter struct {
	depth int
	doc   []byte
	skip  func(Path) bool
	f     func(Path, []byte) []byte
	key   func(Path, []byte)
	path  Path
	out   []byte // nil until something changes
	last  int    // doc[:last] is in out
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// value reads the value at i and returns the index after it.
func (w *rewriter) value(i int) (int, error) {
	d := w.doc
	if i >= len(d) {
		return 0, ErrJSON
	}
	switch d[i] {
	case '{', '[':
		if w.depth++; w.depth > maxDepth {
			return 0, ErrJSON
		}
		defer func() { w.depth-- }()
	}
	switch d[i] {
	case '{':
		i = skipWS(d, i+1)
		if i < len(d) && d[i] == '}' {
			return i + 1, nil
		}
		for {
			if i >= len(d) || d[i] != '"' {
				return 0, ErrJSON
			}
			ks := i
			e, err := stringEnd(d, i)
			if err != nil {
				return 0, err
			}
			raw := d[ks+1 : e-1]
			key := string(raw)
			if hasEscape(raw) {
				var k string
				if json.Unmarshal(d[ks:e], &k) != nil {
					return 0, ErrJSON
				}
				key, raw = k, []byte(k)
			}
			if w.key != nil {
				w.key(w.path, raw[:len(raw):len(raw)])
			}
			i = skipWS(d, e)
			if i >= len(d) || d[i] != ':' {
				return 0, ErrJSON
			}
			w.path = append(w.path, key)
			i, err = w.value(skipWS(d, i+1))
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return 0, err
			}
			i = skipWS(d, i)
			if i < len(d) && d[i] == ',' {
				i = skipWS(d, i+1)
				continue
			}
			if i < len(d) && d[i] == '}' {
				return i + 1, nil
			}
			return 0, ErrJSON
		}
	case '[':
		i = skipWS(d, i+1)
		if i < len(d) && d[i] == ']' {
			return i + 1, nil
		}
		w.path = append(w.path, "")
		defer func() { w.path = w.path[:len(w.path)-1] }()
		for n := 0; ; n++ {
			w.path[len(w.path)-1] = indexName(n)
			var err error
			if i, err = w.value(i); err != nil {
				return 0, err
			}
			i = skipWS(d, i)
			if i < len(d) && d[i] == ',' {
				i = skipWS(d, i+1)
				continue
			}
			if i < len(d) && d[i] == ']' {
				return i + 1, nil
			}
			return 0, ErrJSON
		}
	case '"':
		e, err := stringEnd(d, i)
		if err != nil {
			return 0, err
		}
		if w.skip != nil && w.skip(w.path) {
			return e, nil
		}
		raw := d[i+1 : e-1 : e-1] // f may append, never into doc
		text := raw
		if hasEscape(raw) {
			var s string
			if json.Unmarshal(d[i:e], &s) != nil {
				return 0, ErrJSON
			}
			text = []byte(s)
		}
		if w.f == nil {
			return e, nil
		}
		got := w.f(w.path, text)
		if len(got) == len(text) && (len(got) == 0 || &got[0] == &text[0]) {
			return e, nil // unchanged
		}
		if w.out == nil {
			w.out = make([]byte, 0, len(d)+64)
		}
		w.out = append(w.out, d[w.last:i]...)
		w.out = appendJSONString(w.out, got)
		w.last = e
		return e, nil
	default: // number, true, false, null
		for i < len(d) && d[i] != ',' && d[i] != '}' && d[i] != ']' && d[i] != ' ' && d[i] != '\n' && d[i] != '\t' && d[i] != '\r' {
			i++
		}
		return i, nil
	}
}

// stringEnd returns the index after the string starting at i.
func stringEnd(d []byte, i int) (int, error) {
	for j := i + 1; j < len(d); j++ {
		switch d[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, ErrJSON
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, U+2028/2029 too; other UTF-8 kept as is.
func appendJSONString(out, s []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				out = append(out, '\\', c)
			case c == '\n':
				out = append(out, '\\', 'n')
			case c == '\r':
				out = append(out, '\\', 'r')
			case c == '\t':
				out = append(out, '\\', 't')
			case c < 0x20:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case r == 0x2028 || r == 0x2029:
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			out = append(out, s[i:i+n]...)
		}
		i += n
	}
	return append(out, '"')
}
