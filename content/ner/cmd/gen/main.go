// Command gen writes labelled training and test data for the name model:
// texts from hand-written templates across domains (clinical notes,
// support chats, HR and legal letters, e-mails, logs, forms, tables,
// meeting notes, news) in English, German, French and Spanish, with names,
// places, organisations and addresses drawn from the gazetteer lists.
//
//	go run ./content/ner/cmd/gen -seed 1 -out /tmp/ner           # train.jsonl
//	go run ./content/ner/cmd/gen -seed 2 -test -out content/ner/testdata   # heldout.jsonl
//	go run ./content/ner/cmd/gen -hand content/ner/testdata/hand.txt -out content/ner/testdata
//
// Test data uses other templates than training data, and names, cities
// and streets from a disjoint part of each list, so the held-out score
// measures generalisation, not memorised templates or values.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/content/ner"
)

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "output directory")
	src := flag.String("src", "/work/shared/data/pii", "directory of the PII gazetteer CSVs")
	n := flag.Int("n", 60000, "number of texts")
	test := flag.Bool("test", false, "write the held-out split (test templates and values) as heldout.jsonl")
	hand := flag.String("hand", "", "convert this hand-labelled markup file to hand.jsonl instead")
	flag.Parse()
	if *out == "" {
		log.Fatal("gen: -out is required")
	}
	if *hand != "" {
		docs, err := readHand(*hand)
		if err != nil {
			log.Fatal(err)
		}
		writeDocs(filepath.Join(*out, "hand.jsonl"), docs)
		return
	}
	rng := rand.New(rand.NewPCG(*seed, 77))
	p := loadPools(*src, *test)
	set := trainTemplates
	name := "train.jsonl"
	if *test {
		set = testTemplates
		name = "heldout.jsonl"
	}
	g := &gen{rng: rng, p: p}
	docs := make([]ner.Doc, 0, *n)
	for len(docs) < *n {
		docs = append(docs, g.doc(set))
	}
	writeDocs(filepath.Join(*out, name), docs)
}

func writeDocs(path string, docs []ner.Doc) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d texts\n", path, len(docs))
}

// readHand reads markup lines: "[Maria Lopez](person) lives in [Lyon](location)."
// Types may be abbreviated: per, loc, org, addr. Lines starting with # are comments.
func readHand(path string) ([]ner.Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abbr := map[string]string{"per": "person", "loc": "location", "org": "organization", "addr": "street_address"}
	var docs []ner.Doc
	for ln, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, " \r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lang, domain := "en", "hand"
		if k := strings.Index(line, "\t"); k > 0 && k < 12 {
			meta := strings.SplitN(line[:k], "/", 2)
			lang = meta[0]
			if len(meta) == 2 {
				domain = meta[1]
			}
			line = line[k+1:]
		}
		line = strings.ReplaceAll(line, `\n`, "\n")
		var b strings.Builder
		var spans []ner.DocSpan
		for i := 0; i < len(line); {
			if line[i] == '[' {
				close := strings.Index(line[i:], "](")
				end := strings.IndexByte(line[i:], ')')
				if close > 0 && end > close {
					typ := line[i+close+2 : i+end]
					if full, ok := abbr[typ]; ok {
						typ = full
					}
					if _, ok := ner.ParseType(typ); !ok {
						return nil, fmt.Errorf("%s:%d: unknown type %q", path, ln+1, typ)
					}
					start := b.Len()
					b.WriteString(line[i+1 : i+close])
					spans = append(spans, ner.DocSpan{Start: start, End: b.Len(), Type: typ})
					i += end + 1
					continue
				}
			}
			b.WriteByte(line[i])
			i++
		}
		docs = append(docs, ner.Doc{Text: b.String(), Spans: spans, Domain: domain, Lang: lang})
	}
	return docs, nil
}
