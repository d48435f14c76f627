package content

import "testing"

// TestExpandPII: a preset gives its action to each of its entities, an
// entity named itself keeps its own, and two presets give the stricter.
func TestExpandPII(t *testing.T) {
	got := ExpandPII(map[string]Action{"hipaa_safe_harbor": Redact, "email": Mask, "pci": Block, "nonsense": Block})
	for e, want := range map[Entity]Action{Email: Mask, Date: Redact, MedicalRecordNumber: Redact, Person: Block, CreditCard: Block, Phone: Redact, IPAddress: Redact} {
		if got[e] != want {
			t.Errorf("%s: %s, want %s", e, got[e], want)
		}
	}
	for _, e := range []Entity{Secret, Organization} {
		if _, ok := got[e]; ok {
			t.Errorf("%s is in no preset named, but got %s", e, got[e])
		}
	}
	if g := ExpandPII(map[string]Action{"gdpr": Redact}); g[Organization] != Allow || g[Person] != Redact || g[IBAN] != Redact {
		t.Errorf("gdpr: %v", g)
	}
	for _, n := range Presets() {
		if !PIIKey(n) || len(presets[n]) == 0 {
			t.Errorf("preset %s", n)
		}
	}
	if PIIKey("hipaa") || !PIIKey("npi") {
		t.Error("PIIKey")
	}
}

// TestExpandEntities: an approval rule's presets become their entities,
// each once, beside the entities named.
func TestExpandEntities(t *testing.T) {
	got := ExpandEntities([]string{"iban", "pci", "credit_card"})
	if len(got) != 3 || got[0] != "iban" || got[1] != "credit_card" || got[2] != "person" {
		t.Errorf("got %v", got)
	}
}
