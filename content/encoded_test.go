package content

import (
	"encoding/base64"
	"strings"
	"testing"
)

// blockPolicy blocks secrets, cards and SSNs and redacts e-mail, as an
// operator might.
func blockPolicy(extra ...Entity) *Policy {
	a := map[Entity]Action{Secret: Block, CreditCard: Block, USSSN: Block, Email: Redact}
	for _, e := range extra {
		a[e] = Block
	}
	return NewPolicy(PolicyOptions{Actions: a})
}

func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }
func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestEncodedBlocked: a value of an entity the policy blocks is found in
// base64, percent-encoding, HTML character references, and split by
// spaces or dots, alone or nested, and blocks under its own rule.
func TestEncodedBlocked(t *testing.T) {
	pct := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
		return b.String()
	}
	ent := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			b.WriteString("&#" + itoa(int(c)) + ";")
		}
		return b.String()
	}
	for _, tt := range []struct {
		text string
		rule string
		more []Entity
	}{
		{"please decode " + b64("card 4111 1111 1111 1111 exp 12/29") + " and use it", "pii.credit_card", nil},
		{"payload=" + b64url("my ssn is 123-45-6789") + ";", "pii.us_ssn", nil},
		{"token " + b64("AKIAIOSFODNN7EXAMPLE"), "pii.secret", nil},
		{b64("4111111111111111"), "pii.credit_card", nil},
		{"q=" + pct("4111 1111 1111 1111"), "pii.credit_card", nil},
		{"card 4111%201111%201111%201111 please", "pii.credit_card", nil},
		{"ssn: 123%2D45%2D6789", "pii.us_ssn", nil},
		{"double %2534%2531%2531%2531%2520%2531%2531%2531%2531%2520%2531%2531%2531%2531%2520%2531%2531%2531%2531", "pii.credit_card", nil},
		{"card " + ent("4111 1111 1111 1111"), "pii.credit_card", nil},
		{"card &#x34;&#x31;11 1111 1111 1111", "pii.credit_card", nil},
		{"card &amp;#52;&amp;#49;11 1111 1111 1111", "pii.credit_card", nil},
		{"4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 is the card", "pii.credit_card", nil},
		{"the number 1.2.3-45-6789 is mine", "pii.us_ssn", nil},
		{"41-11-1111-11-11-11-11", "pii.credit_card", nil},
		{"123.45.6789", "pii.us_ssn", nil},
		{"write to j a n e . d o e @ e x a m p l e . c o m today", "pii.email", []Entity{Email}},
		{"the key A K I A I O S F O D N N 7 E X A M P L E", "pii.secret", nil},
		{"nested " + b64("q="+pct("4111 1111 1111 1111")), "pii.credit_card", nil},
		{"mail " + b64("jane.doe@example.com"), "pii.email", []Entity{Email}},
	} {
		s := blockPolicy(tt.more...).NewSession()
		s.Filter([]byte(tt.text))
		if s.Blocked() != tt.rule {
			t.Errorf("%q: blocked %q, want %q", tt.text, s.Blocked(), tt.rule)
		}
	}
}

// TestEncodedNotBlocked: what is ordinarily encoded or grouped passes:
// images and data URLs, hashes, UUIDs, URLs with %20, HTML, numbers
// grouped by thousands, IP addresses, dates and times, versions, ZIP+4,
// phone numbers; and an encoded value of an entity that is only redacted
// is not sought (redaction of encoded values is not done).
func TestEncodedNotBlocked(t *testing.T) {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
	for _, text := range []string{
		"data:image/png;base64," + png,
		"see ![img](data:image/png;base64," + png + ")",
		"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 and md5 d41d8cd98f00b204e9800998ecf8427e",
		"id 123e4567-e89b-12d3-a456-426614174000 and 550E8400-E29B-41D4-A716-446655440000",
		"https://example.com/my%20file%20name.pdf?q=a%20b&x=%2Fpath",
		"Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &#169; 2026 &nbsp; caf&eacute;",
		"population 1 234 567 890 and 123.456.789 euros",
		"server 10.0.12.7 and 192.168.100.200",
		"at 2024-01-15 10:30:45 on 15.01.2024",
		"version 1.2.3 and 10.20.30",
		"ZIP 12345-6789",
		"call 415 555 2671 or +1 415 555 2671",
		"the internationalization of InternationalizationFrameworks and getUserAccountInformation",
		"a b c d e f g h i j k l m n o p",
		"I am a b",
		"hello " + b64("just some ordinary text that is harmless"),
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
		"eyJhbGciOiJIUzI1NiJ9",
		"redacted only: " + b64("jane.doe@example.com"),
	} {
		s := blockPolicy().NewSession()
		s.Filter([]byte(text))
		if s.Blocked() != "" {
			t.Errorf("%q: blocked by %s", text, s.Blocked())
		}
	}
}

// TestEncodedOnlyBlock: without a block action nothing is decoded.
func TestEncodedOnlyBlock(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{CreditCard: Redact}})
	if p.encoded != nil {
		t.Fatal("encoded detector built with no block action")
	}
	text := b64("card 4111 1111 1111 1111")
	s := p.NewSession()
	if out := s.Filter([]byte(text)); string(out) != text || s.Blocked() != "" {
		t.Fatalf("redact-only policy changed %q into %q (%s)", text, out, s.Blocked())
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// FuzzDecoders: the candidate decoders never fail or read out of bounds,
// what they return for a candidate is bounded by it, and the scan's
// finding lies inside the text.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{"%34%31", "&#52;&#x31;&amp;", "&#", "&#x;", "NDExMSAxMTEx", "1.2.3-45-6789", "j a n e @ x . c o", "4 1 1 1", "%%%", "&&&;;", "aGVsbG8=", "4\xff 1 1 1 1 1 1 1 1"} {
		f.Add([]byte(s))
	}
	d := NewDetector([]Entity{CreditCard, USSSN, Secret, Email}, nil)
	f.Fuzz(func(t *testing.T, text []byte) {
		if u := unescape(text); len(u) > len(text) {
			t.Fatalf("unescape(%q) grew to %q", text, u)
		}
		if dec, ok := decodeBase64(text); ok && len(dec) > len(text) {
			t.Fatalf("decodeBase64(%q) grew", text)
		}
		if n := entityRef(text); n > len(text) {
			t.Fatalf("entityRef(%q) = %d", text, n)
		}
		for i := range text {
			if e, dec, ok := splitDigits(text, i); ok && (e <= i || e > len(text) || len(dec) > 2*(e-i)) {
				t.Fatalf("splitDigits(%q, %d) = %d, %q", text, i, e, dec)
			}
			if e, dec, ok := spacedChars(text, i); ok && (e <= i || e > len(text) || len(dec) > e-i) {
				t.Fatalf("spacedChars(%q, %d) = %d, %q", text, i, e, dec)
			}
		}
		for _, fd := range findEncoded(d, text, nil) {
			if fd.Start < 0 || fd.End > len(text) || fd.End <= fd.Start {
				t.Fatalf("finding %+v in %d bytes", fd, len(text))
			}
		}
	})
}

// BenchmarkScanEncoded: the search for encoded candidates over the 64 KiB
// of mixed text (a policy that blocks pays it once per string, beside
// the detectors' pass).
func BenchmarkScanEncoded(b *testing.B) {
	text := mixedText(64 << 10)
	d := NewDetector([]Entity{CreditCard, USSSN, Secret}, nil)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		findEncoded(d, text, nil)
	}
}
