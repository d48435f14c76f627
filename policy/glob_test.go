package policy_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/policy"
)

// TestCovers: glob-in-glob containment, including the cases a
// position-by-position comparison gets wrong (finding 4 of issue 14:
// "chat-?????" was taken to cover "chat-*****", which matches "chat-open").
func TestCovers(t *testing.T) {
	tests := []struct {
		patterns []string
		b        string
		want     bool
	}{
		{[]string{"chat-?????"}, "chat-*****", false}, // the finding: "chat-open" (4) and "chat-" pass b
		{[]string{"chat-*****"}, "chat-?????", true},
		{[]string{"chat-*"}, "chat-?????", true},
		{[]string{"*"}, "anything*?", true},
		{[]string{"*"}, "", true},
		{[]string{""}, "", true},
		{[]string{""}, "*", false},
		{[]string{"?"}, "*", false},
		{[]string{"?*"}, "*?", true}, // both "one byte or more"
		{[]string{"*?"}, "?*", true},
		{[]string{"??*"}, "*?*?*", true},
		{[]string{"*?*?*"}, "??*", true},
		{[]string{"??*"}, "?*", false},
		{[]string{"gpt-*"}, "gpt-4o", true},
		{[]string{"gpt-*"}, "gpt-*", true},
		{[]string{"gpt-*"}, "gpt*", false}, // "gpt" and "gptx"
		{[]string{"gpt-4?"}, "gpt-4*", false},
		{[]string{"*-mini"}, "gpt-*-mini", true},
		{[]string{"gpt-*-mini"}, "*-mini", false},
		{[]string{"a*b*c"}, "a*c", false},
		{[]string{"a*c"}, "a*b*c", true},
		{[]string{"*a*"}, "*aa*", true},
		{[]string{"*aa*"}, "*a*", false},
		{[]string{"*a*a*"}, "*aa*", true},
		{[]string{"a*a"}, "a*a*a", true},
		{[]string{"a*a*a"}, "a*a", false}, // "aa"
		{[]string{"*ab"}, "*b", false},
		{[]string{"*b"}, "*ab", true},
		{[]string{"Qwen/*"}, "Qwen/Qwen2.5-*", true},
		{[]string{"GPT-*"}, "gpt-*", false}, // case-sensitive
		{[]string{"x?y"}, "x*y", false},
		{[]string{"x*y"}, "x?y", true},
		// Unions: only together do the patterns cover b.
		{[]string{"a*", "b*"}, "?*", false},
		{[]string{"a*", "?"}, "a*", true},
		{[]string{"chat-a*", "chat-?*"}, "chat-*", false}, // "chat-"
		{[]string{"chat-", "chat-?*"}, "chat-*", true},
		{[]string{"*a", "*b", "*"}, "*", true},
		{[]string{}, "gpt-4o", false},
		{nil, "", false},
		// A name may hold '*' or '?' bytes, which only wildcards match.
		{[]string{"a*"}, "a?", true},
		{[]string{"a?"}, "a?", true},
	}
	for _, tt := range tests {
		if got := policy.Covers(tt.patterns, tt.b); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.patterns, tt.b, got, tt.want)
		}
	}
}

// TestCoversGivesUpSafely: a pattern whose subset automaton explodes
// ("*a" then 24 '?': the DFA remembers the last 25 bytes) ends the search
// early, answering false: refused, never guessed.
func TestCoversGivesUpSafely(t *testing.T) {
	a := "*a" + strings.Repeat("?", 24)
	if policy.Covers([]string{a}, "*"+strings.Repeat("?", 25)) {
		t.Fatal(`covers "*" + 25 '?', which matches names without an 'a'`)
	}
	if !policy.Covers([]string{"*"}, a) {
		t.Fatal("* covers everything")
	}
}

// TestCoversAgreesWithMatch checks Covers against brute force: every
// pattern pair over a small alphabet, every name up to a length beyond
// which no shorter counterexample could hide for patterns this short.
func TestCoversAgreesWithMatch(t *testing.T) {
	pats := allPatterns("ab*?", 4)
	names := allNames("abc", 6)
	for _, a := range pats {
		for _, b := range pats {
			want := true
			for _, n := range names {
				if policy.Match(b, n) && !policy.Match(a, n) {
					want = false
					break
				}
			}
			if got := policy.Covers([]string{a}, b); got != want {
				t.Fatalf("Covers(%q, %q) = %v, brute force says %v", a, b, got, want)
			}
		}
	}
}

func allPatterns(alphabet string, n int) []string {
	out := []string{""}
	for l, level := 1, []string{""}; l <= n; l++ {
		var next []string
		for _, p := range level {
			for _, c := range alphabet {
				next = append(next, p+string(c))
			}
		}
		out, level = append(out, next...), next
	}
	return out
}

func allNames(alphabet string, n int) []string { return allPatterns(alphabet, n) }

// FuzzCovers checks soundness: when Covers says a covers b, every name
// made from b (each '*' replaced by fuzz-chosen bytes, each '?' by one)
// matches a.
func FuzzCovers(f *testing.F) {
	f.Add("chat-?????", "chat-*****", []byte("open-ended"))
	f.Add("*?", "?*", []byte("x"))
	f.Add("a*a", "a*a*a", []byte("aaaa"))
	f.Add("gpt-*", "gpt-4?", []byte("o"))
	f.Fuzz(func(t *testing.T, a, b string, fill []byte) {
		if len(a) > 64 || len(b) > 64 {
			return
		}
		if !policy.Covers([]string{a}, b) {
			return
		}
		for round := 0; round < 4; round++ {
			name := instantiate(b, fill, round)
			if !policy.Match(b, name) {
				t.Fatalf("instantiate(%q) = %q does not match b", b, name)
			}
			if !policy.Match(a, name) {
				t.Fatalf("Covers(%q, %q) but %q matches only b", a, b, name)
			}
		}
	})
}

// instantiate makes a name matching pattern b from fill: '?' takes one
// byte, '*' a run whose length depends on round.
func instantiate(b string, fill []byte, round int) string {
	var sb strings.Builder
	next := func(i int) byte {
		if len(fill) == 0 {
			return 'x'
		}
		return fill[(i+round)%len(fill)]
	}
	used := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '?':
			sb.WriteByte(next(used))
			used++
		case '*':
			n := 0
			if len(fill) > 0 {
				n = int(fill[(i*7+round)%len(fill)]) % (3 + round*3)
			}
			for range n {
				sb.WriteByte(next(used))
				used++
			}
		default:
			sb.WriteByte(b[i])
		}
	}
	return sb.String()
}
