package content

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDetect: findings lie inside the text, in order, without overlaps,
// whatever the text.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"jane@example.com", "4111 1111 1111 1111", "+1 415-555-2671", "DE89 3704 0044 0532 0130 00",
		"fe80::1", "AKIAIOSFODNN7EXAMPLE", "-----BEGIN PRIVATE KEY-----", "postgres://a:b@c", "password=hunter2x!", "@@@..::", "eyJa.eyJb."} {
		f.Add([]byte(s))
	}
	d := all()
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact, Phone: Mask, CreditCard: Hash, USSSN: Redact, IBAN: Redact, IPAddress: Mask, Secret: Redact},
		Deny: []*DenyRule{{Name: "x", Action: Redact, Phrases: []string{"ignore previous", "é"}}}})
	f.Fuzz(func(t *testing.T, text []byte) {
		end := 0
		for _, fd := range d.Find(text, nil) {
			if fd.Start < end || fd.End <= fd.Start || fd.End > len(text) {
				t.Fatalf("finding %+v after %d in %d bytes", fd, end, len(text))
			}
			end = fd.End
		}
		p.NewSession().Apply(text)
		// Filter writes replacements into the stripped text: the result
		// is valid UTF-8 whenever the text was.
		if out := p.NewSession().Filter(text); utf8.Valid(text) && !utf8.Valid(out) {
			t.Fatalf("Filter(%q) = %q: not UTF-8", text, out)
		}
	})
}

// FuzzSanitize: sanitising is idempotent, keeps valid UTF-8 valid and
// leaves no invisible character.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "a\u200bb", "\U000E0041", "ｆｕｌｌ", "\xff\xfe", "e\u0301"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		once, _ := Sanitize(text)
		twice, n := Sanitize(once)
		if !bytes.Equal(once, twice) || n != 0 {
			t.Fatalf("not idempotent: %q -> %q -> %q", text, once, twice)
		}
		if utf8.Valid(text) && !utf8.Valid(once) {
			t.Fatalf("made invalid UTF-8: %q", once)
		}
		for _, r := range string(once) {
			if invisible(r) {
				t.Fatalf("left %U in %q", r, once)
			}
		}
	})
}

// FuzzRewriteStrings: rewriting nothing returns the document itself;
// rewriting every string yields valid JSON with exactly those strings
// changed.
func FuzzRewriteStrings(f *testing.F) {
	for _, s := range []string{`{"a":"b","c":[1,"d",{"e":"f\u00e9\n"}],"g":null}`, `"x"`, `[]`, `{"k\"ey":"v\\"}`, `{"a" : [ "b" , true ] }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) || !utf8.Valid(doc) {
			return
		}
		same, err := RewriteStrings(doc, nil, func(_ Path, s []byte) []byte { return s })
		if err != nil || !bytes.Equal(same, doc) {
			t.Fatalf("identity rewrite: %q %v", same, err)
		}
		out, err := RewriteStrings(doc, nil, func(_ Path, s []byte) []byte { return append([]byte("<"), append(s, '>')...) })
		if err != nil {
			t.Fatal(err)
		}
		decode := func(b []byte, v *any) error {
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			return d.Decode(v)
		}
		var want, got any
		decode(doc, &want)
		if err := decode(out, &got); err != nil {
			t.Fatalf("rewritten %q is not JSON: %v", out, err)
		}
		if !reflect.DeepEqual(wrap(want), got) {
			t.Fatalf("rewrite of %q = %q", doc, out)
		}
	})
}

// wrap is what FuzzRewriteStrings's rewrite does to a decoded value.
func wrap(v any) any {
	switch v := v.(type) {
	case string:
		return "<" + v + ">"
	case []any:
		for i := range v {
			v[i] = wrap(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = wrap(v[k])
		}
	}
	return v
}
