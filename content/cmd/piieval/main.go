// Command piieval measures the content detectors on labelled JSONL files
// (the format piigen writes: text, spans with byte offsets and a type,
// domain, lang) and prints, per entity type and pooled, precision, recall
// and F1, and the over-redaction: the share of the characters outside
// any labelled value that a finding covers.
//
// A finding matches a labelled span of the same type that it overlaps
// (each span matched at most once); with -exact, only one with the same
// offsets. Types without a detector yet (the name model's person,
// street_address, location, organization) are listed, and pooled apart.
//
//	go run ./content/cmd/piieval content/testdata/pii/test.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/wardenhq/warden/content"
)

type span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Type  string `json:"type"`
}

type example struct {
	Text   string `json:"text"`
	Spans  []span `json:"spans"`
	Domain string `json:"domain"`
	Lang   string `json:"lang"`
}

// modelTypes are found by the name model, not by the patterns.
var modelTypes = map[string]bool{"person": true, "street_address": true, "location": true, "organization": true}

type counts struct{ tp, fp, fn int }

func (c counts) p() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c counts) r() float64 { return ratio(c.tp, c.tp+c.fn) }
func (c counts) f() float64 {
	if p, r := c.p(), c.r(); p+r > 0 {
		return 2 * p * r / (p + r)
	}
	return 0
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func main() {
	exact := flag.Bool("exact", false, "count a finding only with the labelled span's exact offsets")
	regions := flag.String("regions", "US,DE,GB,FR,ES", "content.phone_regions")
	verbose := flag.Bool("v", false, "print each missed and each spurious value")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: piieval [-exact] [-v] FILE.jsonl...")
		os.Exit(2)
	}
	var all []content.Entity
	for _, n := range content.Entities() {
		e, _ := content.ParseEntity(n)
		all = append(all, e)
	}
	d := content.NewDetector(all, strings.Split(*regions, ","))
	var exs []example
	for _, path := range flag.Args() {
		got, err := read(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "piieval:", err)
			os.Exit(1)
		}
		exs = append(exs, got...)
	}
	res := evaluate(d, exs, *exact, *verbose)
	report(res.per, len(exs), *exact)
	fmt.Printf("\ncharacters of labelled values covered by a finding: %.1f%% (%d of %d; the name model's types included)\n", 100*ratio(res.covered, res.inside), res.covered, res.inside)
	fmt.Printf("over-redaction: %.2f%% of the characters outside any labelled value were changed (%d of %d)\n", 100*ratio(res.over, res.outside), res.over, res.outside)
}

// result is what evaluate measured.
type result struct {
	per                            map[string]*counts
	outside, over, inside, covered int // characters
}

// pooled adds up the counts of the types with a detector (model false)
// or of the name model's types (model true).
func (r result) pooled(model bool) counts {
	var c counts
	for t, x := range r.per {
		if modelTypes[t] == model {
			c.tp, c.fp, c.fn = c.tp+x.tp, c.fp+x.fp, c.fn+x.fn
		}
	}
	return c
}

// evaluate runs d over the examples and counts, per type, the findings
// that match a labelled value, the spurious ones and the missed values,
// and the characters covered inside and outside labelled values.
func evaluate(d *content.Detector, exs []example, exact, verbose bool) result {
	res := result{per: map[string]*counts{}}
	get := func(t string) *counts {
		if res.per[t] == nil {
			res.per[t] = &counts{}
		}
		return res.per[t]
	}
	for _, ex := range exs {
		found := d.Find([]byte(ex.Text), nil)
		matched := make([]bool, len(ex.Spans))
		for _, f := range found {
			t := f.Entity.String()
			hit := false
			for k, s := range ex.Spans {
				if !matched[k] && s.Type == t && (f.Start < s.End && s.Start < f.End) && (!exact || f.Start == s.Start && f.End == s.End) {
					matched[k], hit = true, true
					break
				}
			}
			if !hit && fragment(f, ex.Spans, matched) {
				continue // a second piece of a value already found ("GARCIA, MARIA L" as two names)
			}
			if hit {
				get(t).tp++
			} else {
				get(t).fp++
				if verbose {
					fmt.Printf("spurious %-22s %q in %q\n", t, ex.Text[f.Start:f.End], ex.Text)
				}
			}
		}
		for k, s := range ex.Spans {
			if !matched[k] {
				get(s.Type).fn++
				if verbose {
					fmt.Printf("missed   %-22s %q in %q\n", s.Type, ex.Text[s.Start:s.End], ex.Text)
				}
			}
		}
		// characters: inside labelled values and covered; outside and covered
		in := make([]bool, len(ex.Text))
		for _, s := range ex.Spans {
			for i := s.Start; i < s.End; i++ {
				in[i] = true
			}
		}
		hitc := make([]bool, len(ex.Text))
		for _, f := range found {
			for i := f.Start; i < f.End; i++ {
				hitc[i] = true
			}
		}
		for i := range ex.Text {
			switch {
			case in[i]:
				res.inside++
				if hitc[i] {
					res.covered++
				}
			default:
				res.outside++
				if hitc[i] {
					res.over++
				}
			}
		}
	}
	return res
}

func report(per map[string]*counts, texts int, exact bool) {
	match := "overlap, same type"
	if exact {
		match = "exact offsets, same type"
	}
	fmt.Printf("%d texts; a finding matches a labelled value by %s\n\n", texts, match)
	fmt.Printf("| entity | labelled | found | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|\n")
	var pattern, model counts
	for _, t := range slices.Sorted(maps.Keys(per)) {
		c := per[t]
		fmt.Printf("| %s%s | %d | %d | %.3f | %.3f | %.3f |\n", t, mark(t), c.tp+c.fn, c.tp+c.fp, c.p(), c.r(), c.f())
		acc := &pattern
		if modelTypes[t] {
			acc = &model
		}
		acc.tp += c.tp
		acc.fp += c.fp
		acc.fn += c.fn
	}
	fmt.Printf("| **pooled, pattern types** | %d | %d | %.3f | %.3f | %.3f |\n", pattern.tp+pattern.fn, pattern.tp+pattern.fp, pattern.p(), pattern.r(), pattern.f())
	all := counts{pattern.tp + model.tp, pattern.fp + model.fp, pattern.fn + model.fn}
	fmt.Printf("| **pooled, every type** | %d | %d | %.3f | %.3f | %.3f |\n", all.tp+all.fn, all.tp+all.fp, all.p(), all.r(), all.f())
	fmt.Println("\n(*: found by the name model, content/ner)")
}

func mark(t string) string {
	if modelTypes[t] {
		return " *"
	}
	return ""
}

func read(path string) ([]example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []example
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var ex example
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		for _, s := range ex.Spans {
			if s.Start < 0 || s.End > len(ex.Text) || s.Start >= s.End {
				return nil, fmt.Errorf("%s:%d: span %d-%d outside the text", path, line, s.Start, s.End)
			}
		}
		out = append(out, ex)
	}
	return out, sc.Err()
}

// fragment: f lies inside a labelled value of its type that an earlier
// finding already matched: the value was found in pieces, and the piece
// counts neither as a hit nor as spurious.
func fragment(f content.Finding, spans []span, matched []bool) bool {
	for k, s := range spans {
		if matched[k] && s.Type == f.Entity.String() && s.Start <= f.Start && f.End <= s.End {
			return true
		}
	}
	return false
}
