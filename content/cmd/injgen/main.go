// Command injgen writes Warden's own prompt-injection training and
// evaluation data: JSON lines
//
//	{"text": "...", "injection": true, "source": "injgen/override-then", "category": "override", "lang": "en", "split": "train"}
//
// generated from Go templates (text/template) over hand-written fragments
// (fragments.go, benign.go): attacks of each technique (override, goal
// hijacking, prompt leaking, fake system modes, persuasion,
// virtualisation, hypotheticals, token smuggling, encodings, other
// languages, payload splitting, output formatting, overload, indirect
// reference), indirect injections hidden in e-mails, web pages, tool
// results and code, and hard benign prompts that use the same words.
//
// Each template is a family; a family's split is fixed by its position
// within its category (0, 1: train; 2: calib; 3: heldout; and so on), and
// fragments at positions 4, 9, 14, ... of each list only reach held-out
// families (which draw from every fragment). The trainer never reads heldout.jsonl. The same seed writes
// the same files.
//
//	go run ./content/cmd/injgen -seed 1 -out content/testdata/injection
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// Row is one labelled text.
type Row struct {
	Text      string `json:"text"`
	Injection bool   `json:"injection"`
	Source    string `json:"source"`
	Category  string `json:"category"`
	Lang      string `json:"lang"`
	Split     string `json:"split"`
}

// family is a template and what its texts are.
type family struct {
	name, category, lang string
	injection            bool
	tmpl                 string
	n                    int
}

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "content/testdata/injection", "directory to write train.jsonl, calib.jsonl and heldout.jsonl to")
	flag.Parse()
	rows, err := generate(*seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "injgen:", err)
		os.Exit(1)
	}
	for _, split := range []string{"train", "calib", "heldout"} {
		if err := write(filepath.Join(*out, split+".jsonl"), rows, split); err != nil {
			fmt.Fprintln(os.Stderr, "injgen:", err)
			os.Exit(1)
		}
	}
}

func write(path string, rows []Row, split string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if r.Split == split {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// splitOf is a family's split by its position among its category's.
func splitOf(i int) string {
	switch i % 4 {
	case 2:
		return "calib"
	case 3:
		return "heldout"
	}
	return "train"
}

func generate(seed uint64) ([]Row, error) {
	fams := families()
	pos := map[string]int{}
	seen := map[string]bool{}
	var rows []Row
	for k, f := range fams {
		i := pos[f.category+"/"+fmt.Sprint(f.injection)]
		pos[f.category+"/"+fmt.Sprint(f.injection)]++
		split := splitOf(i)
		rng := rand.New(rand.NewPCG(seed, uint64(k)))
		g := &gen{rng: rng, held: split == "heldout", lang: f.lang}
		t, err := template.New(f.name).Funcs(g.funcs()).Parse(f.tmpl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		made := 0
		for try := 0; made < f.n && try < f.n*20; try++ {
			var b strings.Builder
			if err := t.Execute(&b, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			text := strings.TrimSpace(b.String())
			if seen[text] {
				continue
			}
			seen[text] = true
			made++
			rows = append(rows, Row{Text: text, Injection: f.injection, Source: "injgen/" + f.name, Category: f.category, Lang: f.lang, Split: split})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Source < rows[j].Source })
	return rows, nil
}

// gen is one family's random source and template functions.
type gen struct {
	rng  *rand.Rand
	held bool
	lang string
}

// list returns the items of name's fragments the split may use.
func (g *gen) list(all []string) []string {
	if len(all) < 5 {
		return all
	}
	if g.held {
		return all
	}
	var out []string
	for i, s := range all {
		if i%5 != 4 {
			out = append(out, s)
		}
	}
	return out
}

func (g *gen) pick(name string) string {
	if l, ok := langFragments[g.lang][name]; ok && g.lang != "en" {
		return g.choose(g.list(l))
	}
	if l, ok := fragments[name]; ok {
		return g.choose(g.list(l))
	}
	if l, ok := benignFragments[name]; ok {
		return g.choose(g.list(l))
	}
	panic("no fragments named " + name)
}

func (g *gen) choose(l []string) string { return l[g.rng.IntN(len(l))] }

func (g *gen) funcs() template.FuncMap {
	return template.FuncMap{
		"pick": g.pick,
		"cap": func(s string) string {
			r, n := utf8.DecodeRuneInString(s)
			return string(unicode.ToUpper(r)) + s[n:]
		},
		"lc": func(s string) string {
			r, n := utf8.DecodeRuneInString(s)
			return string(unicode.ToLower(r)) + s[n:]
		},
		"maybe": func(s string) string {
			if g.rng.IntN(2) == 0 {
				return s
			}
			return ""
		},
		"oneof": func(s ...string) string { return g.choose(s) },
		"b64":   func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"hex":   func(s string) string { return hex.EncodeToString([]byte(s)) },
		"rot13": func(s string) string {
			return strings.Map(func(r rune) rune {
				switch {
				case 'a' <= r && r <= 'z':
					return 'a' + (r-'a'+13)%26
				case 'A' <= r && r <= 'Z':
					return 'A' + (r-'A'+13)%26
				}
				return r
			}, s)
		},
		"spaced": func(s string) string { return strings.Join(strings.Split(strings.ReplaceAll(s, " ", ""), ""), " ") },
		"leet": func(s string) string {
			return strings.NewReplacer("a", "4", "e", "3", "i", "1", "o", "0", "s", "5", "t", "7").Replace(s)
		},
		"hyphen": func(s string) string {
			var b strings.Builder
			for _, w := range strings.Fields(s) {
				if len(w) > 5 {
					w = w[:len(w)/2] + g.choose([]string{"-", ".", "_", "*", "/"}) + w[len(w)/2:]
				}
				b.WriteString(w + " ")
			}
			return b.String()
		},
		"zw": func(s string) string {
			var b strings.Builder
			for i, r := range s {
				b.WriteRune(r)
				if i%3 == 1 && r != ' ' {
					b.WriteRune(0x200B)
				}
			}
			return b.String()
		},
		"tags": func(s string) string {
			var b strings.Builder
			for _, r := range s {
				if r < 0x80 {
					b.WriteRune(0xE0000 + r)
				}
			}
			return b.String()
		},
		"reverse": func(s string) string {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r)
		},
		"half": func(s string, i int) string {
			k := len(s) / 2
			for k < len(s) && s[k] != ' ' {
				k++
			}
			if i == 0 {
				return s[:k]
			}
			return strings.TrimSpace(s[k:])
		},
		"filler": func(n int) string {
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteString(g.pick("filler") + " ")
			}
			return b.String()
		},
		"doc": func(carrier, x string) string {
			return strings.ReplaceAll(g.pick(carrier), "{{X}}", x)
		},
		"jsonq": func(s string) string { b, _ := json.Marshal(s); return strings.Trim(string(b), "\"") },
		"sub": func(name string) (string, error) {
			t, err := template.New("").Funcs(g.funcs()).Parse(g.pick(name))
			if err != nil {
				return "", err
			}
			var b strings.Builder
			err = t.Execute(&b, nil)
			return b.String(), err
		},
	}
}
