package content

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// pseudoPolicy pseudonymizes addresses and phone numbers.
var pseudoPolicy = NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Pseudonymize, Phone: Pseudonymize, CreditCard: Redact}})

// TestPseudonymizeSession: the same value gets the same placeholder within
// a session, the mapping restores exactly the originals, and the count says
// "pseudonymize", never a value.
func TestPseudonymizeSession(t *testing.T) {
	s := pseudoPolicy.NewSession()
	in := "Write to jane.doe@example.com, cc bob@example.org, again jane.doe@example.com; card 4111 1111 1111 1111."
	out := string(s.Filter([]byte(in)))
	want := "Write to [EMAIL_1], cc [EMAIL_2], again [EMAIL_1]; card [CREDIT_CARD_1]."
	if out != want {
		t.Fatalf("filtered: %q, want %q", out, want)
	}
	ps := s.Pseudonyms()
	if ps.Len() != 2 {
		t.Fatalf("%d pseudonyms, want 2", ps.Len())
	}
	got := string(ps.Restore([]byte("Replied to [EMAIL_2] and [EMAIL_1]. [CREDIT_CARD_1]"), false))
	if got != "Replied to bob@example.org and jane.doe@example.com. [CREDIT_CARD_1]" {
		t.Fatalf("restored: %q", got)
	}
	var c Count
	for _, x := range s.Counts() {
		if x.Entity == "email" {
			c = x
		}
	}
	if c.Action != "pseudonymize" || c.N != 3 {
		t.Fatalf("counts: %+v", s.Counts())
	}
	// Nothing prints or serialises a value.
	for _, shown := range []string{fmt.Sprint(ps), fmt.Sprintf("%+v", ps), fmt.Sprintf("%#v", ps)} {
		if strings.Contains(shown, "example") {
			t.Fatalf("pseudonyms printed their values: %s", shown)
		}
	}
	if b, err := json.Marshal(map[string]any{"p": ps}); err == nil {
		t.Fatalf("pseudonyms serialised: %s", b)
	}
}

// TestPseudonymizeUnknownPlaceholders: only placeholders the session
// minted are restored: invented numbers, other cases, other entities and
// near misses stay as written.
func TestPseudonymizeUnknownPlaceholders(t *testing.T) {
	s := pseudoPolicy.NewSession()
	s.Filter([]byte("mail jane.doe@example.com"))
	ps := s.Pseudonyms()
	for _, text := range []string{"[EMAIL_7]", "[email_1]", "[PHONE_1]", "[EMAIL_1", "EMAIL_1]", "[ EMAIL_1]", "[EMAIL_10]", "[[EMAIL_1", "[EMAIL_1 ]"} {
		if got := string(ps.Restore([]byte(text), false)); got != text {
			t.Errorf("Restore(%q) = %q", text, got)
		}
	}
	if got := string(ps.Restore([]byte("[[EMAIL_1]]"), false)); got != "[jane.doe@example.com]" {
		t.Errorf("nested: %q", got)
	}
}

// TestPseudonymizeReserved: a placeholder the client's text holds literally
// is never minted, so restoring never turns the client's own "[EMAIL_1]"
// into another value; it reaches the model and comes back as written.
func TestPseudonymizeReserved(t *testing.T) {
	s := pseudoPolicy.NewSession()
	in := []byte("Template uses [EMAIL_1] and [email_2]; the real one is jane.doe@example.com")
	s.Reserve(in)
	out := string(s.Filter(in))
	if out != "Template uses [EMAIL_1] and [email_2]; the real one is [EMAIL_3]" {
		t.Fatalf("filtered: %q", out)
	}
	got := string(s.Pseudonyms().Restore([]byte("[EMAIL_1] [email_2] [EMAIL_2] [EMAIL_3]"), false))
	if got != "[EMAIL_1] [email_2] [EMAIL_2] jane.doe@example.com" {
		t.Fatalf("restored: %q", got)
	}
}

// testPseudonyms builds a mapping directly, values with JSON's special
// characters among them.
func testPseudonyms() *Pseudonyms {
	return NewPseudonyms(map[string]string{"[PERSON_1]": `Jane "JJ" O'Brien`, "[PERSON_2]": "Bob\\Smith\n\tJr",
		"[EMAIL_1]": "jane@example.com", "[STREET_ADDRESS_12]": "12 Rue de l’Église"})
}

// TestPseudonymizeJSONText: restored into JSON text (a tool call's
// arguments), values are escaped for the inside of a string, and the
// arguments stay valid JSON meaning the values.
func TestPseudonymizeJSONText(t *testing.T) {
	ps := testPseudonyms()
	args := `{"patient":"[PERSON_1]","alias":"[PERSON_2]","to":"[EMAIL_1]","addr":"[STREET_ADDRESS_12]"}`
	out := ps.Restore([]byte(args), true)
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("restored arguments are not JSON: %s: %v", out, err)
	}
	if v["patient"] != `Jane "JJ" O'Brien` || v["alias"] != "Bob\\Smith\n\tJr" || v["to"] != "jane@example.com" || v["addr"] != "12 Rue de l’Église" {
		t.Fatalf("restored: %v", v)
	}
	if got := string(ps.Restore([]byte("[PERSON_1]"), false)); got != `Jane "JJ" O'Brien` {
		t.Fatalf("plain text restored escaped: %q", got)
	}
}

// TestPseudonymizeFilterJSON: a value found in JSON text (its escapes
// kept as written) is remembered as the text it encodes.
func TestPseudonymizeFilterJSON(t *testing.T) {
	s := pseudoPolicy.NewSession()
	out := s.FilterJSON([]byte(`{"to":"jane.doe@example.com"}`))
	if string(out) != `{"to":"[EMAIL_1]"}` {
		t.Fatalf("filtered: %s", out)
	}
	if got := string(s.Pseudonyms().Restore([]byte("[EMAIL_1]"), false)); got != "jane.doe@example.com" {
		t.Fatalf("restored: %q", got)
	}
}

// TestRestoreTextEverySplit: a text cut into three pieces at every pair
// of places comes out as Restore of the whole, placeholders split across
// pieces included, in JSON mode too; and what is held back is only ever
// a possible start of a minted placeholder.
func TestRestoreTextEverySplit(t *testing.T) {
	ps := testPseudonyms()
	text := "Dear [PERSON_1], we wrote to [EMAIL_1] at [STREET_ADDRESS_12]; [PERSON_7] and [PERS [x] [PERSON_2]. [["
	for _, jsonText := range []bool{false, true} {
		want := string(ps.Restore([]byte(text), jsonText))
		for i := 0; i <= len(text); i++ {
			for j := i; j <= len(text); j++ {
				r := ps.Stream(jsonText)
				var got []byte
				for _, piece := range []string{text[:i], text[i:j], text[j:]} {
					got = append(got, r.Push([]byte(piece))...)
					checkHeld(t, ps, r)
				}
				got = append(got, r.Flush()...)
				if string(got) != want {
					t.Fatalf("json %v, cut %d,%d: %q, want %q", jsonText, i, j, got, want)
				}
			}
		}
	}
}

// checkHeld: what r holds could still become a minted placeholder.
func checkHeld(t *testing.T, ps *Pseudonyms, r *RestoreText) {
	t.Helper()
	if r.Held() == 0 {
		return
	}
	if r.Held() >= ps.longest || r.pending[0] != '[' || !ps.partial(r.pending) {
		t.Fatalf("held %q", r.pending)
	}
}

// TestRestoreTextFirstByte: text with no '[' is released at once (no
// added time to first byte), and a bracket that cannot start a minted
// placeholder is not held either.
func TestRestoreTextFirstByte(t *testing.T) {
	r := testPseudonyms().Stream(false)
	for _, piece := range []string{"Hello", " [note]", " [x", " [PERSON_"} {
		out := r.Push([]byte(piece))
		if piece == " [PERSON_" {
			if string(out) != " " || r.Held() != len("[PERSON_") {
				t.Fatalf("partial placeholder: out %q held %d", out, r.Held())
			}
			continue
		}
		if string(out) != piece {
			t.Fatalf("Push(%q) released %q", piece, out)
		}
	}
	if got := string(r.Push([]byte("1] ok"))); got != `Jane "JJ" O'Brien ok` {
		t.Fatalf("completed: %q", got)
	}
}

// FuzzRestoreStream: whatever the text and however it is cut, the stream
// releases exactly what Restore gives the whole, and holds back only a
// possible start of a placeholder.
func FuzzRestoreStream(f *testing.F) {
	f.Add("Dear [PERSON_1], at [STREET_ADDRESS_12] [PERS", uint8(3), uint8(9), false)
	f.Add(`{"a":"[PERSON_2]","b":"[EMAIL_1]"}`, uint8(7), uint8(1), true)
	f.Add("[[[[PERSON_1]]]]", uint8(1), uint8(1), false)
	f.Fuzz(func(t *testing.T, text string, step, jump uint8, jsonText bool) {
		ps := testPseudonyms()
		want := ps.Restore([]byte(text), jsonText)
		r := ps.Stream(jsonText)
		var got []byte
		size := int(step%16) + 1
		for i := 0; i < len(text); {
			n := min(len(text)-i, size)
			got = append(got, r.Push([]byte(text[i:i+n]))...)
			checkHeld(t, ps, r)
			i += n
			size = (size+int(jump))%16 + 1
		}
		got = append(got, r.Flush()...)
		if !bytes.Equal(got, want) {
			t.Fatalf("streamed %q, whole %q", got, want)
		}
	})
}

// TestPseudonymizeResponseSession: a response session given the request's
// pseudonyms numbers its own placeholders past them, and no rule of it
// rewrites them, so restoring (last) gives the client exactly its values.
func TestPseudonymizeResponseSession(t *testing.T) {
	req := pseudoPolicy.NewSession()
	req.Filter([]byte("call 415-555-2671"))
	resp := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Phone: Redact},
		Deny: []*DenyRule{{Name: "word", Action: Redact, Pattern: regexp.MustCompile(`PHONE`)}}}).NewSession()
	resp.ReservePseudonyms(req.Pseudonyms())
	out := resp.Filter([]byte("We called [PHONE_1]; the clinic is 212-555-0199, PHONE book"))
	if string(out) != "We called [PHONE_1]; the clinic is [PHONE_2], [DENIED:word] book" {
		t.Fatalf("response filtered: %q", out)
	}
	if got := string(req.Pseudonyms().Restore(out, false)); got != "We called 415-555-2671; the clinic is [PHONE_2], [DENIED:word] book" {
		t.Fatalf("restored: %q", got)
	}
}

// BenchmarkRestoreStream: the restorer over a streamed answer in pieces
// of 8 bytes, a placeholder every few dozen bytes.
func BenchmarkRestoreStream(b *testing.B) {
	ps := testPseudonyms()
	text := []byte(strings.Repeat("The patient [PERSON_1] was seen on [DATE_1] at home; ", 200))
	ps.add("[DATE_1]", []byte("03/15/1984"))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r := ps.Stream(false)
		for i := 0; i < len(text); i += 8 {
			r.Push(text[i:min(i+8, len(text))])
		}
		r.Flush()
	}
}
