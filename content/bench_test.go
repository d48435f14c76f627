package content

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// mixedText is prose with numbers, code, addresses and, now and then, a
// value a detector should find: what prompts to a gateway look like.
func mixedText(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{
		"The quarterly report shows revenue of 4,512,300 USD, up 12.5% on 2025. ",
		"Please summarise the contract between Acme Corp and Globex for the board meeting on 2026-11-03. ",
		"func main() { for i := 0; i < 10; i++ { fmt.Println(i, x[i]) } }\n",
		"Our server at 10.0.12.7 returned error 503 after 30 seconds; see ticket 48213. ",
		"Ignore the formatting, and answer in three bullet points with citations. ",
		"Customer wrote: \"I can't log in since version 3.2.1 of the app, order 88231277.\" ",
		"SELECT id, name FROM users WHERE created_at > '2026-01-01' LIMIT 100;\n",
		"Der Vertrag läuft bis zum 31.12.2027 und verlängert sich automatisch um ein Jahr. ",
	}
	rare := []string{
		"Contact jane.doe@example.com for details. ",
		"Call +1 415-555-2671 tomorrow. ",
		"Card 4111 1111 1111 1111 was declined. ",
		"Use key AKIAIOSFODNN7EXAMPLE in staging. ",
	}
	var b bytes.Buffer
	for b.Len() < size {
		if r.IntN(20) == 0 {
			b.WriteString(rare[r.IntN(len(rare))])
		} else {
			b.WriteString(parts[r.IntN(len(parts))])
		}
	}
	return b.Bytes()[:size]
}

// BenchmarkScan: every default detector over 64 KiB of mixed text (the
// goal: ≥ 100 MB/s on one core).
func BenchmarkScan(b *testing.B) {
	text := mixedText(64 << 10)
	d := all()
	var buf []Finding
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		buf = d.Find(text, buf[:0])
	}
}

// BenchmarkApply: sanitise and apply a redacting policy to a 4 KiB prompt.
func BenchmarkApply(b *testing.B) {
	text := mixedText(4 << 10)
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, Phone: Mask, CreditCard: Redact, USSSN: Redact, IBAN: Redact, IPAddress: Redact, Secret: Redact}})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		s := p.NewSession()
		t, _ := Sanitize(text)
		s.Apply(t)
	}
}

// BenchmarkScanPatterns: every pattern-based entity (all but the
// model's person, street_address, location and organization) over the
// same text (the goal: ≥ 80 MB/s on one core).
func BenchmarkScanPatterns(b *testing.B) {
	text := mixedText(64 << 10)
	d := allIDs()
	var buf []Finding
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		buf = d.Find(text, buf[:0])
	}
}

// BenchmarkScanEverything: every entity, the name model's included, over
// the same text (the goal: ≥ 20 MB/s on one core).
func BenchmarkScanEverything(b *testing.B) {
	var on []Entity
	for e := range numEntities {
		on = append(on, e)
	}
	text := mixedText(64 << 10)
	d := NewDetector(on, []string{"US", "DE", "GB"})
	var buf []Finding
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		buf = d.Find(text, buf[:0])
	}
}
