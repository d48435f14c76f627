package content

import (
	"strings"
	"testing"
)

// allIDs is a detector for every pattern-based entity (the name model's
// are left out: TestNamesBesidePatterns has them).
func allIDs() *Detector {
	var on []Entity
	for e := range numEntities {
		if e < Person || e > Organization {
			on = append(on, e)
		}
	}
	return NewDetector(on, []string{"US", "DE", "GB"})
}

// TestIDDetectors: each new pattern-based entity finds its values
// (exactly) and leaves its look-alikes (issue 15, item 1).
func TestIDDetectors(t *testing.T) {
	checkFound(t, allIDs(), []foundCase{
		// date: numeric and month-name forms in en, de, fr, es; with a time
		{"DOB: 03/15/1984.", []string{"date:03/15/1984"}},
		{"born 1984-03-15 in", []string{"date:1984-03-15"}},
		{"geb. 15.03.1984, Berlin", []string{"date:15.03.1984"}},
		{"seen 2024-03-15T14:30:00Z ok", []string{"date:2024-03-15T14:30:00Z"}},
		{"admitted 15/03/24 14:30 by", []string{"date:15/03/24 14:30"}},
		{"on March 15, 2024 and Mar. 3rd", []string{"date:March 15, 2024", "date:Mar. 3rd"}},
		{"Dated this 4th day of March, 2025, by", []string{"date:4th day of March, 2025"}},
		{"on the 2nd day of the trial", nil},
		{"the Q3 2026 report and FY2025 plan", nil},
		{"le 1er mars 2024, el 15 de marzo de 2024", []string{"date:1er mars 2024", "date:15 de marzo de 2024"}},
		{"am 15. März 2024 um 10:15", []string{"date:15. März 2024 um 10:15"}},
		{"since September 2019", []string{"date:September 2019"}},
		{"in 2024, version 1.2.3, 3/4 cup, 12-15 items, 2024-13-45, 32.12.2024", nil},
		{"May we ask? May I.", nil},
		// age
		{"a 47-year-old man, aged 52, Age: 61, 38 y/o, 70yo", []string{"age:47", "age:52", "age:61", "age:38", "age:70"}},
		{"Patientin, 47 Jahre alt; elle a 33 ans; tiene 29 años", []string{"age:47", "age:33", "age:29"}},
		{"47 patients, 3 years later, page 47, 200-year-old oak", nil},
		// postal codes
		{"Springfield, IL 62704-1234, USA", []string{"postal_code:62704-1234"}},
		{"London SW1A 1AA and M1 1AE, Ottawa K1A 0B1", []string{"postal_code:SW1A 1AA", "postal_code:M1 1AE", "postal_code:K1A 0B1"}},
		{"Hauptstraße 5, 10115 Berlin; 12 rue de Rivoli, 75001 Paris", []string{"postal_code:10115", "postal_code:75001"}},
		{"PLZ 80331", []string{"postal_code:80331"}},
		{"we sold 10115 Units, error 50300 Timeout, QA1 1AA, SW1A1AA", nil},
		// url and domain
		{"see https://portal.example.com/patients?id=7 now.", []string{"url:https://portal.example.com/patients?id=7"}},
		{"visit www.example.org, or example.de/kontakt.", []string{"url:www.example.org", "url:example.de/kontakt"}},
		{"our site acme-health.com is up", []string{"domain:acme-health.com"}},
		{"edit config.yaml and main.py, call os.path.join, run Node.js, ASP.NET, e.g. this. Done", nil},
		{"set tools[].function.name, user.id and jane\\u0040example.com, ****@******e.com", nil},
		{"mail jane@example.com", []string{"email:jane@example.com"}},
		{"dsn postgres://app:s3cr3t@db.internal:5432/prod ok", []string{"credential-url:postgres://app:s3cr3t@db.internal:5432/prod"}},
		// context-keyed identifiers
		{"Driver's License: D1234567 (CA)", []string{"us_driver_license:D1234567"}},
		{"Passport No. C03005988, expires", []string{"passport:C03005988"}},
		{"MRN: 00482913; MRN 77-1234-A", []string{"medical_record_number:00482913", "medical_record_number:77-1234-A"}},
		{"Member ID: XWQ123456789", []string{"health_plan_id:XWQ123456789"}},
		{"account number 12345678901", []string{"account_number:12345678901"}},
		{"license plate 7ABC123; Kennzeichen B-AB 1234", []string{"license_plate:7ABC123", "license_plate:B-AB 1234"}},
		{"C03005988 and D1234567 and 00482913 alone", nil},
		// checksums
		{"NPI 1234567893", []string{"npi:1234567893"}},
		{"NPI 1234567890", nil},
		{"DEA AB1234563", []string{"dea_number:AB1234563"}},
		{"DEA AB1234564, ZZ1234563", nil},
		{"VIN 1HGCM82633A004352.", []string{"vin:1HGCM82633A004352"}},
		{"VIN 1HGCM82633A004353 11111111111111111", nil},
		{"IMEI 490154203237518; 49-015420-323751-8", []string{"imei:490154203237518", "imei:49-015420-323751-8"}},
		{"imei 490154203237519", nil},
		{"aa:bb:cc:dd:ee:ff 00-1A-2B-3C-4D-5E 001a.2b3c.4d5e", []string{"mac_address:aa:bb:cc:dd:ee:ff", "mac_address:00-1A-2B-3C-4D-5E", "mac_address:001a.2b3c.4d5e"}},
		{"12:30:45:11 aa:bb:cc:dd:ee", nil},
		{"NHS number 943 476 5919", []string{"uk_nhs_number:943 476 5919"}},
		{"NHS number 9434765918", nil},
		// national IDs
		{"Steuer-ID 86095742719", []string{"de_tax_id:86095742719"}},
		{"Steuer-ID 86095742718, 11111111111", nil},
		{"NIR 1 84 12 76 451 089 46", []string{"fr_nir:1 84 12 76 451 089 46"}},
		{"NIR 1 84 12 76 451 089 47", nil},
		{"DNI 12345678Z, NIE X1234567L", []string{"es_dni:12345678Z", "es_dni:X1234567L"}},
		{"DNI 12345678A", nil},
		{"CF RSSMRA85T10A562S", []string{"it_fiscal_code:RSSMRA85T10A562S"}},
		{"CF RSSMRA85T10A562T", nil},
		{"BSN 111222333", []string{"nl_bsn:111222333"}},
		{"order 111222333", nil},
		{"PESEL 44051401359", []string{"pl_pesel:44051401359"}},
		{"PESEL 44051401358", nil},
		// found while measuring (make pii-eval)
		{"MRN#: 5521093 / DL# S530-4417-2290", []string{"medical_record_number:5521093", "us_driver_license:S530-4417-2290"}},
		{"Die Patientin (54 Jahre) klagt", []string{"age:54"}},
		{"Termin vom 12.03.2024, Version 1.10.64", []string{"date:12.03.2024"}},
		{"Version 3.10.12 vom 12.03.2024, Version 1.10.64", nil}, // a version's date is no person's
		{"Age: 66\nAddress: 104 Washington Avenue, Portland 41252", []string{"age:66", "postal_code:41252"}},
		{"passport CK8507254; ref AB1234563", []string{"passport:CK8507254"}},
		{"card 377950656673689 paid", []string{"credit_card:377950656673689"}},
		{"MRN: 1, Member ID: XWQ123456789", []string{"health_plan_id:XWQ123456789"}},
		{"PESEL 76310259898; Steuer-ID 76310259898", []string{"pl_pesel:76310259898", "de_tax_id:76310259898"}},
	})
}

// TestIDsOnlyWhenOn: a detector finds only the entities it was built for.
func TestIDsOnlyWhenOn(t *testing.T) {
	d := NewDetector([]Entity{Email}, nil)
	checkFound(t, d, []foundCase{{"DOB 03/15/1984, NPI 1234567893, https://x.example.com, jane@example.com", []string{"email:jane@example.com"}}})
	d = NewDetector([]Entity{Phone, Date}, []string{"US"})
	checkFound(t, d, []foundCase{{"on 2024-03-15 call 415-555-2671", []string{"date:2024-03-15", "phone:415-555-2671"}}})
}

// FuzzIDs: with every pattern-based entity on, findings lie inside the
// text, in order, without overlaps, whatever the text.
func FuzzIDs(f *testing.F) {
	for _, s := range []string{"DOB 03/15/1984", "March 15, 2024", "15 de marzo de 2024", "aged 47", "47-year-old", "IL 62704-1234",
		"SW1A 1AA", "https://x.example.com/a(b)", "www.example.org.", "a.b.c.", "MRN: 77-1234-A", "plate B-AB 1234", "NPI 1234567893",
		"AB1234563", "1HGCM82633A004352", "aa:bb:cc:dd:ee:ff", "001a.2b3c.4d5e", "1 84 12 76 451 089 46", "12345678-Z", "RSSMRA85T10A562S",
		"2024-03-15T14:30", "Tel. no. 30 901820 x12", "de89370400440532013000",
		"v2.3 dated 2024-12-01", "born; released 1 May 2025", "> '2020-01-01'", "'2020-01-01", "routing 021000021", "\"1.2 2024-01-01"} {
		f.Add([]byte(s))
	}
	d := allIDs()
	f.Fuzz(func(t *testing.T, text []byte) {
		end := 0
		for _, fd := range d.Find(text, nil) {
			if fd.Start < end || fd.End <= fd.Start || fd.End > len(text) {
				t.Fatalf("finding %+v after %d in %d bytes", fd, end, len(text))
			}
			end = fd.End
		}
	})
}

// TestStreamIDs: a clinical note streamed in pieces of every size comes
// out as the whole note filtered at once: the new entities' values (dates
// of several words, a long URL, context-keyed numbers whose word came in
// an earlier piece) are held whole across pieces.
func TestStreamIDs(t *testing.T) {
	acts := ExpandPII(map[string]Action{"hipaa_safe_harbor": Redact})
	p := NewPolicy(PolicyOptions{Actions: acts, PhoneRegions: []string{"US", "DE"}})
	text := "Summary for the patient seen on March 15, 2024 at 10:30 am, a 47-year-old, DOB 03/15/1977, MRN: 00482913. " +
		"Follow-up at https://portal.example.com/patients/48213/visits?from=2024-03-15&to=2024-04-15 or call 415.555.2671 x12; " +
		"Springfield, IL 62704-1234. Geboren am 15. März 1977 in Berlin, Steuer-ID 86095742719. Device IMEI 490154203237518."
	want := string(p.NewSession().Filter([]byte(text)))
	for _, leaked := range []string{"March 15", "47-", "00482913", "portal.", "2671", "62704", "März", "86095742719", "490154203237518"} {
		if strings.Contains(want, leaked) {
			t.Fatalf("whole: %q left in %s", leaked, want)
		}
	}
	for _, size := range []int{1, 2, 3, 7, 13, 64, 1000} {
		st := p.NewSession().Stream()
		var out strings.Builder
		for i := 0; i < len(text); i += size {
			out.Write(st.Push([]byte(text[i:min(i+size, len(text))])))
		}
		out.Write(st.Flush())
		if out.String() != want {
			t.Errorf("pieces of %d:\n got %s\nwant %s", size, out.String(), want)
		}
	}
}

// TestNamesBesidePatterns: with every entity on, the name model finds
// names, places and streets beside the patterns' values, but not the
// words that introduce those values ("DEA", "NHS", "Age", "Driver's
// License"), lone initials, or slips such as "3/4 cup" and "ASP.NET, e.g.".
func TestNamesBesidePatterns(t *testing.T) {
	var on []Entity
	for e := range numEntities {
		on = append(on, e)
	}
	checkFound(t, NewDetector(on, []string{"US"}), []foundCase{
		{"DEA AB1234563", []string{"dea_number:AB1234563"}},
		{"NHS number 943 476 5919", []string{"uk_nhs_number:943 476 5919"}},
		{"MRN#: 5521093 / DL# S530-4417-2290", []string{"medical_record_number:5521093", "us_driver_license:S530-4417-2290"}},
		{"Driver's License: D1234567", []string{"us_driver_license:D1234567"}},
		{"May we ask? May I.", nil},
		{"a 47-year-old man, Age: 61", []string{"age:47", "age:61"}},
		{"in 2024, version 1.2.3, 3/4 cup, 12-15 items", nil},
		{"run Node.js, ASP.NET, e.g. this. Done", nil},
		{`func main() { fmt.Println("x"); os.Exit(Run()) }`, nil},
		{"Patient Maria Gonzalez, DOB 03/14/1962, lives at 4521 Oak Ridge Drive, Austin.",
			[]string{"person:Maria Gonzalez", "date:03/14/1962", "street_address:4521 Oak Ridge Drive", "location:Austin"}},
	})
}
