package policy_test

import (
	"net/netip"
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
		{Name: "legal", Groups: []string{"legal", "Legal Team"}, Models: []string{"contract-*"}, Namespaces: []string{"legal"}, Capabilities: []string{"chat", "stream"},
			Limits: config.Limits{RequestsPerMinute: 10}},
		{Name: "batch", Groups: []string{"etl"}, Models: []string{"*"}, Capabilities: []string{"embeddings", "chat"}},
		{Name: "office", Groups: []string{"staff"}, Models: []string{"*"}, Capabilities: []string{"chat"}, IPAllow: []string{"10.0.0.0/8", "2001:db8::/32"}},
	})
	office := netip.MustParseAddr("10.1.2.3")
	home := netip.MustParseAddr("203.0.113.9")
	legal := &auth.Identity{Role: "legal"}
	scoped := &auth.Identity{Role: "batch", Models: []string{"embed-*"}}
	contract := policy.Model{Name: "contract-analyzer", Namespace: "legal"}
	gpt := policy.Model{Name: "gpt-4o"}
	chat := []policy.Capability{policy.CapChat}
	allowedBy := func(role string, l config.Limits) policy.Decision {
		return policy.Decision{Allow: true, Reasons: []policy.Reason{policy.ReasonAllowed}, Role: role, Limits: l}
	}
	deny := func(r policy.Reason) policy.Decision { return policy.Decision{Reasons: []policy.Reason{r}} }
	tests := []struct {
		name string
		id   *auth.Identity
		m    policy.Model
		ip   netip.Addr
		caps []policy.Capability
		want policy.Decision
	}{
		{"allowed", legal, contract, home, chat, allowedBy("legal", config.Limits{RequestsPerMinute: 10})},
		{"stream allowed", legal, contract, home, []policy.Capability{policy.CapChat, policy.CapStream}, allowedBy("legal", config.Limits{RequestsPerMinute: 10})},
		{"model outside role", legal, policy.Model{Name: "gpt-4o", Namespace: "legal"}, home, chat, deny(policy.ReasonModelNotInRole)},
		{"namespace outside role", legal, policy.Model{Name: "contract-x", Namespace: "hr"}, home, chat, deny(policy.ReasonNamespaceNotInRole)},
		{"capability missing", legal, contract, home, []policy.Capability{policy.CapEmbeddings}, deny(policy.ReasonCapabilityMissing)},
		{"stream missing", &auth.Identity{Role: "batch"}, contract, home, []policy.Capability{policy.CapChat, policy.CapStream}, deny(policy.ReasonCapabilityMissing)},
		{"unknown role", &auth.Identity{Role: "gone"}, contract, home, chat, deny(policy.ReasonUnknownRole)},
		{"key narrows role", scoped, contract, home, chat, deny(policy.ReasonModelNotInKey)},
		{"key scope inside role", scoped, policy.Model{Name: "embed-small"}, home, []policy.Capability{policy.CapEmbeddings}, allowedBy("batch", config.Limits{})},
		{"key cannot widen role", &auth.Identity{Role: "legal", Models: []string{"*"}}, policy.Model{Name: "gpt-4o", Namespace: "legal"}, home, chat, deny(policy.ReasonModelNotInRole)},
		{"key address allowed", &auth.Identity{Role: "batch", IPAllow: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}, gpt, home, chat, allowedBy("batch", config.Limits{})},
		{"key address refused", &auth.Identity{Role: "batch", IPAllow: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}, gpt, home, chat, deny(policy.ReasonIPNotAllowedKey)},
		// Groups map to roles, exactly.
		{"group grants role", &auth.Identity{Groups: []string{"legal"}}, contract, home, chat, allowedBy("legal", config.Limits{RequestsPerMinute: 10})},
		{"group with a space", &auth.Identity{Groups: []string{"Legal Team"}}, contract, home, chat, allowedBy("legal", config.Limits{RequestsPerMinute: 10})},
		{"group differs in case", &auth.Identity{Groups: []string{"LEGAL"}}, contract, home, chat, deny(policy.ReasonNoRole)},
		{"group with trailing space", &auth.Identity{Groups: []string{"legal "}}, contract, home, chat, deny(policy.ReasonNoRole)},
		{"group with inner space changed", &auth.Identity{Groups: []string{"Legal  Team"}}, contract, home, chat, deny(policy.ReasonNoRole)},
		{"no groups", &auth.Identity{}, contract, home, chat, deny(policy.ReasonNoRole)},
		{"second group's role allows", &auth.Identity{Groups: []string{"legal", "etl"}}, gpt, home, chat, allowedBy("batch", config.Limits{})},
		{"most specific refusal reported", &auth.Identity{Groups: []string{"etl", "legal"}}, policy.Model{Name: "contract-x", Namespace: "hr"}, home, []policy.Capability{policy.CapStream}, deny(policy.ReasonNamespaceNotInRole)},
		{"role address allowed", &auth.Identity{Groups: []string{"staff"}}, gpt, office, chat, allowedBy("office", config.Limits{})},
		{"role address allowed v6", &auth.Identity{Groups: []string{"staff"}}, gpt, netip.MustParseAddr("2001:db8::1"), chat, allowedBy("office", config.Limits{})},
		{"role address allowed v4-mapped", &auth.Identity{Groups: []string{"staff"}}, gpt, netip.MustParseAddr("::ffff:10.9.9.9"), chat, allowedBy("office", config.Limits{})},
		{"role address refused", &auth.Identity{Groups: []string{"staff"}}, gpt, home, chat, deny(policy.ReasonIPNotAllowedRole)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.Authorize(tt.id, tt.m, tt.ip, tt.caps...)); diff != "" {
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
		{&auth.Identity{Groups: []string{"nobody"}}, policy.CapChat, policy.ReasonNoRole},
	} {
		if d := p.Permit(tt.id, home, tt.c); d.Reasons[0] != tt.want || d.Allow != (tt.want == policy.ReasonAllowed) {
			t.Errorf("Permit(%+v, %s) = %+v, want %s", tt.id, tt.c, d, tt.want)
		}
	}
}

func BenchmarkAuthorize(b *testing.B) {
	p := policy.Compile([]config.Role{{Name: "r", Models: []string{"a-*", "b-*", "contract-*"}, Capabilities: []string{"chat", "stream"}}})
	id := &auth.Identity{Role: "r"}
	m := policy.Model{Name: "contract-analyzer"}
	ip := netip.MustParseAddr("10.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		if !p.Authorize(id, m, ip, policy.CapChat, policy.CapStream).Allow {
			b.Fatal("denied")
		}
	}
}

// TestDecisionLimitsNarrowedByKey: a decision's limits are the role's,
// lowered (never raised) by the credential's own, in every limit.
func TestDecisionLimitsNarrowedByKey(t *testing.T) {
	p := policy.Compile([]config.Role{{Name: "r", Models: []string{"*"}, Capabilities: []string{"chat"},
		Limits: config.Limits{RequestsPerMinute: 10, TokensPerDay: 100, MaxTokens: 50}}})
	id := &auth.Identity{Role: "r", Limits: config.Limits{RequestsPerMinute: 20, TokensPerMinute: 7, TokensPerDay: 60, MaxPromptTokens: 5, MaxTokens: 80}}
	d := p.Authorize(id, policy.Model{Name: "m"}, netip.MustParseAddr("127.0.0.1"), "chat")
	want := config.Limits{RequestsPerMinute: 10, TokensPerMinute: 7, TokensPerDay: 60, MaxPromptTokens: 5, MaxTokens: 50}
	if diff := cmp.Diff(want, d.Limits); !d.Allow || diff != "" {
		t.Fatalf("allow %v, limits (-want +got):\n%s", d.Allow, diff)
	}
}

// TestAuthorizeAmong: only a role named in among may allow, whether the
// identity holds it as a key's role or through a group; another role of
// the same principal that reaches the model does not lend it its place.
func TestAuthorizeAmong(t *testing.T) {
	p := policy.Compile([]config.Role{
		{Name: "fin", Groups: []string{"fin"}, Models: []string{"*"}, Namespaces: []string{"finance"}, Capabilities: []string{"approve"}},
		{Name: "legal", Groups: []string{"legal"}, Models: []string{"*"}, Namespaces: []string{"legal"}, Capabilities: []string{"approve"}},
	})
	ip := netip.MustParseAddr("127.0.0.1")
	legalModel, finModel := policy.Model{Name: "m", Namespace: "legal"}, policy.Model{Name: "m", Namespace: "finance"}
	both := &auth.Identity{ID: "oidc:x", Groups: []string{"fin", "legal"}}
	if d := p.Authorize(both, legalModel, ip, policy.CapApprove); !d.Allow || d.Role != "legal" {
		t.Fatalf("Authorize: %+v", d)
	}
	if d := p.AuthorizeAmong(both, []string{"fin"}, legalModel, ip, policy.CapApprove); d.Allow {
		t.Errorf("a legal model reached among [fin] through the legal role: %+v", d)
	}
	if d := p.AuthorizeAmong(both, []string{"fin"}, finModel, ip, policy.CapApprove); !d.Allow || d.Role != "fin" {
		t.Errorf("a finance model among [fin]: %+v", d)
	}
	if d := p.AuthorizeAmong(&auth.Identity{ID: "apikey:k", Role: "legal"}, []string{"fin"}, finModel, ip, policy.CapApprove); d.Allow {
		t.Errorf("a legal key among [fin]: %+v", d)
	}
	if d := p.AuthorizeAmong(&auth.Identity{ID: "oidc:y", Groups: []string{"legal"}}, nil, legalModel, ip, policy.CapApprove); !d.Allow {
		t.Errorf("among none is Authorize: %+v", d)
	}
}
