package content

import (
	"strings"
	"testing"
)

// found returns the texts of what d finds in s, as "entity:value".
func found(d *Detector, s string) []string {
	var out []string
	for _, f := range d.Find([]byte(s), nil) {
		out = append(out, f.Rule+":"+s[f.Start:f.End])
	}
	return out
}

// foundCase is a text and what a detector must find in it.
type foundCase struct {
	text string
	want []string
}

func checkFound(t *testing.T, d *Detector, tests []foundCase) {
	t.Helper()
	for _, tt := range tests {
		got := found(d, tt.text)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: found %q, want %q", tt.text, got, tt.want)
		}
	}
}

func all() *Detector {
	return NewDetector([]Entity{Email, Phone, CreditCard, USSSN, IBAN, IPAddress, Secret}, []string{"US", "DE", "GB"})
}

// TestDetectors: for each detector, texts it must find (exactly the value)
// and texts it must leave.
func TestDetectors(t *testing.T) {
	d := all()
	tests := []foundCase{
		// email
		{"mail jane.doe+tag@example.co.uk today", []string{"email:jane.doe+tag@example.co.uk"}},
		{"<a.b@sub.example.org>.", []string{"email:a.b@sub.example.org"}},
		{"an jürgen.müller@firma.de schreiben", []string{"email:jürgen.müller@firma.de"}},
		{"müller@firma.de.", []string{"email:müller@firma.de"}},
		{"escribe a josé@example.com", []string{"email:josé@example.com"}},
		{"jose@münchen.de", []string{"email:jose@münchen.de"}},
		{"почта иван@пример.рф ок", []string{"email:иван@пример.рф"}},
		{"write to jane@example.com.…", []string{"email:jane@example.com"}},
		{"version 1.2@3.4 or @ alone or a@b", nil},
		{"user@localhost and @handle and a@b.c", nil},
		{"name@example.com1", nil},
		{"login user=jane@example.com ip=1", []string{"email:jane@example.com"}},
		{"x@-bad.com", nil},
		// payment cards: Luhn and issuer ranges, separators
		{"card 4111 1111 1111 1111 exp", []string{"credit_card:4111 1111 1111 1111"}},
		{"card 4111-1111-1111-1111", []string{"credit_card:4111-1111-1111-1111"}},
		{"amex 378282246310005", []string{"credit_card:378282246310005"}},
		{"mc 5555555555554444 and 2223003122003222", []string{"credit_card:5555555555554444", "credit_card:2223003122003222"}},
		{"bad luhn 4111 1111 1111 1112", nil},
		{"with its code 4111 1111 1111 1111 123", []string{"credit_card:4111 1111 1111 1111"}},
		{"after a number 12 4111 1111 1111 1111 8", []string{"credit_card:4111 1111 1111 1111"}},
		{"amex and more 3782 822463 10005 99", []string{"credit_card:3782 822463 10005"}},
		{"no card in 1234 5678 9012 3456 7890 1234", nil},
		{"no card in 4111 1111 1111 1112 123", nil},
		{"no issuer 9111111111111115", nil},
		{"mixed 4111-1111 1111-1111", nil},
		{"id A4111111111111111", nil},
		// US SSN: area, group and serial rules
		{"ssn 078-05-1120.", []string{"us_ssn:078-05-1120"}},
		{"SSN: 123456789", []string{"us_ssn:123456789"}},
		{"000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000", nil},
		{"zip 123456789", nil},
		// IBAN: country length and mod 97
		{"IBAN DE89 3704 0044 0532 0130 00 ok", []string{"iban:DE89 3704 0044 0532 0130 00"}},
		{"GB82WEST12345698765432", []string{"iban:GB82WEST12345698765432"}},
		{"DE89 3704 0044 0532 0130 01", nil}, // wrong check
		{"DE8937040044053201300", nil},       // short
		{"XX89370400440532013000", nil},      // no such country
		// IP addresses
		{"host 192.168.1.20, then", []string{"ip_address:192.168.1.20"}},
		{"v6 2001:db8::8a2e:370:7334 and fe80::1.", []string{"ip_address:2001:db8::8a2e:370:7334", "ip_address:fe80::1"}},
		{"version 1.2.3 or 1.2.3.4.5 or 999.1.1.1 at 12:30:45", nil},
		// phone numbers: international, formatted national, context
		{"call +1 415-555-2671 now", []string{"phone:+1 415-555-2671"}},
		{"Tel. +49 30 901820", []string{"phone:+49 30 901820"}},
		{"ring (415) 555-2671", []string{"phone:(415) 555-2671"}},
		{"phone: 4155552671", []string{"phone:4155552671"}},
		{"order 4155552671 shipped", nil},
		{"order #415-555-2671", nil},
		{"ref 4155552671", nil},
		{"+1 555-0100-9", nil},
		{"the year 2026 and 12345", nil},
	}
	checkFound(t, d, tests)
}

// TestSecrets: each rule finds its credential (exactly), and leaves
// look-alikes.
func TestSecrets(t *testing.T) {
	d := NewDetector([]Entity{Secret}, nil)
	tests := []foundCase{
		{"key AKIAIOSFODNN7EXAMPLE here", []string{"aws-access-key-id:AKIAIOSFODNN7EXAMPLE"}},
		{"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", []string{"aws-secret-access-key:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		{"token ghp_0123456789abcdefghijklmnopqrstuvwxyz", []string{"github-token:ghp_0123456789abcdefghijklmnopqrstuvwxyz"}},
		{"glpat-abcdefghij0123456789", []string{"gitlab-token:glpat-abcdefghij0123456789"}},
		{"xoxb-1234567890-abcdefghij", []string{"slack-token:xoxb-1234567890-abcdefghij"}},
		{"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", []string{"slack-webhook:https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"}},
		{"OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx", []string{"openai-api-key:sk-proj-abcdefghijklmnopqrstuvwx"}},
		{"sk_live_abcdefghijklmnop1234", []string{"stripe-secret-key:sk_live_abcdefghijklmnop1234"}},
		{"AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", []string{"google-api-key:AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"}},
		{"bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
			[]string{"jwt:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}},
		{"alg none eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9. done", []string{"jwt:eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."}},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter", []string{"private-key:-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"}},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk", []string{"private-key:-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk"}},
		{"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----", []string{"private-key:-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----"}},
		{"-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----", nil},
		{"dsn postgres://app:s3cr3t@db.internal:5432/prod?sslmode=require.", []string{"credential-url:postgres://app:s3cr3t@db.internal:5432/prod?sslmode=require"}},
		{`{"db_password": "Tr0ub4dor&3x"}`, []string{"generic-credential:Tr0ub4dor&3x"}},
		{"AccountKey=" + strings.Repeat("A", 86) + "==;", []string{"azure-storage-key:" + strings.Repeat("A", 86) + "=="}},
		{"wdn_abcdefghijklmnopqrstuvwx0123", []string{"warden-api-key:wdn_abcdefghijklmnopqrstuvwx0123"}},
		// look-alikes
		{"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----", nil},
		{"https://example.com/path and ftp://host/x and mailto:a@b.c", nil},
		{"password: required, password=${DB_PASSWORD}, password: <your-password>", nil},
		{"task-abcdefghijklmnopqrstuvwxyz and risk-free", nil},
		{"AKIAshort and ghp_tooShort and eyJhbGciOiJIUzI1NiJ9", nil},
		{"the secret: is out", nil},
	}
	checkFound(t, d, tests)
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, want string
		removed  int
	}{
		{"plain ascii", "plain ascii", 0},
		{"ign\u200bore prev\u200dious", "ignore previous", 2},
		{"a\U000E0041\U000E0042b", "ab", 2},      // tag characters smuggle ASCII
		{"\u202Eevil\u202C", "evil", 2},          // bidi override
		{"ｆｕｌｌ width ﬁ ①", "full width fi 1", 0}, // NFKC
		{"jane\u00AD@exam\u2060ple.com", "jane@example.com", 2},
		// Bytes that are not UTF-8 become U+FFFD, so removing a tag between
		// them cannot join them into a new tag (F3 + tag + A0 81 81).
		{"\xf3\U000E0041\xa0\x81\x81", "\ufffd\ufffd\ufffd\ufffd", 5},
		{"ok\xff", "ok\ufffd", 1},
		{"41\U0001BCA011\U0001D1731111\U00013430", "41111111", 3}, // rarer format controls
		// Joiners between characters that normalise to ASCII go: they would
		// split the value detectors read (a full-width card, an address).
		{"４\u200d１\u200d１\u200d１", "4111", 3},
		{"ｊａｎｅ\u200c＠ｅｘａｍｐｌｅ．ｃｏｍ", "jane@example.com", 1},
		// ... and stay where scripts need them.
		{"\U0001F469\u200d\U0001F4BB", "\U0001F469\u200d\U0001F4BB", 0},
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", 0},
	}
	for _, tt := range tests {
		got, n := Sanitize([]byte(tt.in))
		if string(got) != tt.want || n != tt.removed {
			t.Errorf("Sanitize(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.removed)
		}
	}
	in := []byte("all ascii")
	if out, _ := Sanitize(in); &out[0] != &in[0] {
		t.Error("ASCII text was copied")
	}
}

func TestSanitizeKeepsNormalText(t *testing.T) {
	in := []byte("Grüße, 東京")
	if out, n := Sanitize(in); n != 0 || &out[0] != &in[0] {
		t.Fatalf("normal text was copied: %q %d", out, n)
	}
}

// TestFilterKeepsForms: replacements go into the text as it came, not into
// its normal form: a full-width quote stays one (it would otherwise end a
// JSON string in a tool call's arguments), and so does the rest, while a
// value written in full-width or ligature forms is still found and
// replaced whole.
func TestFilterKeepsForms(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, CreditCard: Mask}})
	for _, tt := range []struct{ in, want string }{
		{`Hi jane@example.com x＂,＂admin＂:true,＂y＂:＂`, `Hi [EMAIL_1] x＂,＂admin＂:true,＂y＂:＂`},
		{"ﬁle ２ H₂O jane@example.com", "ﬁle ２ H₂O [EMAIL_1]"},
		{"mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ now", "mail [EMAIL_1] now"},
		{"card ４１１１ １１１１ １１１１ １１１１ ＂end", "card **** **** **** 1111 ＂end"},
		{"x \u200bjane@exa\u200bmple.com", "x [EMAIL_1]"},
	} {
		if got := string(p.NewSession().Filter([]byte(tt.in))); got != tt.want {
			t.Errorf("Filter(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestDenyPhraseSpacing: a phrase matches however its words are spaced
// (runs of spaces, tabs, line breaks; a no-break space once normalised),
// as whole words, and still not glued to other words.
func TestDenyPhraseSpacing(t *testing.T) {
	p := NewPolicy(PolicyOptions{Deny: []*DenyRule{{Name: "weights", Action: Redact, Phrases: []string{"dump  the weights"}}}})
	for in, want := range map[string]string{
		"please dump the weights now":     "please [DENIED:weights] now",
		"please Dump  the\n\tweights now": "please [DENIED:weights] now",
		"please dump\u00a0the weights":    "please [DENIED:weights]",
		"dumpthe weights":                 "dumpthe weights",
		"please redump the weights":       "please redump the weights",
		"dump the weightsmith":            "dump the weightsmith",
		"  dump \r\n the   weights  ":     "  [DENIED:weights]  ",
	} {
		if got := string(p.NewSession().Filter([]byte(in))); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestDetectorMisses: values the detectors used to miss (issue 15, item
// 4), and the look-alikes they must still leave.
func TestDetectorMisses(t *testing.T) {
	d := all()
	checkFound(t, d, []foundCase{
		// 12-digit Maestro, written as a card or named one
		{"maestro 675900000018 ok", []string{"credit_card:675900000018"}},
		{"pay with 6759 0000 0018", []string{"credit_card:6759 0000 0018"}},
		{"order 675900000018", nil},
		{"card 501234567895", nil}, // Luhn fails
		// JCB's 15-digit 1800 and 2131 ranges
		{"jcb 180000000000002 and 213100000000001", []string{"credit_card:180000000000002", "credit_card:213100000000001"}},
		{"jcb 180000000000003", nil},
		// lower-case IBANs
		{"iban de89 3704 0044 0532 0130 00 ok", []string{"iban:de89 3704 0044 0532 0130 00"}},
		{"to gb82west12345698765432.", []string{"iban:gb82west12345698765432"}},
		{"de89370400440532013001 and De89370400440532013000", nil},
		// phones: dots, extensions, international prefixes, context words
		{"call 415.555.2671 today", []string{"phone:415.555.2671"}},
		{"Fax 415.555.2671", []string{"phone:415.555.2671"}},
		{"tél 01.42.68.53.00", nil}, // FR is not a configured region
		{"call 415-555-2671 x4587 or 415-555-2671x12", []string{"phone:415-555-2671 x4587", "phone:415-555-2671x12"}},
		{"+1 415-555-2671 ext. 12.", []string{"phone:+1 415-555-2671 ext. 12"}},
		{"(415) 555-2671, ext 9", []string{"phone:(415) 555-2671, ext 9"}},
		{"from abroad 001-415-555-2671", []string{"phone:001-415-555-2671"}},
		{"Büro 0049 30 901820", []string{"phone:0049 30 901820"}},
		{"dial 011 44 20 7946 0958", []string{"phone:011 44 20 7946 0958"}},
		{"Desk: 020 7946 0958", []string{"phone:020 7946 0958"}},
		{"Tel. 30 901820", []string{"phone:30 901820"}},
		{"Phone #: 415-555-2671", []string{"phone:415-555-2671"}},
		{"Tel. no. 4155552671", []string{"phone:4155552671"}},
		// not phones: order numbers, versions, dates, prices
		{"order 415.555.2671", nil},
		{"Invoice #415-555-2671", nil},
		{"ticket 001-415-555-2671", nil},
		{"version 1.22.333.4444 or 10.2.3", nil},
		{"on 12.03.2024 and 2024.03.12", nil},
		{"costs 1.234.567 EUR or 1 234 567", nil},
		{"the 30 901820 readers", nil},
		{"see 415-555-2671xyz", nil},
	})
	es := NewDetector([]Entity{Phone}, []string{"ES", "DE"})
	checkFound(t, es, []foundCase{
		{"llámeme al 655 123 456", []string{"phone:655 123 456"}},
		{"El pedido 2024-88213 cuesta; Rechnung 2024-0042", nil},
	})
}

// everything is a detector of every entity, the name model's included.
func everything() *Detector {
	var on []Entity
	for e := range numEntities {
		on = append(on, e)
	}
	return NewDetector(on, []string{"US", "DE", "GB", "FR", "ES"})
}

// TestNamesInContext: what the name model finds is checked against the
// text around it (content/detect.go). Each text must yield the findings in
// want (among others) and none in not.
func TestNamesInContext(t *testing.T) {
	d := everything()
	for _, tt := range []struct {
		text      string
		want, not []string
	}{
		// lower-case names after an introduction; not common words
		{"hey i'm mark jones, locked out again", []string{"person:mark jones"}, nil},
		{"thx emily! works now", []string{"person:emily"}, nil},
		{"// TODO(kevin): drop this after the migration", []string{"person:kevin"}, nil},
		{"hi all, thanks team, i'm sure it works and this is may data", nil, []string{"person:all", "person:team", "person:sure", "person:may"}},
		// one-word and Romance streets, with their number
		{"Lieferadresse: Lindenallee 27, 50968 Köln", []string{"street_address:Lindenallee 27", "postal_code:50968"}, nil},
		{"We wonen aan de Kastanjelaan 14 in Eindhoven.", []string{"street_address:Kastanjelaan 14"}, nil},
		{"Spedire a Via Mazzini 22, 40121 Bologna", []string{"street_address:Via Mazzini 22", "postal_code:40121"}, nil},
		{"Abholung in der Münchner Straße 7 ab Montag", []string{"street_address:Münchner Straße 7"}, nil},
		// a US state's code after a city
		{"She moved to Tulsa OK last spring.", []string{"location:OK"}, nil},
		// ages beside a name
		{"Ramon Ortiz, 52, of Tucson was charged on Monday.", []string{"age:52"}, nil},
		{"Release 2.0 (12) fixes the crash.", nil, []string{"age:12"}},
		// a log line's timestamp is not a person's date; a visit's is
		{"2024-07-01 09:15:02 WARN disk full on /var", nil, []string{"date:2024-07-01 09:15:02"}},
		{"[2024-07-01 09:15:02] job 12 done", nil, []string{"date:2024-07-01 09:15:02"}},
		{"Jul 9 10:22:01 web1 cron[12]: job done", nil, []string{"date:Jul 9"}},
		{"Seen on 2024-07-01 09:15 by the nurse.", []string{"date:2024-07-01 09:15"}, nil},
		// a release's, a version's, a price list's or a query's date is no
		// person's; a person's word in the same sentence keeps it
		{"Released on 15 May 2025, version 4.2 adds uploads.", nil, []string{"date:15 May 2025"}},
		{"Loan agreement v2.3 dated 2024-12-01 applies; borrower Ethan Cole signed on January 9, 2025.", []string{"date:January 9, 2025"}, []string{"date:2024-12-01"}},
		{"Die AVB (Stand: 01.01.2024) gelten.", nil, []string{"date:01.01.2024"}},
		{"le formulaire (mis à jour le 1er janvier 2024)", nil, []string{"date:1er janvier 2024"}},
		{"SELECT * FROM staff WHERE hire_date > '2020-01-01'", nil, []string{"date:2020-01-01"}},
		{"Patient born 03/15/1984, updated record.", []string{"date:03/15/1984"}, nil},
		{"Version 2 of the form: applicant born 4 May 1990 in Lyon.", []string{"date:4 May 1990"}, nil},
		// acronyms and grouped numbers are no names or streets
		{"Export the report as PDF or CSV, then mail it.", nil, []string{"person:PDF", "person:CSV"}},
		{"Revenue was 3,250,000 USD last year.", nil, []string{"street_address:3,250,000 USD"}},
		// a checksum-backed value inside a model span wins
		{"Codice fiscale RSSMRA85T10A562S; BSN 123456782.", []string{"it_fiscal_code:RSSMRA85T10A562S", "nl_bsn:123456782"}, nil},
		// a word and a number are a street only with a street's word;
		// a month or weekday before a number is no name
		{"Fill in Form 1040 and Schedule 2, see Section 4.2.", nil, []string{"street_address:Form 1040", "street_address:Section 4.2"}},
		{"Deliver to Hauptmarkt 5 in Nürnberg.", []string{"street_address:Hauptmarkt 5"}, nil},
		{"Mar 14 08:22:21 gw01 sshd: session opened", nil, []string{"person:Mar", "location:Mar"}},
		// an identifier is no name, and no name ends in a lower-case word
		{"pay with CARD-ALPHA-9 now", nil, []string{"organization:CARD-ALPHA-9 now", "organization:CARD-ALPHA-9"}},
		// code: a type and its member
		{`err at Billing.Charge() in Ledger.Post`, nil, []string{"organization:Billing", "person:Billing", "organization:Ledger", "person:Ledger"}},
		// a form's field name is no name
		{"Betreuer: Jonas Keller\nAbteilung: Einkauf\nStatus: offen", nil, []string{"person:Abteilung", "organization:Abteilung", "location:Abteilung", "person:Status", "organization:Status"}},
		// a sentence's first word that only the lists' long tails know, a
		// German noun by its ending, a particle before a lower-case word
		{"Just confirming our call. Loan agreements are attached.", nil, []string{"person:Just", "person:Loan"}},
		{"Julia Schneider\nPersonalabteilung\nKontoinhaber Markus Lehmann", []string{"person:Markus Lehmann"}, []string{"organization:Personalabteilung", "organization:Kontoinhaber"}},
		{"The Board approved the Budget for the next Fiscal Year, due in two Business Days.", nil, []string{"organization:Fiscal Year", "organization:Business Days"}},
		{"Ann Lee opened one of the Easy Saver accounts.", []string{"person:Ann Lee"}, []string{"person:Easy Saver"}},
		{"Closing with First Harbor Bank at the Hotel Alfonso XIII near Round Rock.", []string{"organization:First Harbor Bank", "location:Round Rock"}, nil},
		{"Date: Mon, Feb 3, 2025. Mon adresse : 12 rue de la Paix", nil, []string{"location:Mon", "person:Mon"}},
		{"Die Rechnung enthält die Positionen Beratung und Wartung.", nil, []string{"organization:Positionen Beratung"}},
		{`{"content": "Summarise the attached contract"}`, nil, []string{"organization:Summarise", "person:Summarise"}},
		{"Direct deposit: routing 021000021, account no 4839201746.", []string{"account_number:4839201746"}, []string{"account_number:021000021", "phone:021000021"}},
		{"Claim #CLM-2291 filed; last seen heading north on Route 9; élève de 4e B. Lives at 418 Birchwood Court.", []string{"street_address:418 Birchwood Court"}, []string{"street_address:Claim", "street_address:Route 9", "street_address:4e B"}},
		{"Ms. Nakamura, 29, presents today; her daughter Ngozi called.", []string{"person:Nakamura", "age:29", "person:Ngozi"}, []string{"location:Nakamura", "location:Ngozi"}},
		{"We toured Lyon, Paris and Rome; floods hit Cornwall and Devon.", []string{"location:Paris", "location:Devon"}, []string{"person:Paris", "person:Devon"}},
		{"Direct debit to Thames Water; Lucy Farrow called.", []string{"organization:Thames Water", "person:Lucy Farrow"}, []string{"person:Thames Water"}},
		{"Nombre: Diego Ruiz\nFecha de nacimiento: 1963-02-03", []string{"person:Diego Ruiz"}, []string{"organization:Fecha de", "organization:Fecha"}},
		// a form's column gap ends a value
		{"NAME: ANNA WEBER    ROOM: 12B", []string{"person:ANNA WEBER"}, []string{"person:ANNA WEBER    ROOM"}},
	} {
		got := found(d, tt.text)
		have := map[string]bool{}
		for _, g := range got {
			have[g] = true
		}
		for _, w := range tt.want {
			if !have[w] {
				t.Errorf("%q: found %q, want %q among them", tt.text, got, w)
			}
		}
		for _, n := range tt.not {
			if have[n] {
				t.Errorf("%q: found %q, want no %q", tt.text, got, n)
			}
		}
	}
}

// TestNameHelpers: the text rules around the name model on their own.
func TestNameHelpers(t *testing.T) {
	for _, tt := range []struct {
		text string
		i, e int
		want bool
	}{
		{"2024-07-01T09:15:02Z INFO x", 0, 20, true},
		{"x\n[2024-07-01 09:15:02] y", 3, 22, true},
		{"Jul 9 10:22:01 host", 0, 5, true},
		{"on 2024-07-01 09:15", 3, 19, false},     // not at a line's start
		{"2024-07-01 was a Monday", 0, 10, false}, // no time of day
	} {
		if got := logStamp([]byte(tt.text), tt.i, tt.e); got != tt.want {
			t.Errorf("logStamp(%q, %d, %d) = %v", tt.text, tt.i, tt.e, got)
		}
	}
	for _, tt := range []struct {
		text string
		e    int
		want int
	}{
		{"Kerkstraat 8, Utrecht", 10, 12},
		{"Königsallee 92a.", 12, 16}, // "ö" is two bytes
		{"Weg 1.5 km", 3, 0},         // a distance
		{"Platz 12345", 5, 0},        // five digits: no house number
		{"Laan 3B", 4, 0},            // a capital after the number
	} {
		if got := houseNumber([]byte(tt.text), tt.e); got != tt.want {
			t.Errorf("houseNumber(%q, %d) = %d, want %d", tt.text, tt.e, got, tt.want)
		}
	}
	for _, tt := range []struct {
		text string
		i    int
		want int
		ok   bool
	}{
		{"Dorpsstraat 5, 8011 AB Zwolle", 23, 15, true},
		{"Am Markt 3, 28195 Bremen", 18, 12, true},
		{"1000 Bruxelles", 5, 0, true},
		{"in 2019 Paris was", 8, 0, false}, // no comma or line start before it
	} {
		got, ok := codeBefore([]byte(tt.text), tt.i)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("codeBefore(%q, %d) = %d, %v", tt.text, tt.i, got, ok)
		}
	}
}

// FuzzNames: with every entity on (the name model and the rules around
// it), findings lie inside the text, in order, without overlaps.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"hey i'm mark jones", "Lindenallee 27, 50968 Köln", "Via Mazzini 22, 40121 Bologna", "Ramon Ortiz, 52,",
		"Noah (7)", "2024-07-01 09:15:02 WARN", "[Jul 9 10:22:01", "NAME: ANNA WEBER    ROOM", "1016 GV Amsterdam", "Bengaluru 560001",
		"Münchner Straße 7", "TODO(kevin)", "Mr. Okafor", "3,250,000 USD", "RSSMRA85T10A562S; BSN", "der Stecker", "\n1 A",
		"the next Fiscal Year", "Hotel Alfonso XIII", "\"Summarise", "Mon, Feb 3", "Fecha de nacimiento", "Route 9", "4e B", "die Positionen Beratung"} {
		f.Add([]byte(s))
	}
	d := everything()
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
