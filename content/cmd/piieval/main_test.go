package main

import (
	"testing"

	"github.com/wardenhq/warden/content"
)

// TestHeldOut: on the committed held-out split and the hand-written set,
// the pattern types keep precision and recall ≥ 0.98 and change at most
// 1% of the characters outside the labelled values (issue 15's goals), and
// the name model's types, with everything on, stay above a floor (0.75
// precision and 0.90 recall, at most 3% of the other characters changed:
// the hand-written set has only 23 names and places, and its German nouns
// and short capitalised words cost it; content/ner's own hand-labelled
// file measures the model on more), so
// a detector or model change that costs either shows here.
func TestHeldOut(t *testing.T) {
	var all, patterns []content.Entity
	for _, n := range content.Entities() {
		e, _ := content.ParseEntity(n)
		all = append(all, e)
		if !modelTypes[n] {
			patterns = append(patterns, e)
		}
	}
	regions := []string{"US", "DE", "GB", "FR", "ES"}
	for _, path := range []string{"../../testdata/pii/test.jsonl", "../../testdata/pii/handwritten.jsonl"} {
		exs, err := read(path)
		if err != nil {
			t.Fatal(err)
		}
		res := evaluate(content.NewDetector(patterns, regions), exs, false, false)
		if c := res.pooled(false); c.p() < 0.98 || c.r() < 0.98 {
			t.Errorf("%s: pattern types: precision %.3f, recall %.3f; want ≥ 0.98", path, c.p(), c.r())
		}
		if o := ratio(res.over, res.outside); o > 0.01 {
			t.Errorf("%s: pattern types: over-redaction %.4f, want ≤ 0.01", path, o)
		}
		res = evaluate(content.NewDetector(all, regions), exs, false, false)
		if c := res.pooled(true); c.p() < 0.75 || c.r() < 0.90 {
			t.Errorf("%s: name model's types: precision %.3f, recall %.3f; want ≥ 0.75 and ≥ 0.90", path, c.p(), c.r())
		}
		if o := ratio(res.over, res.outside); o > 0.03 {
			t.Errorf("%s: every type: over-redaction %.4f, want ≤ 0.03", path, o)
		}
	}
}

// TestHandwritten: the hand-written sets in others' styles and domains
// (never tuned on phrase by phrase: docs/content.md, "Measured") stay at
// or above the figures measured last, so a change that costs
// generalisation shows here. The floors sit a little under them.
func TestHandwritten(t *testing.T) {
	var all []content.Entity
	for _, n := range content.Entities() {
		e, _ := content.ParseEntity(n)
		all = append(all, e)
	}
	d := content.NewDetector(all, []string{"US", "DE", "GB", "FR", "ES"})
	for _, tc := range []struct {
		file                     string
		patP, patR, nameP, nameR float64
		over                     float64
	}{
		{"handwritten2.jsonl", 0.95, 0.94, 0.91, 0.90, 0.012},
		{"handwritten3.jsonl", 0.88, 0.95, 0.85, 0.88, 0.03},
	} {
		exs, err := read("../../testdata/pii/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		res := evaluate(d, exs, false, false)
		if c := res.pooled(false); c.p() < tc.patP || c.r() < tc.patR {
			t.Errorf("%s: pattern types: precision %.3f, recall %.3f; want ≥ %.2f and ≥ %.2f", tc.file, c.p(), c.r(), tc.patP, tc.patR)
		}
		if c := res.pooled(true); c.p() < tc.nameP || c.r() < tc.nameR {
			t.Errorf("%s: name model's types: precision %.3f, recall %.3f; want ≥ %.2f and ≥ %.2f", tc.file, c.p(), c.r(), tc.nameP, tc.nameR)
		}
		if o := ratio(res.over, res.outside); o > tc.over {
			t.Errorf("%s: over-redaction %.4f, want ≤ %.3f", tc.file, o, tc.over)
		}
	}
}
