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

// TestStreamTextUnicode: full-width digits, a phrase split by zero-width
// spaces, CJK text without spaces and compact JSON: values are held whole,
// the text flows, and it comes out as it would whole.
func TestStreamTextUnicode(t *testing.T) {
	p := NewPolicy(PolicyOptions{Actions: map[Entity]Action{CreditCard: Redact, Email: Redact},
		Deny: []*DenyRule{{Name: "code", Action: Block, Phrases: []string{"Project Nightingale"}}}})
	card := strings.Repeat("word ", 20) + "card \uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 " + strings.Repeat("tail ", 20)
	phrase := strings.Repeat("word ", 20) + "Project " + strings.Repeat("\u200b", 30) + "Nightingale " + strings.Repeat("tail ", 30)
	cjk := strings.Repeat("这是一个很长的中文句子，没有空格。", 30) + "邮箱jane@example.com谢谢" + strings.Repeat("更多文字。", 30)
	compact := strings.Repeat(`{"k":"v","n":12345},`, 200) + `{"mail":"jane@example.com"}`
	for _, size := range []int{1, 2, 3, 5, 17, 64} {
		for _, text := range []string{card, phrase, cjk, compact} {
			s := p.NewSession()
			st := s.Stream()
			var out strings.Builder
			first := -1
			for i := 0; i < len(text); i += size {
				if got := st.Push([]byte(text[i:min(i+size, len(text))])); len(got) > 0 && first < 0 {
					first = i
				}
			}
			out.Write(st.Flush())
			o := out.String()
			if strings.Contains(o, "4111 1111 1111 1111") || strings.Contains(o, "Nightingale") || strings.Contains(o, "jane@") {
				t.Fatalf("pieces of %d: released %q", size, o)
			}
			if text == phrase && s.Blocked() != "deny.code" {
				t.Fatalf("pieces of %d: the phrase did not block", size)
			}
			if text != phrase && (first < 0 || first > 1024) {
				t.Errorf("pieces of %d: the first text came out after %d bytes", size, first)
			}
		}
	}
}

// TestStreamTextLinear: a long text without a place to cut is released
// anyway past maxHeld, and pushing it piece by piece stays linear.
func TestStreamTextLinear(t *testing.T) {
	st := NewPolicy(PolicyOptions{Actions: map[Entity]Action{Email: Redact}}).NewSession().Stream()
	blob := strings.Repeat("QUFBQUFB", 40000) // 320 KB of base64
	n := 0
	for i := 0; i < len(blob); i += 4 {
		n += len(st.Push([]byte(blob[i : i+4])))
	}
	n += len(st.Flush())
	if n != len(blob) || st.Held() != 0 {
		t.Fatalf("released %d of %d", n, len(blob))
	}
}

// TestStreamKeepsContext: a value that needs the words before it to be
// recognised (a bare phone number after "call me at", nine digits after
// "SSN is", a secret after "password =") is caught however the stream is
// cut, although those words were released in an earlier piece.
func TestStreamKeepsContext(t *testing.T) {
	all := map[Entity]Action{Phone: Redact, USSSN: Redact, Secret: Redact}
	tail := " Let me know if there is anything else I can help you with today, thanks."
	for _, s := range []string{
		"Sure. You can call me at 4155552671." + tail,
		"Sure. The customer's SSN is 078051120." + tail,
		"Sure. In config set password = Tr0ub4dor&3x" + tail,
		"Sure. aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + tail,
		strings.Repeat("Plenty of words come first, to push the keyword out of the hold-back. ", 3) + "SSN is 078051120." + tail,
	} {
		whole := string(pol(all).NewSession().Filter([]byte(s)))
		if whole == s {
			t.Fatalf("nothing found in the whole text %q", s)
		}
		for n := 1; n <= 9; n++ {
			var pieces []string
			for rest := s; rest != ""; {
				k := min(n, len(rest))
				pieces, rest = append(pieces, rest[:k]), rest[k:]
			}
			if got, _ := streamAll(pol(all).NewSession(), pieces...); got != whole {
				t.Errorf("%d-byte pieces:\n got %q\nwant %q", n, got, whole)
			}
		}
	}
}

func pol(a map[Entity]Action, deny ...*DenyRule) *Policy {
	return NewPolicy(PolicyOptions{Actions: a, Deny: deny})
}

// streamAll pushes pieces through one StreamText of s and returns all it
// released, and each release.
func streamAll(s *Session, pieces ...string) (string, []string) {
	st := s.Stream()
	var out strings.Builder
	var rel []string
	for _, p := range pieces {
		r := st.Push([]byte(p))
		rel = append(rel, string(r))
		out.Write(r)
	}
	r := st.Flush()
	rel = append(rel, string(r))
	out.Write(r)
	return out.String(), rel
}

// TestForcedReleaseKeepsValuesWhole: when a chain of digit groups has been
// held as long as it may be (maxHeld), the forced release still does not
// cut through a value found in it.
func TestForcedReleaseKeepsValuesWhole(t *testing.T) {
	all := map[Entity]Action{CreditCard: Redact, Email: Redact}
	chain := strings.Repeat("x7 ", (maxHeld-40)/3)
	for _, v := range []string{"4111 1111 1111 1111", "jane.doe@example.com"} {
		in := chain + v + " " + strings.Repeat("8 ", 100) + "end."
		for shift := 0; shift < 40; shift += 3 {
			src := strings.Repeat("y", shift) + in
			var pieces []string
			for rest := src; rest != ""; {
				k := min(64, len(rest))
				pieces, rest = append(pieces, rest[:k]), rest[k:]
			}
			if got, _ := streamAll(pol(all).NewSession(), pieces...); strings.Contains(got, v[len(v)-9:]) {
				t.Errorf("%q leaked at shift %d", v, shift)
			}
		}
	}
}
