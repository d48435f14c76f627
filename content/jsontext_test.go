package content

import (
	"encoding/json"
	"testing"
)

func TestUnescapeJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"to":"jane\u0040example.com"}`, `{"to":"jane@example.com"}`},
		{`{"card":"4111\u00201111\u00201111\u00201111"}`, `{"card":"4111 1111 1111 1111"}`},
		{`{"a":"\ud83d\ude00 \u00e9 http:\/\/x"}`, `{"a":"😀 é http://x"}`},
		{`{"q":"\" \\ \n \u0022 \u005c \u0007"}`, `{"q":"\" \\ \n \u0022 \u005c \u0007"}`}, // meaning-bearing escapes stay
		{`{"s":"\ud83d x \udc00"}`, `{"s":"\ud83d x \udc00"}`},                             // lone surrogates stay
		{`{"e":"\\u0040"}`, `{"e":"\\u0040"}`},                                             // an escaped backslash, then text
	} {
		got := UnescapeJSON([]byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("UnescapeJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
		var a, b any
		if json.Unmarshal([]byte(tt.in), &a) == nil && (json.Unmarshal(got, &b) != nil || !jsonEqual(a, b)) {
			t.Errorf("%s: meaning changed: %v -> %v", tt.in, a, b)
		}
	}
}

// TestJSONTextPieces: escapes cut between pieces are completed.
func TestJSONTextPieces(t *testing.T) {
	in := `{"to":"jane\u0040example.com","e":"\ud83d\ude00\\u0041"}`
	want := string(UnescapeJSON([]byte(in)))
	for n := 1; n <= 13; n++ {
		var j JSONText
		var out []byte
		for rest := in; rest != ""; {
			k := min(n, len(rest))
			out = append(out, j.Unescape([]byte(rest[:k]))...)
			rest = rest[k:]
		}
		out = append(out, j.Flush()...)
		if string(out) != want {
			t.Errorf("%d-byte pieces: %s, want %s", n, out, want)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// FuzzUnescapeJSON: decoding never changes what a JSON text means, and
// pieces give what the whole does.
func FuzzUnescapeJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\u0040"}`, `"\ud83d\ude00"`, `"\\u0041"`, `["\u", "\ud800"]`, `"\/\"\\"`} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, n uint8) {
		whole := UnescapeJSON(in)
		var a, b any
		if json.Unmarshal(in, &a) == nil {
			if err := json.Unmarshal(whole, &b); err != nil || !jsonEqual(a, b) {
				t.Fatalf("%q -> %q: meaning changed (%v)", in, whole, err)
			}
		}
		step := int(n%16) + 1
		var j JSONText
		var out []byte
		for rest := in; len(rest) > 0; {
			k := min(step, len(rest))
			out = append(out, j.Unescape(rest[:k])...)
			rest = rest[k:]
		}
		out = append(out, j.Flush()...)
		if string(out) != string(whole) {
			t.Fatalf("%q in %d-byte pieces: %q, whole %q", in, step, out, whole)
		}
	})
}
