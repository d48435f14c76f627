// Command piigen writes a labelled data set of texts with personal data
// for measuring the content detectors (make pii-eval): JSONL lines
//
//	{"text": "...", "spans": [{"start": B, "end": B, "type": "person"}], "domain": "clinical", "lang": "en"}
//
// with byte offsets, in train.jsonl, dev.jsonl and test.jsonl under -out.
// The texts come from templates across domains (clinical notes, support
// chats, HR and legal letters, e-mails, logs, forms, code) in English,
// German, French and Spanish; values are generated with valid check
// digits; hard negatives (order numbers, versions, years, prices, file
// names) are left unlabelled. The same seed writes the same files.
//
//	go run ./content/cmd/piigen -seed 1 -out content/testdata/pii
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Span is a labelled value: text[Start:End] in bytes.
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Type  string `json:"type"`
}

// Example is one labelled text.
type Example struct {
	Text   string `json:"text"`
	Spans  []Span `json:"spans"`
	Domain string `json:"domain"`
	Lang   string `json:"lang"`
}

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "content/testdata/pii", "directory to write train.jsonl, dev.jsonl and test.jsonl to")
	n := flag.Int("n", 600, "texts in the test split (train: 4x, dev: 1x)")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "piigen:", err)
		os.Exit(1)
	}
	for k, split := range []struct {
		name string
		n    int
	}{{"train", 4 * *n}, {"dev", *n}, {"test", *n}} {
		if err := write(filepath.Join(*out, split.name+".jsonl"), newRand(*seed, uint64(k)), split.n); err != nil {
			fmt.Fprintln(os.Stderr, "piigen:", err)
			os.Exit(1)
		}
	}
}

// newRand is the generator of one split: PCG, seeded.
func newRand(seed, split uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, split)) }

func write(path string, r *rand.Rand, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	langs := []string{"en", "en", "en", "de", "fr", "es"}
	for range n {
		lang := langs[r.IntN(len(langs))]
		ts := templates[lang]
		t := ts[r.IntN(len(ts))]
		if r.IntN(8) == 0 {
			t = extraIDs[r.IntN(len(extraIDs))]
		}
		ex := fill(&gen{r: r, lang: lang}, t)
		ex.Lang = lang
		b, _ := json.Marshal(ex)
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// fill writes t's text with its slots filled, and labels them.
func fill(g *gen, t template) Example {
	ex := Example{Domain: t.domain, Spans: []Span{}}
	var b strings.Builder
	s := t.text
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}') + i
		b.WriteString(s[:i])
		slot := s[i+1 : j]
		v, typ := value(g, slot)
		start := b.Len()
		b.WriteString(v)
		if typ != "" {
			ex.Spans = append(ex.Spans, Span{start, b.Len(), typ})
		}
		s = s[j+1:]
	}
	ex.Text = b.String()
	return ex
}

// value generates a slot's value and its label ("" for none).
func value(g *gen, slot string) (string, string) {
	gens := map[string]func() string{
		"person": g.person, "location": g.city, "organization": g.org, "street_address": g.streetAddress, "date": g.date,
		"age": g.age, "email": g.email, "phone": g.phone, "credit_card": g.card, "us_ssn": g.ssn, "iban": g.iban,
		"ip_address": g.ip, "mac_address": g.mac, "url": g.url, "domain": g.domain, "npi": g.npi, "dea_number": g.dea,
		"vin": g.vin, "imei": g.imei, "uk_nhs_number": g.nhs, "de_tax_id": g.deTaxID, "fr_nir": g.nir, "es_dni": g.dni,
		"it_fiscal_code": g.fiscalCode, "nl_bsn": g.bsn, "pl_pesel": g.pesel, "medical_record_number": g.mrn,
		"health_plan_id": g.healthPlan, "account_number": g.account, "passport": g.passport, "us_driver_license": g.driverLic,
		"license_plate": g.plate,
	}
	switch slot {
	case "state":
		return g.pick(states...), "location"
	case "postal_code":
		if g.lang == "en" {
			return g.zip(), "postal_code"
		}
		return fmt.Sprintf("%05d", 1000+g.r.IntN(98000)), "postal_code"
	case "uk_postcode":
		return g.ukPostcode(), "postal_code"
	case "neg_order", "neg_invoice", "neg_ticket":
		return g.orderNumber(), ""
	case "neg_year":
		return fmt.Sprint(1990 + g.r.IntN(40)), ""
	case "neg_small":
		return fmt.Sprint(1 + g.r.IntN(400)), ""
	case "neg_version":
		return fmt.Sprintf("%d.%d.%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100)), ""
	case "neg_date_version":
		return fmt.Sprintf("v%d.%d", 1+g.r.IntN(9), g.r.IntN(20)), ""
	case "neg_timestamp":
		return fmt.Sprintf("ts=%d", 1700000000+g.r.IntN(90000000)), ""
	case "neg_hex":
		return fmt.Sprintf("%x", g.r.Uint64()), ""
	}
	if f, ok := gens[slot]; ok {
		return f(), slot
	}
	panic("piigen: unknown slot " + slot)
}
