package config

import (
	"strings"
	"testing"
)

// TestAnalyzerConfig: content.analyzers is validated in the one pass with
// the rest: name, type, an http(s) URL without credentials, Presidio types
// Warden maps, language, threshold, timeout and on_error.
func TestAnalyzerConfig(t *testing.T) {
	good := "  analyzers:\n    - {name: presidio, type: presidio, url: \"http://presidio:3000\", entities: [PERSON, LOCATION], timeout: 500ms, on_error: allow, score_threshold: 0.6, language: de}\n"
	tr := newTree(t, t.TempDir())
	c, err := Parse(tr.fill(minimal + "content:\n" + good))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Content.Analyzers; len(a) != 1 || a[0].URL != "http://presidio:3000" || a[0].OnError != "allow" || len(a[0].Entities) != 2 {
		t.Fatalf("analyzers %+v", a)
	}
	bad := "  analyzers:\n" +
		"    - {name: \"Bad Name\", type: spacy, url: \"ftp://x\", entities: [PERSON, NOPE], timeout: 1m, on_error: maybe, score_threshold: 2, language: \"english!\"}\n" +
		"    - {name: b, type: presidio, url: \"https://user:pw@x/\"}\n" +
		"    - {name: b, type: presidio, url: \"http://x\", colour: red}\n"
	_, err = Parse(tr.fill(minimal + "content:\n" + bad))
	if err == nil {
		t.Fatal("bad analyzers accepted")
	}
	for _, want := range []string{
		"content.analyzers[0].name", "content.analyzers[0].type", "content.analyzers[0].url", "content.analyzers[0].entities[1]",
		"content.analyzers[0].timeout", "content.analyzers[0].on_error", "content.analyzers[0].score_threshold", "content.analyzers[0].language",
		"content.analyzers[1].url: want a URL without credentials", "content.analyzers[2].name: duplicate", "colour",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors lack %q:\n%v", want, err)
		}
	}
}
