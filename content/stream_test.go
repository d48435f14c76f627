package content

import (
	"strings"
	"testing"
)

// TestStreamText: a text pushed in pieces of every size comes out as the
// whole text filtered at once, values split across pieces included, and
// the first text comes out before the end.
func TestStreamText(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, CreditCard: Redact, Phone: Mask, Secret: Redact},
		Deny: []*DenyRule{{Name: "codenames", Action: Redact, Phrases: []string{"Project Nightingale"}}}})
	text := "Dear customer, we have received your request about Project Nightingale. " +
		"Please write to jane.doe@example.com or call +1 415-555-2671. Your card 4111 1111 1111 1111 " +
		"was charged; the key AKIAIOSFODNN7EXAMPLE is revoked. Kind regards, the team at bob@example.org"
	want := string(p.NewSession().Filter([]byte(text)))
	if !strings.Contains(want, "[EMAIL_1]") || !strings.Contains(want, "[CREDIT_CARD_1]") || !strings.Contains(want, "[DENIED:codenames]") {
		t.Fatalf("whole: %s", want)
	}
	for _, size := range []int{1, 2, 3, 5, 7, 16, 64, 1000} {
		st := p.NewSession().Stream()
		var out strings.Builder
		first := -1
		for i := 0; i < len(text); i += size {
			got := st.Push([]byte(text[i:min(i+size, len(text))]))
			if len(got) > 0 && first < 0 {
				first = i
			}
			out.Write(got)
		}
		out.Write(st.Flush())
		if out.String() != want {
			t.Errorf("pieces of %d:\n got %s\nwant %s", size, out.String(), want)
		}
		if size < 64 && (first < 0 || first > 160) {
			t.Errorf("pieces of %d: the first text came out after %d bytes", size, first)
		}
	}
}

// TestStreamTextBlock: a block in a stream releases nothing of the value,
// and nothing after it.
func TestStreamTextBlock(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{CreditCard: Block}})
	s := p.NewSession()
	st := s.Stream()
	var out strings.Builder
	text := strings.Repeat("harmless words here ", 10) + "card 4111 1111 1111 1111 and more text after it " + strings.Repeat("x ", 50)
	for i := 0; i < len(text); i += 3 {
		out.Write(st.Push([]byte(text[i:min(i+3, len(text))])))
	}
	out.Write(st.Flush())
	if s.Blocked() != "pii.credit_card" || strings.Contains(out.String(), "4111") || strings.Contains(out.String(), "after") {
		t.Fatalf("blocked %q, released %q", s.Blocked(), out.String())
	}
}
