package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestPIIPatternsPreset: with the hipaa_safe_harbor preset (and an entity
// named on its own beside it), a clinical note reaches the upstream with
// the patient's name, street address and town, date of birth, age, MRN, health plan id, NPI, postal code, phone
// with extension, portal URL and licence plate replaced by typed
// placeholders, while the note's other numbers (a dose, a year, a
// version) pass untouched.
func TestPIIPatternsPreset(t *testing.T) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Content = config.Content{
			Request:      config.ContentStage{PII: map[string]string{"hipaa_safe_harbor": "redact", "email": "mask"}},
			PhoneRegions: []string{"US"},
		}
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	note := "Clinical note. Patient Maria Gonzalez, DOB: 03/15/1984, a 40-year-old, MRN: 00482913, Member ID: XWQ123456789. " +
		"Seen by NPI 1234567893 on March 4, 2024. Lives at 4521 Oak Ridge Drive, Springfield, IL 62704; call 415.555.2671 x12 or mail jane@example.com. " +
		"Portal https://portal.example.com/p/7 (plate 7ABC123). Metformin 500 mg since 2019, app version 3.2.1."
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin,
		`{"model":"gpt-test","messages":[{"role":"user","content":"`+note+`"}]}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s %s", res.Status, b)
	}
	got, _ := g.Upstream.LastRequest()
	body := string(got.Body)
	for _, leaked := range []string{"Maria", "Gonzalez", "Oak Ridge", "Springfield", "03/15/1984", "40-year", "00482913", "XWQ123456789", "1234567893", "March 4", "62704", "555.2671", "x12", "jane@", "portal.example.com", "7ABC123"} {
		if strings.Contains(body, leaked) {
			t.Errorf("the upstream received %q:\n%s", leaked, body)
		}
	}
	for _, want := range []string{"Patient [PERSON_1], DOB: [DATE_1]", "Lives at [STREET_ADDRESS_1], [LOCATION_1], [LOCATION_2] [POSTAL_CODE_1]", "a [AGE_1]-year-old", "MRN: [MRN_1]", "Member ID: [HEALTH_PLAN_ID_1]", "NPI [NPI_1] on [DATE_2]",
		"call [PHONE_1] or", "mail ****@******e.com", "Portal [URL_1] (plate [LICENSE_PLATE_1])", "500 mg since 2019, app version 3.2.1."} {
		if !strings.Contains(body, want) {
			t.Errorf("the upstream's body lacks %q:\n%s", want, body)
		}
	}
}
