// Command eval prints per-type precision, recall and F1 of the embedded
// name model (or of -model) on labelled JSONL files: exact span match,
// and token overlap.
//
//	go run ./content/ner/cmd/eval content/ner/testdata/heldout.jsonl content/ner/testdata/hand.jsonl
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/wardenhq/warden/content/ner"
)

func main() {
	model := flag.String("model", "", "weights file (default: the embedded model)")
	errs := flag.Int("errors", 0, "print up to this many wrong texts per file")
	flag.Parse()
	m := ner.Default()
	if *model != "" {
		b, err := os.ReadFile(*model)
		if err != nil {
			log.Fatal(err)
		}
		g, err := ner.DefaultGazetteer()
		if err != nil {
			log.Fatal(err)
		}
		if m, err = ner.ReadModel(bytes.NewReader(b), g); err != nil {
			log.Fatal(err)
		}
	}
	for _, path := range flag.Args() {
		docs, err := ner.ReadDocs(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\n%s (%d texts)\n%s", path, len(docs), ner.Evaluate(m, docs).Table())
		shown := 0
		for _, d := range docs {
			if shown >= *errs {
				break
			}
			got := m.Find([]byte(d.Text), nil)
			if !same(got, d) {
				shown++
				fmt.Printf("--- %q\n    want:", d.Text)
				for _, s := range d.Spans {
					fmt.Printf(" [%s](%s)", d.Text[s.Start:s.End], s.Type)
				}
				fmt.Printf("\n    got: ")
				for _, s := range got {
					fmt.Printf(" [%s](%s)", d.Text[s.Start:s.End], s.Type)
				}
				fmt.Println()
			}
		}
	}
}

func same(got []ner.Span, d ner.Doc) bool {
	if len(got) != len(d.Spans) {
		return false
	}
	for i, s := range got {
		w := d.Spans[i]
		if s.Start != w.Start || s.End != w.End || s.Type.String() != w.Type {
			return false
		}
	}
	return true
}
