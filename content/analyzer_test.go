package content

import "testing"

// TestAnalyzerSpansApplied: spans given to a session join its findings in
// the text they belong to, under the policy's actions; spans outside the
// text, inside a character, or of an entity the policy allows are dropped.
func TestAnalyzerSpansApplied(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Person: Redact, Email: Redact}})
	s := p.NewSession()
	t0, t1 := "héllo zed", "ünï zed"
	s.Analyzed([][]Span{
		{{Start: 7, End: 10, Entity: Person}, {Start: 0, End: 99, Entity: Person}, {Start: 2, End: 4, Entity: Person}, {Start: 0, End: 1, Entity: IBAN}},
		{{Start: 6, End: 9, Entity: Person}},
	})
	if got := string(s.Filter([]byte(t0))); got != "héllo [PERSON_1]" {
		t.Errorf("first text: %q", got)
	}
	if got := string(s.Filter([]byte(t1))); got != "ünï [PERSON_1]" {
		t.Errorf("second text: %q", got)
	}
	if got := string(s.Filter([]byte("zed"))); got != "zed" {
		t.Errorf("a third text, no spans: %q", got)
	}
}

// TestAnalyzerViewHidesOwnFindings: what an analyzer is sent has the
// values the policy replaces overwritten, byte for byte; a blocked text
// is not sent.
func TestAnalyzerViewHidesOwnFindings(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, Secret: Block, Phone: Flag}})
	v, blocked := p.NewSession().ForAnalyzer([]byte("mail ｊane@example.com, call +1 415-555-2671"))
	if blocked || string(v) != "mail ****************, call +1 415-555-2671" {
		t.Errorf("view %q, blocked %v", v, blocked)
	}
	if _, blocked := p.NewSession().ForAnalyzer([]byte("key AKIAIOSFODNN7EXAMPLE")); !blocked {
		t.Error("a blocked secret would be sent")
	}
}
