package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
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
// returns an *Error listing every problem found.
func Parse(b []byte) (*Config, error) {
	c, probs := decode(b)
	if c == nil {
		return nil, &Error{Problems: probs}
	}
	c.ApplyDefaults()
	probs = append(probs, c.Validate()...)
	if len(probs) > 0 {
		return nil, &Error{Problems: probs}
	}
	return c, nil
}

// decode parses YAML into a Config. Unknown keys are reported with their path
// rather than stopping at the first, and type errors keep their line numbers.
func decode(b []byte) (*Config, []Problem) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Msg: "the file is empty"}}
		}
		return nil, []Problem{{Msg: cleanYAMLError(err.Error())}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, []Problem{{Msg: "more than one YAML document; put the whole configuration in one"}}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, []Problem{{Msg: "the top level must be a mapping of keys (version: 1, ...)"}}
	}
	var probs, fractions []Problem
	unknownKeys(doc, reflect.TypeOf(Config{}), "", &probs, &fractions)
	if len(probs) > 0 {
		return nil, probs
	}
	// The decoder truncates 1.5 to 1 in an integer field; report it instead.
	probs = fractions
	var c Config
	if err := doc.Decode(&c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				probs = append(probs, Problem{Msg: cleanYAMLError(m)})
			}
			return nil, probs
		}
		return nil, []Problem{{Msg: cleanYAMLError(err.Error())}}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return &c, nil
}

func cleanYAMLError(s string) string { return strings.TrimPrefix(s, "yaml: ") }

// keyWalker walks the YAML tree alongside the Go type and records every
// mapping key that has no field, with its path and line.
type keyWalker struct {
	probs *[]Problem
	// fractions are numbers with a fractional part written where a whole
	// number belongs (the decoder would silently truncate them).
	fractions *[]Problem
	// seen holds the anchored nodes already walked as a given type. Each is
	// walked, and its unknown keys reported, once: a small file whose aliases
	// fan out (an "alias bomb") cannot make the walk quadratic or worse.
	seen map[walked]bool
}

type walked struct {
	n *yaml.Node
	t reflect.Type
}

// unknownKeys records every unknown key under n, which is decoded as type t,
// in probs, and every fractional number given to an integer field in
// fractions.
func unknownKeys(n *yaml.Node, t reflect.Type, path string, probs, fractions *[]Problem) {
	w := keyWalker{probs: probs, fractions: fractions, seen: map[walked]bool{}}
	w.walk(n, t, path)
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *keyWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	if n.Anchor != "" {
		if w.seen[walked{n, t}] {
			return // reported where it was first seen
		}
		w.seen[walked{n, t}] = true
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error; the decoder reports it with its line
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if isMerge(k) {
				// "<<: *base" merges base's keys here; check them as ours.
				w.merge(v, t, path)
				continue
			}
			p := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				*w.probs = append(*w.probs, Problem{Path: p, Msg: fmt.Sprintf("unknown key (line %d)", k.Line)})
				continue
			}
			w.walk(v, f, p)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" || reflect.PointerTo(t).Implements(unmarshalerType) {
			return // not a float, or a type (Duration) that reads its own scalars
		}
		// 2e6 is a whole number and fine. The decoder refuses NaN and values
		// too large for the field, but converts 1.5 to 1 and anything below
		// -2^63 to whatever the platform makes of it.
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsNaN(f) && (f != math.Trunc(f) || f < math.MinInt64) {
			*w.fractions = append(*w.fractions, Problem{Path: path, Msg: fmt.Sprintf("want a whole number, got %s (line %d)", n.Value, n.Line)})
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode || !hasStruct(t.Elem()) {
			return
		}
		for i, e := range n.Content {
			w.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// merge walks the value of a "<<" key: a mapping, an alias of one, or a
// sequence of those. Anything else is a type error the decoder reports.
func (w *keyWalker) merge(v *yaml.Node, t reflect.Type, path string) {
	if v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if e.Kind != yaml.SequenceNode {
				w.merge(e, t, path)
			}
		}
		return
	}
	w.walk(v, t, path)
}

// isMerge reports whether k is a YAML merge key ("<<"), as the decoder sees it.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// hasStruct reports whether values of t can hold mappings with keys to check.
func hasStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
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
