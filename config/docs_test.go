package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// docsFile documents every key; its examples must parse.
const docsFile = "../docs/configuration.md"

func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docsFile)
	if err != nil {
		t.Skipf("no %s: %v", docsFile, err)
	}
	return string(b)
}

// TestDocsExamples parses every yaml block in the configuration guide. A
// block with "version: 1" is a whole configuration and must pass Parse, with
// /etc/warden and /var/lib/warden moved to a temporary directory holding the
// files it names; any other block is a fragment and must at least decode
// (no unknown keys, no wrong types).
func TestDocsExamples(t *testing.T) {
	docs := readDocs(t)
	blocks := yamlBlocks(docs)
	if len(blocks) == 0 {
		t.Fatalf("%s has no yaml examples", docsFile)
	}
	root := t.TempDir()
	etc, varlib := filepath.Join(root, "etc", "warden"), filepath.Join(root, "var", "lib", "warden")
	for _, f := range []string{"master.key", "audit.key", "tls/cert.pem", "tls/key.pem", "tls/client-ca.pem", "tls/client-crl.pem"} {
		name := filepath.Join(etc, f)
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, name, "test\n")
	}
	// The audit key must be a real signer key named by the examples' origin.
	tr := newTree(t, t.TempDir())
	skey, _ := os.ReadFile(tr.AuditKey)
	writeFile(t, filepath.Join(etc, "audit.key"), string(skey))
	r := strings.NewReplacer("/etc/warden", etc, "/var/lib/warden", varlib)
	for i, b := range blocks {
		text := r.Replace(b)
		if strings.Contains(b, "\nversion: 1\n") || strings.HasPrefix(b, "version: 1\n") {
			if _, err := Parse([]byte(text)); err != nil {
				t.Errorf("example %d does not parse: %v\n%s", i+1, err, b)
			}
			continue
		}
		if c, probs, _ := decode([]byte(text)); c == nil || len(probs) > 0 {
			t.Errorf("fragment %d does not decode: %q\n%s", i+1, probs, b)
		}
	}
}

// TestDocsCoverEveryKey checks that the guide names every leaf key Config
// has, as it is written in the key tables ("models[].upstream.url").
func TestDocsCoverEveryKey(t *testing.T) {
	docs := readDocs(t)
	var keys []string
	allKeys(reflect.TypeOf(Config{}), "", &keys)
	for _, k := range keys {
		if !strings.Contains(docs, "`"+k+"`") {
			t.Errorf("%s does not document `%s`", docsFile, k)
		}
	}
}

// allKeys lists the dotted paths of every leaf key under t ("roles[].name").
func allKeys(t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := join(path, name)
			if !hasStruct(t.Field(i).Type) {
				*out = append(*out, p) // a leaf: mappings are documented by their keys
			}
			allKeys(t.Field(i).Type, p, out)
		}
	case reflect.Slice:
		allKeys(t.Elem(), path+"[]", out)
	}
}

// yamlBlocks returns the contents of the ```yaml fenced blocks in markdown.
func yamlBlocks(md string) []string {
	var blocks []string
	var cur *strings.Builder
	for line := range strings.Lines(md) {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = new(strings.Builder)
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}

// hasStruct reports whether values of t can hold mappings with keys of their own.
func hasStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}
