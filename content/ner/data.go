package ner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Doc is one labelled text of the training and test files (JSONL).
// Offsets are in bytes.
type Doc struct {
	Text   string    `json:"text"`
	Spans  []DocSpan `json:"spans"`
	Domain string    `json:"domain,omitempty"`
	Lang   string    `json:"lang,omitempty"`
}

// DocSpan is a labelled entity of a Doc.
type DocSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Type  string `json:"type"`
}

// ReadDocs reads a JSONL file of Docs, checking every span.
func ReadDocs(path string) ([]Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeDocs(f, path)
}

func decodeDocs(r io.Reader, name string) ([]Doc, error) {
	var docs []Doc
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var d Doc
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		for _, s := range d.Spans {
			if _, ok := ParseType(s.Type); !ok || s.Start < 0 || s.End > len(d.Text) || s.Start >= s.End {
				return nil, fmt.Errorf("%s:%d: bad span %+v", name, line, s)
			}
		}
		docs = append(docs, d)
	}
	return docs, sc.Err()
}

// ReadDir reads every *.jsonl file in dir, in name order.
func ReadDir(dir string) ([]Doc, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Doc
	for _, f := range files {
		d, err := ReadDocs(f)
		if err != nil {
			return nil, err
		}
		all = append(all, d...)
	}
	return all, nil
}

// goldLabels labels each token from the doc's spans (BIO). A token that
// starts inside a span belongs to it.
func goldLabels(d *Doc, toks []Token, dst []uint8) []uint8 {
	dst = dst[:0]
	for range toks {
		dst = append(dst, lO)
	}
	for _, s := range d.Spans {
		t, _ := ParseType(s.Type)
		first := true
		for i, tk := range toks {
			if int(tk.Start) >= s.Start && int(tk.Start) < s.End {
				if first {
					dst[i] = labelB(t)
					first = false
				} else {
					dst[i] = labelB(t) + 1
				}
			}
		}
	}
	return dst
}

// Scores counts, per type, exact span matches and overlapping tokens.
type Scores struct {
	SpanTP, SpanFP, SpanFN [numTypes]int
	TokTP, TokFP, TokFN    [numTypes]int
}

// Evaluate runs m over docs and scores its spans against the labels.
func Evaluate(m *Model, docs []Doc) *Scores {
	sc := &Scores{}
	var spans []Span
	var toks []Token
	for i := range docs {
		d := &docs[i]
		spans = m.Find([]byte(d.Text), spans[:0])
		gold := map[Span]bool{}
		for _, s := range d.Spans {
			t, _ := ParseType(s.Type)
			gold[Span{s.Start, s.End, t}] = true
		}
		for _, s := range spans {
			if gold[s] {
				sc.SpanTP[s.Type]++
				delete(gold, s)
			} else {
				sc.SpanFP[s.Type]++
			}
		}
		for s := range gold {
			sc.SpanFN[s.Type]++
		}
		// token overlap: the type of each word token in gold and predicted
		toks = Tokenize([]byte(d.Text), toks[:0])
		for _, tk := range toks {
			g, p := typeAt(d.goldSpans(), tk), typeAt(spans, tk)
			switch {
			case g == p && g != numTypes:
				sc.TokTP[g]++
			default:
				if p != numTypes {
					sc.TokFP[p]++
				}
				if g != numTypes {
					sc.TokFN[g]++
				}
			}
		}
	}
	return sc
}

func (d *Doc) goldSpans() []Span {
	out := make([]Span, 0, len(d.Spans))
	for _, s := range d.Spans {
		t, _ := ParseType(s.Type)
		out = append(out, Span{s.Start, s.End, t})
	}
	return out
}

func typeAt(spans []Span, tk Token) Type {
	for _, s := range spans {
		if int(tk.Start) >= s.Start && int(tk.End) <= s.End {
			return s.Type
		}
	}
	return numTypes
}

func prf(tp, fp, fn int) (p, r, f float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// Table formats the scores as a plain-text table.
func (sc *Scores) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-15s %6s %6s %6s %6s | %6s %6s %6s\n", "type", "spans", "P", "R", "F1", "tokP", "tokR", "tokF1")
	var all [6]int
	for t := Type(0); t < numTypes; t++ {
		p, r, f := prf(sc.SpanTP[t], sc.SpanFP[t], sc.SpanFN[t])
		tp, tr, tf := prf(sc.TokTP[t], sc.TokFP[t], sc.TokFN[t])
		fmt.Fprintf(&b, "%-15s %6d %6.3f %6.3f %6.3f | %6.3f %6.3f %6.3f\n", t, sc.SpanTP[t]+sc.SpanFN[t], p, r, f, tp, tr, tf)
		for k, v := range []int{sc.SpanTP[t], sc.SpanFP[t], sc.SpanFN[t], sc.TokTP[t], sc.TokFP[t], sc.TokFN[t]} {
			all[k] += v
		}
	}
	p, r, f := prf(all[0], all[1], all[2])
	tp, tr, tf := prf(all[3], all[4], all[5])
	fmt.Fprintf(&b, "%-15s %6d %6.3f %6.3f %6.3f | %6.3f %6.3f %6.3f\n", "all", all[0]+all[2], p, r, f, tp, tr, tf)
	return b.String()
}
