package main

import (
	"reflect"
	"testing"
)

// TestGenerate: the same seed gives the same rows; every attack technique
// has rows in training and in the held-out split; no text has two labels.
func TestGenerate(t *testing.T) {
	a, err := generate(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := generate(1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different rows")
	}
	splits := map[string]map[string]int{}
	label := map[string]bool{}
	for _, r := range a {
		if r.Text == "" {
			t.Fatalf("empty text from %s", r.Source)
		}
		if l, ok := label[r.Text]; ok && l != r.Injection {
			t.Errorf("both labels: %q", r.Text)
		}
		label[r.Text] = r.Injection
		if splits[r.Category] == nil {
			splits[r.Category] = map[string]int{}
		}
		splits[r.Category][r.Split]++
	}
	for cat, s := range splits {
		if s["train"] == 0 || s["heldout"] == 0 {
			t.Errorf("%s: %v, want rows in train and heldout", cat, s)
		}
	}
}
