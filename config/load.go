package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration, located by its path
// (e.g. "roles[1].models[0]").
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Error carries every problem found in a configuration.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "config"
	}
	fmt.Fprintf(&b, "%s: %d problem(s)", name, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	var ce *Error
	if errors.As(err, &ce) {
		ce.File = path
	}
	return c, err
}

// Parse decodes b strictly, applies defaults and validates. On failure it
// returns an *Error listing every problem found, in one pass: unknown keys,
// values of the wrong type and validation problems together, each with its
// key path (and, for what the decoder finds, its line). A value of the wrong
// type is reported and decoded as if absent, so that it hides no problem
// elsewhere; Validate's complaints about such a value's absence are dropped
// (the type error already says what is wrong there).
func Parse(b []byte) (*Config, error) {
	c, probs, bad := decode(b)
	if c == nil {
		return nil, &Error{Problems: probs}
	}
	c.ApplyDefaults()
	for _, p := range c.Validate() {
		if !under(p.Path, bad) {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return nil, &Error{Problems: probs}
	}
	return c, nil
}

// under reports whether path is one of bad or lies within one of them.
func under(path string, bad []string) bool {
	for _, b := range bad {
		if path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

// decode parses YAML into a Config. Every unknown key and every value of
// the wrong type is reported with its path and line; bad values are decoded
// as if absent (their paths are returned in bad) so that the rest of the
// file decodes and can be validated. It returns a nil Config only when the
// file cannot be read as one configuration at all (a syntax error, several
// documents, a top level that is not a mapping).
func decode(b []byte) (c *Config, probs []Problem, bad []string) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Msg: "the file is empty"}}, nil
		}
		return nil, []Problem{{Msg: cleanYAMLError(err.Error())}}, nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, []Problem{{Msg: "more than one YAML document; put the whole configuration in one"}}, nil
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, []Problem{{Msg: "the top level must be a mapping of keys (version: 1, ...)"}}, nil
	}
	w := keyWalker{seen: map[walked]bool{}, bad: map[walked]bool{}}
	w.walk(&doc, reflect.TypeFor[Config](), "")
	c = new(Config)
	if err := doc.Decode(c); err != nil {
		// The walk checks every value the decoder reads, so this is a limit
		// of the decoder's own (excessive aliasing) or a case the walk
		// missed: report it as the decoder words it, and validate nothing.
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, append(w.probs, Problem{Msg: cleanYAMLError(err.Error())}), nil
		}
		for _, m := range te.Errors {
			w.probs = append(w.probs, Problem{Msg: cleanYAMLError(m)})
		}
		return nil, w.probs, nil
	}
	return c, w.probs, w.badPaths
}

func cleanYAMLError(s string) string { return strings.TrimPrefix(s, "yaml: ") }

// keyWalker walks the YAML tree alongside the Go type it decodes into. It
// records every mapping key that has no field and every value the decoder
// would refuse or silently change (1.5 into an integer), with its path and
// line, and replaces each bad value by null in the tree so that decoding
// the rest goes on as if it were absent.
type keyWalker struct {
	probs    []Problem
	badPaths []string
	// seen holds the anchored nodes already walked as a given type. Each is
	// walked, and its problems reported, once: a small file whose aliases
	// fan out (an "alias bomb") cannot make the walk quadratic or worse.
	seen map[walked]bool
	// bad holds the anchored nodes found bad as a given type: an alias of
	// one is nulled too, without reporting it again.
	bad map[walked]bool
}

type walked struct {
	n *yaml.Node
	t reflect.Type
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walk checks the node in *slot, decoded into a value of type t at path.
func (w *keyWalker) walk(slot **yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	n := *slot
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // the zero value, whatever the type
	}
	if n.Anchor != "" {
		k := walked{n, t}
		if w.seen[k] {
			if w.bad[k] {
				*slot = nullNode(n)
				w.badPaths = append(w.badPaths, path)
			}
			return // reported where it was first seen
		}
		w.seen[k] = true
	}
	if msg := w.check(n, t, path); msg != "" {
		w.probs = append(w.probs, Problem{Path: path, Msg: msg})
		w.badPaths = append(w.badPaths, path)
		if n.Anchor != "" {
			w.bad[walked{n, t}] = true
		}
		*slot = nullNode(n)
	}
}

// check walks into n, or checks it as a value of type t, and returns what
// is wrong with n itself ("" if nothing is, or if what is wrong lies
// within it and has been recorded already).
func (w *keyWalker) check(n *yaml.Node, t reflect.Type, path string) string {
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i := range n.Content {
			w.walk(&n.Content[i], t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
		return ""
	case custom:
		// A type that reads its own YAML (Duration, Notify's short form)
		// says what is wrong in its own words.
		return unmarshalError(n, reflect.New(t).Interface())
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return want("a mapping of keys", n)
		}
		w.fields(n, t, path)
		return ""
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return want("a mapping of keys", n)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || unmarshalError(k, reflect.New(t.Key()).Interface()) != "" {
				return fmt.Sprintf("want names as keys, got %s (line %d)", describe(k), k.Line)
			}
			w.walk(&n.Content[i+1], t.Elem(), join(path, k.Value))
		}
		return ""
	case t.Kind() == reflect.Slice:
		return want("a list", n)
	}
	return scalar(n, t)
}

// fields walks the keys of mapping n, decoded as struct type t.
func (w *keyWalker) fields(n *yaml.Node, t reflect.Type, path string) {
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isMerge(k) {
			// "<<: *base" merges base's keys here; check them as ours.
			w.merge(&n.Content[i+1], t, path)
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				// Nothing to merge, or a bad value (reported): drop the
				// key, which the decoder would refuse with a null.
				n.Content = slices.Delete(n.Content, i, i+2)
				i -= 2
			}
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			// The decoder cannot even name the field: drop the pair.
			w.probs = append(w.probs, Problem{Path: path, Msg: want("a key name", k)})
			n.Content = slices.Delete(n.Content, i, i+2)
			i -= 2
			continue
		}
		p := join(path, k.Value)
		f, ok := fields[k.Value]
		if !ok {
			w.probs = append(w.probs, Problem{Path: p, Msg: fmt.Sprintf("unknown key (line %d)", k.Line)})
			continue
		}
		w.walk(&n.Content[i+1], f, p)
	}
}

// scalar checks that n decodes into a value of the scalar type t exactly.
func scalar(n *yaml.Node, t reflect.Type) string {
	var what string
	switch t.Kind() {
	case reflect.Bool:
		what = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		what = "an integer"
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
			// 2e6 is a whole number and fine. The decoder refuses NaN and
			// values too large for the field, but converts 1.5 to 1 and
			// anything below -2^63 to whatever the platform makes of it.
			var f float64
			if err := n.Decode(&f); err == nil && !math.IsNaN(f) && (f != math.Trunc(f) || f < math.MinInt64) {
				return fmt.Sprintf("want a whole number, got %s (line %d)", n.Value, n.Line)
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		what = "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		what = "a number"
	case reflect.String:
		what = "a string"
	default:
		what = "a " + t.String()
	}
	if n.Kind != yaml.ScalarNode {
		return want(what, n)
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		var f float64
		if what == "an integer" && n.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return fmt.Sprintf("want an integer that fits in %d bits, got %s (line %d)", t.Bits(), n.Value, n.Line)
		}
		return want(what, n)
	}
	return ""
}

// want says what a value should have been and what it is.
func want(what string, n *yaml.Node) string {
	return fmt.Sprintf("want %s, got %s (line %d)", what, describe(n), n.Line)
}

// describe names what a node holds: a quoted scalar, "a list" or "a mapping".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return strconv.Quote(v)
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// unmarshalError decodes n into out and returns the decoder's complaint,
// "" if none, with its "line N: " moved to the end as "(line N)".
func unmarshalError(n *yaml.Node, out any) string {
	err := n.Decode(out)
	if err == nil {
		return ""
	}
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		m = cleanYAMLError(m)
		if loc := yamlLineRE.FindStringSubmatch(m); loc != nil {
			m = m[len(loc[0]):] + " (line " + loc[1] + ")"
		}
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}

// nullNode is a null standing where the bad value n was.
func nullNode(n *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

// merge walks the value of a "<<" key: a mapping, an alias of one, or a
// sequence of those. Anything else is a type error the decoder reports.
func (w *keyWalker) merge(slot **yaml.Node, t reflect.Type, path string) {
	v := *slot
	if v.Kind == yaml.SequenceNode {
		for i, e := range v.Content {
			if e.Kind != yaml.SequenceNode {
				w.merge(&v.Content[i], t, path)
			}
		}
		return
	}
	w.walk(slot, t, path)
}

// isMerge reports whether k is a YAML merge key ("<<"), as the decoder sees it.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
