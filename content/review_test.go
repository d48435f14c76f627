package content

import (
	"regexp"
	"strings"
	"testing"
)

func redactAll() *Policy {
	return NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, CreditCard: Redact, Phone: Redact, USSSN: Redact, Secret: Redact}})
}

// TestValuesBesideUnicode: a value next to quotation marks, dashes, CJK
// text or a combining mark is still a value.
func TestValuesBesideUnicode(t *testing.T) {
	for _, in := range []string{
		"my card: \u201c4111 1111 1111 1111\u201d",
		"email \u201cjane.doe@example.com\u201d please",
		"\u5361\u53f74111111111111111\u3002",
		"write to jane.doe@example.com\u3002",
		"SSN 078-05-1120\u2014thanks",
		"card 4111111111111111\u0301",
	} {
		out := string(redactAll().NewSession().Filter([]byte(in)))
		if strings.Contains(out, "1111 1111") || strings.Contains(out, "4111111111111111") || strings.Contains(out, "jane.doe") || strings.Contains(out, "078-05") {
			t.Errorf("not redacted: %q -> %q", in, out)
		}
	}
	// Letters of space-separated scripts still glue: no value inside a word.
	if out := string(redactAll().NewSession().Filter([]byte("Kontonummer4111111111111111ä"))); !strings.Contains(out, "4111") {
		t.Errorf("a number inside a word was taken out: %q", out)
	}
}

// TestPrivateKeyInJSONText: a key whose lines are escaped (\n) inside
// JSON text, as in tool arguments, is found.
func TestPrivateKeyInJSONText(t *testing.T) {
	in := `{"key":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Vn0q3mZb1pQ7y7\n-----END RSA PRIVATE KEY-----"}`
	if out := string(redactAll().NewSession().Filter([]byte(in))); strings.Contains(out, "MIIEow") {
		t.Errorf("not redacted: %s", out)
	}
}

// TestBlockWinsOverlaps: a block is not hidden by a milder rule that
// overlaps the value.
func TestBlockWinsOverlaps(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{CreditCard: Block},
		Deny: []*DenyRule{{Name: "long-numbers", Action: Flag, Pattern: regexp.MustCompile(`\b\d{12,19}\b`)}}})
	s := p.NewSession()
	s.Filter([]byte("pay with 4111111111111111 today"))
	if s.Blocked() != "pii.credit_card" {
		t.Errorf("blocked %q", s.Blocked())
	}
}

// TestHostileInputsStayLinear: inputs that made matchers rescan the rest
// of the text for each keyword, and nesting deeper than the rewriter
// follows. (Linear now: each runs in milliseconds.)
func TestHostileInputsStayLinear(t *testing.T) {
	for _, in := range []string{strings.Repeat("-----BEGIN ", 40000), strings.Repeat("-eyJ", 100000), strings.Repeat("eyJabcdefghijk.", 30000)} {
		redactAll().NewSession().Filter([]byte(in))
	}
	doc := []byte(strings.Repeat("[", 200000) + `"a"` + strings.Repeat("]", 200000))
	if _, err := RewriteStrings(doc, nil, func(_ Path, b []byte) []byte { return b }); err != ErrJSON {
		t.Errorf("deep nesting: %v", err)
	}
}
