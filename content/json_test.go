package content

import (
	"reflect"
	"strings"
	"testing"
)

// TestVisitor: keys are reported unescaped with their object's path, and
// string values with their own path, names exactly as written (no case
// folding: "Content" is not "content").
func TestVisitor(t *testing.T) {
	doc := []byte(`{"a":{"B\u0043":["x",{"Content":"y"}]},"k":1}`)
	var keys, values []string
	out, err := Visitor{
		Key: func(p Path, k []byte) { keys = append(keys, strings.Join(p, ".")+":"+string(k)) },
		Value: func(p Path, v []byte) []byte {
			values = append(values, strings.Join(p, ".")+"="+string(v))
			return v
		},
	}.Rewrite(doc)
	if err != nil || string(out) != string(doc) {
		t.Fatalf("%s, %v", out, err)
	}
	if want := []string{":a", "a:BC", "a.BC.[1]:Content", ":k"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	if want := []string{"a.BC.[0]=x", "a.BC.[1].Content=y"}; !reflect.DeepEqual(values, want) {
		t.Errorf("values %q, want %q", values, want)
	}
}
