// Package injdata reads the labelled texts the injection classifier is
// trained and measured on, and assigns each to its split: train, calib
// (for Platt scaling and thresholds) or heldout (never trained on). Rows
// carry their split (content/testdata/injection) or are split by their
// source (the public injection-train.jsonl), never by row, because many
// sources are template × payload compositions.
package injdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Row is one labelled text.
type Row struct {
	Text      string `json:"text"`
	Injection bool   `json:"injection"`
	Source    string `json:"source,omitempty"`
	License   string `json:"license,omitempty"`
	Category  string `json:"category,omitempty"`
	Lang      string `json:"lang,omitempty"`
	Split     string `json:"split,omitempty"`
	// Weight scales the row's share of the training loss (1 unless the
	// file was named as path@weight).
	Weight float64 `json:"-"`
}

// heldout are the public sources kept out of training entirely: whole
// repositories' files of both labels, so the held-out split measures
// phrasing the model has not seen.
var heldout = []string{
	"NVIDIA/garak:",
	"mik0w/pallms:",
	"whylabs/langkit:",
	"sherdencooper/GPTFuzz:",
	"WithSecureLabs/spikee:spikee/data/workspace/datasets/seeds-targeted-2024-12/",
	"WithSecureLabs/spikee:results/v0.1/results_az_prompt_shields",
	"cyberark/FuzzyAI:src/fuzzyai/resources/persuasion_taxonomy.jsonl",
	"microsoft/BIPIA:benchmark/code/",
	"yizhongw/self-instruct:",
	"openai/human-eval:",
}

// calib are the public sources that calibrate the probability.
var calib = []string{
	"cambridgeltl/xcopa:data/et/val", "cambridgeltl/xcopa:data/it/val", "cambridgeltl/xcopa:data/tr/val", "cambridgeltl/xcopa:data/zh/val",
	"google-research/url-nlp:mgsm/mgsm_fr.tsv", "google-research/url-nlp:mgsm/mgsm_de.tsv",
	"cyberark/FuzzyAI:src/fuzzyai/resources/adv_bench_sub_gpt4.jsonl",
	"microsoft/BIPIA:benchmark/email/",
	"WithSecureLabs/spikee:spikee/data/workspace/datasets/seeds-cybersec-2025-04/",
	"WithSecureLabs/spikee:spikee/data/workspace/datasets/seeds-investment-advice/",
	"WithSecureLabs/spikee:spikee/data/workspace/datasets/seeds-investment-advice-fp/",
}

// SplitOf returns r's split: its own, or its source's; rows with neither
// (the development set) train.
func SplitOf(r Row) string {
	if r.Split != "" {
		return r.Split
	}
	for _, p := range heldout {
		if strings.HasPrefix(r.Source, p) {
			return "heldout"
		}
	}
	for _, p := range calib {
		if strings.HasPrefix(r.Source, p) {
			return "calib"
		}
	}
	return "train"
}

// Read reads a JSON-lines file of rows, setting each row's Split.
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if r.Source == "" {
			r.Source = path
		}
		r.Split = SplitOf(r)
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// ReadAll reads the files named in a comma-separated list; path@w
// weighs a file's rows by w in training. path%even keeps only a file's
// even rows (0, 2, 4, ...) in their own split; path%odd keeps only its
// odd rows and holds them out: together they split a file without a
// split of its own (the development set) in halves, one trained on and
// one measured (make injection-half).
func ReadAll(list string) ([]Row, error) {
	var rows []Row
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		parity := -1
		if i := strings.LastIndex(p, "%"); i >= 0 {
			switch p[i+1:] {
			case "even":
				parity = 0
			case "odd":
				parity = 1
			default:
				return nil, fmt.Errorf("%s: want path%%even or path%%odd", p)
			}
			p = p[:i]
		}
		w := 1.0
		if i := strings.LastIndex(p, "@"); i >= 0 {
			if _, err := fmt.Sscan(p[i+1:], &w); err != nil || w <= 0 {
				return nil, fmt.Errorf("%s: want path@weight with a positive weight", p)
			}
			p = p[:i]
		}
		r, err := Read(p)
		if err != nil {
			return nil, err
		}
		for i := range r {
			r[i].Weight = w
			switch {
			case parity < 0:
			case i%2 != parity:
				continue
			case parity == 1:
				r[i].Split = "heldout"
			}
			rows = append(rows, r[i])
		}
	}
	return rows, nil
}
