package tokens_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/tokens"
)

// english is 1 KiB of ordinary English prose (contractions, numbers,
// punctuation), the size of a typical chat request.
var english = func() string {
	const text = "The quarterly report is due on Friday, and we still haven't reconciled the numbers from " +
		"the Berlin office. Maria said she'd send the spreadsheet by 3 p.m., but I don't think it's arrived yet. " +
		"Could you check whether the totals for March (about $48,250) match what finance recorded? If they don't, " +
		"we'll need to flag the difference before the board meeting on the 14th. Also, please summarise the " +
		"customer feedback we collected last week: most people liked the new dashboard, though several asked " +
		"for an export to CSV and a darker theme. One customer wrote that the mobile app crashes when they " +
		"upload photos larger than 20 MB. Let's prioritise that bug. Finally, remind the team that the office " +
		"will be closed on Monday for maintenance; everyone should work from home and keep an eye on the " +
		"on-call channel. Thanks again for pulling this together so quickly — I know it's been a busy month, " +
		"and I really appreciate the extra hours you've put in. "
	s := text
	for len(s) < 1024 {
		s += text
	}
	s = s[:1024]
	return s[:strings.LastIndexByte(s, ' ')]
}()

// BenchmarkChat1KiB: a 1 KiB chat body, as in docs/performance.md's
// "Token estimate": the whole estimate, JSON included.
func BenchmarkChat1KiB(b *testing.B) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"` + english + `"}]}`)
	benchmarkEstimate(b, body)
}

// BenchmarkText: the counting alone, on the same 1 KiB of text.
func BenchmarkText(b *testing.B) {
	tokens.Preload()
	b.SetBytes(int64(len(english)))
	b.ReportAllocs()
	for b.Loop() {
		tokens.Text(english, int64(len(english)))
	}
}
