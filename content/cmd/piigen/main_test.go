package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDeterministic: the same seed writes the same files, and every span
// lies inside its text.
func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		for k, name := range []string{"x.jsonl"} {
			if err := write(filepath.Join(dir, name), newRand(7, uint64(k)), 200); err != nil {
				t.Fatal(err)
			}
		}
	}
	x, _ := os.ReadFile(filepath.Join(a, "x.jsonl"))
	y, _ := os.ReadFile(filepath.Join(b, "x.jsonl"))
	if len(x) == 0 || string(x) != string(y) {
		t.Fatal("two runs with one seed differ")
	}
	g := &gen{r: newRand(1, 1), lang: "en"}
	for _, tp := range templates["en"] {
		ex := fill(g, tp)
		for _, s := range ex.Spans {
			if s.Start < 0 || s.End > len(ex.Text) || s.Start >= s.End {
				t.Fatalf("span %+v outside %q", s, ex.Text)
			}
		}
	}
}
