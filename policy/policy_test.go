package policy_test

import (
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/policy"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"gpt-4o", "gpt-4o", true},
		{"gpt-4o", "gpt-4o-mini", false},
		{"gpt-*", "gpt-4o-mini", true},
		{"gpt-*", "xgpt-4", false},
		{"*-mini", "gpt-4o-mini", true},
		{"Qwen/*", "Qwen/Qwen2.5-7B", true}, // '*' crosses '/'
		{"*/*", "Qwen/Qwen2.5-7B", true},
		{"contract-?", "contract-a", true},
		{"contract-?", "contract-ab", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"**", "x", true},
		{"GPT-*", "gpt-4", false}, // case-sensitive
		{"a*a*a*a*b", strings.Repeat("a", 60), false},
	}
	for _, tt := range tests {
		if got := policy.Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// FuzzMatch checks Match against path.Match on inputs where both agree on
// meaning: no '/', '[', '\\' (path.Match's '*' stops at '/', and it has
// classes and escapes that Match does not).
func FuzzMatch(f *testing.F) {
	f.Add("gpt-*", "gpt-4o")
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := policy.Match(pattern, name)
		if strings.ContainsAny(pattern+name, "/[\\") {
			return
		}
		want, err := path.Match(pattern, name)
		if err != nil {
			return
		}
		// path.Match's '?' matches one rune, ours one byte.
		if !isASCII(pattern + name) {
			return
		}
		if got != want {
			t.Fatalf("Match(%q, %q) = %v, path.Match says %v", pattern, name, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestAuthorize(t *testing.T) {
	p := policy.Compile([]config.Role{
		{Name: "legal", Models: []string{"contract-*"}, Namespaces: []string{"legal"}, Capabilities: []string{"chat", "stream"}},
		{Name: "batch", Models: []string{"*"}, Capabilities: []string{"embeddings", "chat"}},
	})
	legal := &auth.Identity{Role: "legal"}
	scoped := &auth.Identity{Role: "batch", Models: []string{"embed-*"}}
	contract := policy.Model{Name: "contract-analyzer", Namespace: "legal"}
	tests := []struct {
		name string
		id   *auth.Identity
		m    policy.Model
		caps []policy.Capability
		want policy.Decision
	}{
		{"allowed", legal, contract, []policy.Capability{policy.CapChat}, policy.Decision{Allow: true, Reasons: []policy.Reason{policy.ReasonAllowed}}},
		{"stream allowed", legal, contract, []policy.Capability{policy.CapChat, policy.CapStream}, policy.Decision{Allow: true, Reasons: []policy.Reason{policy.ReasonAllowed}}},
		{"model outside role", legal, policy.Model{Name: "gpt-4o", Namespace: "legal"}, []policy.Capability{policy.CapChat}, policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInRole}}},
		{"namespace outside role", legal, policy.Model{Name: "contract-x", Namespace: "hr"}, []policy.Capability{policy.CapChat}, policy.Decision{Reasons: []policy.Reason{policy.ReasonNamespaceNotInRole}}},
		{"capability missing", legal, contract, []policy.Capability{policy.CapEmbeddings}, policy.Decision{Reasons: []policy.Reason{policy.ReasonCapabilityMissing}}},
		{"stream missing", &auth.Identity{Role: "batch"}, contract, []policy.Capability{policy.CapChat, policy.CapStream}, policy.Decision{Reasons: []policy.Reason{policy.ReasonCapabilityMissing}}},
		{"unknown role", &auth.Identity{Role: "gone"}, contract, []policy.Capability{policy.CapChat}, policy.Decision{Reasons: []policy.Reason{policy.ReasonUnknownRole}}},
		{"key narrows role", scoped, contract, []policy.Capability{policy.CapChat}, policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInKey}}},
		{"key scope inside role", scoped, policy.Model{Name: "embed-small"}, []policy.Capability{policy.CapEmbeddings}, policy.Decision{Allow: true, Reasons: []policy.Reason{policy.ReasonAllowed}}},
		{"key cannot widen role", &auth.Identity{Role: "legal", Models: []string{"*"}}, policy.Model{Name: "gpt-4o", Namespace: "legal"}, []policy.Capability{policy.CapChat}, policy.Decision{Reasons: []policy.Reason{policy.ReasonModelNotInRole}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.Authorize(tt.id, tt.m, tt.caps...)); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
	for _, tt := range []struct {
		id   *auth.Identity
		c    policy.Capability
		want policy.Reason
	}{
		{legal, policy.CapStream, policy.ReasonAllowed},
		{legal, policy.CapAdmin, policy.ReasonCapabilityMissing},
		{&auth.Identity{Role: "gone"}, policy.CapChat, policy.ReasonUnknownRole},
	} {
		if d := p.Permit(tt.id, tt.c); d.Reasons[0] != tt.want || d.Allow != (tt.want == policy.ReasonAllowed) {
			t.Errorf("Permit(%s, %s) = %+v, want %s", tt.id.Role, tt.c, d, tt.want)
		}
	}
}

func BenchmarkAuthorize(b *testing.B) {
	p := policy.Compile([]config.Role{{Name: "r", Models: []string{"a-*", "b-*", "contract-*"}, Capabilities: []string{"chat", "stream"}}})
	id := &auth.Identity{Role: "r"}
	m := policy.Model{Name: "contract-analyzer"}
	b.ReportAllocs()
	for b.Loop() {
		if !p.Authorize(id, m, policy.CapChat, policy.CapStream).Allow {
			b.Fatal("denied")
		}
	}
}
