// Command injeval measures the embedded prompt-injection classifier on
// the held-out split (make injection-eval): recall and false-positive
// rate per threshold (a ROC table), recall per attack technique, false
// positives per kind of benign text, and the figures at the default
// thresholds for user text and for tool results.
//
//	go run ./content/cmd/injeval -data ../shared/data/injection-train.jsonl,content/testdata/injection/heldout.jsonl
//
// Public rows count in the held-out split by their source
// (content/inject/injdata); generated and hand-written rows by their
// split field. -split calib measures the calibration split instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/content/inject"
	"github.com/wardenhq/warden/content/inject/injdata"
)

func main() {
	data := flag.String("data", "../shared/data/injection-train.jsonl,content/testdata/injection/heldout.jsonl,content/testdata/injection/hand-heldout.jsonl", "comma-separated JSON-lines files of labelled texts")
	split := flag.String("split", "heldout", "which split to measure (all: every row)")
	misses := flag.Bool("v", false, "print the misses and false positives at the default threshold")
	model := flag.String("model", "", "score with the weights in this file instead of the embedded ones (make injection-half)")
	flag.Parse()
	score := content.ScoreInjection
	if *model != "" {
		f, err := os.Open(*model)
		if err != nil {
			fmt.Fprintln(os.Stderr, "injeval:", err)
			os.Exit(1)
		}
		m, err := inject.ReadModel(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "injeval:", *model+":", err)
			os.Exit(1)
		}
		score = func(b []byte) (float64, []content.InjectionSignal) {
			clean, n := content.Sanitize(b)
			p, sig := m.Score(inject.Text{Raw: b, Clean: clean, Removed: n})
			out := make([]content.InjectionSignal, len(sig))
			for i, s := range sig {
				out[i] = content.InjectionSignal(s)
			}
			return p, out
		}
	}
	rows, err := injdata.ReadAll(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "injeval:", err)
		os.Exit(1)
	}
	type scored struct {
		injdata.Row
		p   float64
		cat string
	}
	var rs []scored
	for _, r := range rows {
		if r.Split != *split && *split != "all" {
			continue
		}
		p, sig := score([]byte(r.Text))
		c := ""
		if len(sig) > 0 {
			c = sig[0].Name
		}
		if r.Category == "" {
			r.Category = "public:" + short(r.Source)
		}
		rs = append(rs, scored{r, p, c})
	}
	var pos, neg int
	for _, r := range rs {
		if r.Injection {
			pos++
		} else {
			neg++
		}
	}
	fmt.Printf("%s split: %d attacks, %d benign\n\n", *split, pos, neg)
	fmt.Println("| threshold | recall | false-positive rate | precision |")
	fmt.Println("|---|---|---|---|")
	for _, th := range []float64{0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99} {
		tp, fp := 0, 0
		for _, r := range rs {
			if r.p >= th {
				if r.Injection {
					tp++
				} else {
					fp++
				}
			}
		}
		mark := ""
		switch th {
		case content.InjectionThreshold:
			mark = " (default)"
		case content.InjectionToolThreshold:
			mark = " (tool results)"
		case content.InjectionSystemThreshold:
			mark = " (system prompts)"
		}
		fmt.Printf("| %.2f%s | %.3f | %.3f | %.3f |\n", th, mark, ratio(tp, pos), ratio(fp, neg), ratio(tp, tp+fp))
	}
	// Per category, at the thresholds for tool results, user text, a
	// stricter one and the one for system prompts: attacks' recall,
	// benign texts' share passed.
	cuts := []float64{content.InjectionToolThreshold, content.InjectionThreshold, 0.7, content.InjectionSystemThreshold}
	type group struct {
		n      int
		hits   [4]int
		attack bool
	}
	groups := map[string]*group{}
	for _, r := range rs {
		g := groups[r.Category]
		if g == nil {
			g = &group{attack: r.Injection}
			groups[r.Category] = g
		}
		g.n++
		for i, th := range cuts {
			if (r.p >= th) == r.Injection {
				g.hits[i]++
			}
		}
	}
	var keys []string
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("\nPer category: attacks: recall; benign: share passed\n\n")
	fmt.Printf("| category | label | n | at %.2f | at %.2f (default) | at %.2f | at %.2f (system) |\n", cuts[0], cuts[1], cuts[2], cuts[3])
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, k := range keys {
		g := groups[k]
		label := "benign"
		if g.attack {
			label = "attack"
		}
		fmt.Printf("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f |\n", k, label, g.n, ratio(g.hits[0], g.n), ratio(g.hits[1], g.n), ratio(g.hits[2], g.n), ratio(g.hits[3], g.n))
	}
	// Indirect injections (in documents and tool results) against benign
	// documents, at the thresholds around the one for tool results.
	fmt.Println("\nIndirect injections in documents and tool results, and benign documents:")
	fmt.Println()
	fmt.Println("| threshold | indirect recall | benign documents flagged |")
	fmt.Println("|---|---|---|")
	for _, th := range []float64{0.15, 0.2, 0.25, 0.3, 0.35, 0.5} {
		var it, in, bt, bn int
		for _, r := range rs {
			switch {
			case r.Injection && (r.Category == "indirect" || strings.Contains(r.Source, "BIPIA")):
				in++
				if r.p >= th {
					it++
				}
			case !r.Injection && (r.Category == "benign_document" || strings.Contains(r.Source, "BIPIA")):
				bn++
				if r.p >= th {
					bt++
				}
			}
		}
		mark := ""
		switch th {
		case content.InjectionThreshold:
			mark = " (default)"
		case content.InjectionToolThreshold:
			mark = " (tool results)"
		}
		fmt.Printf("| %.2f%s | %.3f (%d) | %.3f (%d) |\n", th, mark, ratio(it, in), in, ratio(bt, bn), bn)
	}
	if *misses {
		for _, r := range rs {
			if (r.p >= content.InjectionThreshold) != r.Injection {
				kind := "FN"
				if !r.Injection {
					kind = "FP"
				}
				fmt.Printf("%s %.3f %s [%s] %.160q\n", kind, r.p, r.Category, r.cat, r.Text)
			}
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func short(src string) string {
	repo, path, _ := strings.Cut(src, ":")
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	if i := strings.LastIndex(path, "/"); i >= 0 {
		path = path[i+1:]
	}
	if path == "" {
		return repo
	}
	return repo + "/" + path
}
