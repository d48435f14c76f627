package reqjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors of Check, wrapped in a *FieldError where a field is to blame.
var (
	// ErrDuplicateKey: an object repeats a key, or has two that differ only
	// in case. Decoders disagree on which one counts (Go's encoding/json
	// folds case and keeps the last; Python servers read the exact key).
	ErrDuplicateKey = errors.New("an object in the request body repeats a key, or has keys that differ only in case")
	// ErrCaseVariant: a member's name is a case-variant of a field Warden
	// reads ("MAX_TOKENS"): a Go upstream would read it as that field,
	// Warden's policy and a Python upstream would not.
	ErrCaseVariant = errors.New("field names are case-sensitive")
	// ErrFieldValue: a string does not match its field's grammar.
	ErrFieldValue = errors.New("a field does not match its grammar")
)

// FieldError is a problem with one field of a request. Its message names
// the field and says how to write it; it never quotes the value.
type FieldError struct {
	Err  error  // ErrCaseVariant or ErrFieldValue
	Name string // the name to write instead (ErrCaseVariant)
	Kind Kind   // the field's kind (ErrFieldValue)
	rev  []string
}

func (e *FieldError) Unwrap() error { return e.Err }

// Path is the field's path: messages[1].role; for ErrCaseVariant, that of
// the object holding the misspelt member ("" at the top level).
func (e *FieldError) Path() string {
	var b strings.Builder
	for i := len(e.rev) - 1; i >= 0; i-- {
		if b.Len() > 0 && e.rev[i][0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(e.rev[i])
	}
	return b.String()
}

func (e *FieldError) Error() string {
	if e.Err == ErrCaseVariant {
		msg := `field names are case-sensitive: write "` + e.Name + `"`
		if p := e.Path(); p != "" {
			msg += " in " + p
		}
		return msg
	}
	return e.Path() + " " + Problem(e.Kind)
}

func (e *FieldError) in(elem string) error {
	e.rev = append(e.rev, elem)
	return e
}

// Check reads a request body (valid JSON, which the caller has checked)
// as OpenAI's servers and Go's encoding/json would both read it, and
// refuses what they could read differently, or what skips Warden's
// controls:
//   - an object that repeats a key, or has keys equal under Unicode case
//     folding, anywhere in the body (ErrDuplicateKey);
//   - a member whose name, unescaped, is a case-variant of a field in the
//     table (ErrCaseVariant, naming the field);
//   - a member the table refuses outright (extra_body), whatever its
//     value (ErrFieldValue);
//   - a string at a field of the table that does not match its kind's
//     grammar, or an object or an array where such a field wants a
//     string (ErrFieldValue).
//
// It is one pass over the body, and allocates only for keys or grammar
// values written with escapes, objects of more than 16 keys, and errors.
func Check(body []byte) error {
	_, err := check(body, skipSpace(body, 0), Request)
	return err
}

// CheckKeys refuses (ErrDuplicateKey) a body (valid JSON, which the
// caller has checked) with an object anywhere in it that repeats a key or
// has keys equal under Unicode case folding: what Check does for bodies
// that are not Chat Completions requests (Anthropic's Messages, OpenAI's
// Responses), whose fields the table does not describe.
func CheckKeys(body []byte) error {
	_, err := check(body, skipSpace(body, 0), nil)
	return err
}

// grammar reports whether strings at f have a grammar to match.
func (f *Field) grammar() bool {
	return f != nil && f.Kind != Text && f.Kind != Model && f.Kind != Schema
}

// check checks the value at b[i] (read as field f; nil: not in the table)
// and returns the index just past it.
func check(b []byte, i int, f *Field) (int, error) {
	if f != nil && f.Kind == Refused {
		return i, &FieldError{Err: ErrFieldValue, Kind: Refused}
	}
	switch b[i] {
	case '{':
		if f.grammar() && f.Members == nil {
			return i, &FieldError{Err: ErrFieldValue, Kind: f.Kind}
		}
		var keys [16][]byte
		var many map[string]bool
		n := 0
		j := skipSpace(b, i+1)
		for b[j] != '}' {
			if b[j] == ',' {
				j = skipSpace(b, j+1)
			}
			ks := j
			j = skipString(b, j)
			key := unescape(b[ks:j])
			if repeated(key, &keys, &many, n) {
				return j, ErrDuplicateKey
			}
			n++
			var m *Field
			if f != nil && f.Members != nil {
				if m = f.Members[string(key)]; m == nil {
					if canon := f.folds(key); canon != "" {
						return j, &FieldError{Err: ErrCaseVariant, Name: canon}
					}
				}
			}
			j = skipSpace(b, skipSpace(b, j)+1) // past ':'
			var err error
			if j, err = check(b, j, m); err != nil {
				if fe, ok := err.(*FieldError); ok {
					return j, fe.in(string(key))
				}
				return j, err
			}
			j = skipSpace(b, j)
		}
		return j + 1, nil
	case '[':
		if f.grammar() && !f.List {
			return i, &FieldError{Err: ErrFieldValue, Kind: f.Kind}
		}
		j := skipSpace(b, i+1)
		for n := 0; b[j] != ']'; n++ {
			if b[j] == ',' {
				j = skipSpace(b, j+1)
			}
			var err error
			if j, err = check(b, j, f); err != nil {
				if fe, ok := err.(*FieldError); ok {
					return j, fe.in(indexName(n))
				}
				return j, err
			}
			j = skipSpace(b, j)
		}
		return j + 1, nil
	case '"':
		e := skipString(b, i)
		if f.grammar() && !Valid(f.Kind, unescape(b[i:e])) {
			return e, &FieldError{Err: ErrFieldValue, Kind: f.Kind}
		}
		return e, nil
	}
	return skipValue(b, i), nil
}

// repeated reports whether key equals, under case folding, one of the n
// keys seen before in its object, and records it. Up to 16 keys are kept
// in keys; beyond, in many (by their folded form).
func repeated(key []byte, keys *[16][]byte, many *map[string]bool, n int) bool {
	if n < len(keys) {
		for _, k := range keys[:n] {
			if bytes.EqualFold(k, key) {
				return true
			}
		}
		keys[n] = key
		return false
	}
	if *many == nil {
		*many = make(map[string]bool, 2*n)
		for _, k := range keys {
			(*many)[fold(k)] = true
		}
	}
	f := fold(key)
	if (*many)[f] {
		return true
	}
	(*many)[f] = true
	return false
}

// folds returns the member of f whose name key equals under Unicode
// simple folding (as encoding/json matches names), or "".
func (f *Field) folds(key []byte) string {
	for _, name := range f.names() {
		if bytes.EqualFold(key, []byte(name)) {
			return name
		}
	}
	return ""
}

// names returns f's member names, sorted.
func (f *Field) names() []string { return f.sorted }

// The member names of every field, sorted, computed once.
func init() {
	var walk func(f *Field)
	walk = func(f *Field) {
		if f.Members == nil || f.sorted != nil {
			return
		}
		for k, m := range f.Members {
			f.sorted = append(f.sorted, k)
			walk(m)
		}
		slices.Sort(f.sorted)
	}
	walk(Request)
}

// unescape returns a string's text (q is its JSON, quotes included),
// unescaped if need be.
func unescape(q []byte) []byte {
	k := q[1 : len(q)-1]
	if bytes.IndexByte(k, '\\') < 0 {
		return k
	}
	var s string
	json.Unmarshal(q, &s) // valid: checked by the caller
	return []byte(s)
}

// fold maps each rune to the smallest rune of its case-folding orbit, so
// that keys equal under bytes.EqualFold fold to the same string.
func fold(k []byte) string {
	var out []byte
	for len(k) > 0 {
		r, n := utf8.DecodeRune(k)
		k = k[n:]
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out = utf8.AppendRune(out, least)
	}
	return string(out)
}

var indexNames = func() (n [64]string) {
	for i := range n {
		n[i] = "[" + itoa(i) + "]"
	}
	return n
}()

func indexName(i int) string {
	if i < len(indexNames) {
		return indexNames[i]
	}
	return "[" + itoa(i) + "]"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	p := len(buf)
	for ; i > 0; i /= 10 {
		p--
		buf[p] = byte('0' + i%10)
	}
	return string(buf[p:])
}
