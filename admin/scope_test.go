package admin

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
)

func TestFenceWithin(t *testing.T) {
	pf := func(list ...string) fence {
		var f fence
		for _, s := range list {
			f.prefixes = append(f.prefixes, netip.MustParsePrefix(s))
		}
		return f
	}
	tests := []struct {
		f, g fence
		want bool
	}{
		{everywhere, everywhere, true},
		{pf("10.0.0.0/8"), everywhere, true},
		{everywhere, pf("0.0.0.0/0"), false}, // IPv6 too
		{pf("10.1.0.0/16"), pf("10.0.0.0/8"), true},
		{pf("10.0.0.0/8"), pf("10.1.0.0/16"), false},
		{pf("10.0.0.0/24"), pf("10.0.0.0/25", "10.0.0.128/25"), true}, // covered by the union only
		{pf("10.0.0.0/24"), pf("10.0.0.0/25", "10.0.0.128/26"), false},
		{pf("10.0.0.0/23"), pf("10.0.0.0/24", "10.0.1.0/25", "10.0.1.128/25"), true},
		{pf("::ffff:10.0.0.0/104"), pf("10.0.0.0/8"), false}, // another family: refused
		{pf("10.0.0.0/8"), pf("::/0"), false},
		{fence{}, pf("10.0.0.0/8"), true},          // no address at all
		{pf("10.0.0.1/8"), pf("10.0.0.0/8"), true}, // unmasked
	}
	for _, tt := range tests {
		if got := tt.f.within(tt.g); got != tt.want {
			t.Errorf("%v within %v = %v, want %v", tt.f, tt.g, got, tt.want)
		}
	}
	if got := pf("10.0.0.0/8", "192.168.0.0/16").intersect(pf("10.1.0.0/16", "172.16.0.0/12")); len(got.prefixes) != 1 || got.prefixes[0].String() != "10.1.0.0/16" {
		t.Errorf("intersect = %v", got)
	}
}

func TestReachBeyond(t *testing.T) {
	soon := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	maker := &config.Role{Name: "m", Models: []string{"gpt-*"}, Namespaces: []string{"legal"},
		Capabilities: []string{"admin", "chat"}, IPAllow: []string{"10.0.0.0/8"},
		Limits: config.Limits{RequestsPerMinute: 60, MaxTokens: 100}}
	m := makerReach(maker, &auth.Identity{ID: "apikey:key_m", Models: []string{"gpt-4*"},
		IPAllow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		Limits:  config.Limits{TokensPerDay: 1000}, ExpiresAt: soon})
	role := &config.Role{Name: "t", Models: []string{"gpt-4o"}, Namespaces: []string{"legal"}, Capabilities: []string{"chat"}}
	ok := auth.KeySpec{IPAllow: []string{"10.1.2.0/24"}, RPM: 60, MaxTokens: 100, TokensPerDay: 1000}
	if why := keyReach(role, ok, soon).beyond(m); why != "" {
		t.Fatalf("within, but: %s", why)
	}
	for _, tt := range []struct {
		name string
		edit func(r *config.Role, s *auth.KeySpec, exp *time.Time)
		why  string
	}{
		{"capability", func(r *config.Role, _ *auth.KeySpec, _ *time.Time) { r.Capabilities = []string{"chat", "approve"} }, "approve"},
		{"every namespace", func(r *config.Role, _ *auth.KeySpec, _ *time.Time) { r.Namespaces = nil }, "every namespace"},
		{"namespace", func(r *config.Role, _ *auth.KeySpec, _ *time.Time) { r.Namespaces = []string{"hr"} }, "hr"},
		{"role models past the key's", func(r *config.Role, _ *auth.KeySpec, _ *time.Time) { r.Models = []string{"gpt-*"} }, "models"},
		{"key models", func(r *config.Role, s *auth.KeySpec, _ *time.Time) {
			r.Models = []string{"*"}
			s.Models = []string{"gpt-4?", "o1"}
		}, "models"},
		{"no fence", func(_ *config.Role, s *auth.KeySpec, _ *time.Time) { s.IPAllow = nil }, "addresses"},
		{"wider fence", func(_ *config.Role, s *auth.KeySpec, _ *time.Time) { s.IPAllow = []string{"10.0.0.0/8"} }, "addresses"},
		{"no rpm", func(_ *config.Role, s *auth.KeySpec, _ *time.Time) { s.RPM = 0 }, "rpm"},
		{"more max_tokens", func(_ *config.Role, s *auth.KeySpec, _ *time.Time) { s.MaxTokens = 101 }, "max_tokens"},
		{"no tokens_per_day", func(_ *config.Role, s *auth.KeySpec, _ *time.Time) { s.TokensPerDay = 0 }, "tokens_per_day"},
		{"no expiry", func(_ *config.Role, _ *auth.KeySpec, e *time.Time) { *e = time.Time{} }, "expire"},
		{"later expiry", func(_ *config.Role, _ *auth.KeySpec, e *time.Time) { *e = soon.Add(time.Second) }, "expire"},
	} {
		r, s, exp := *role, ok, soon
		tt.edit(&r, &s, &exp)
		if why := keyReach(&r, s, exp).beyond(m); !strings.Contains(why, tt.why) {
			t.Errorf("%s: beyond = %q, want it to name %q", tt.name, why, tt.why)
		}
	}
	// The role's own limit, if tighter, is the key's.
	r := *role
	r.Limits = config.Limits{RequestsPerMinute: 10, MaxTokens: 5, TokensPerDay: 10}
	if why := keyReach(&r, auth.KeySpec{IPAllow: ok.IPAllow}, soon).beyond(m); why != "" {
		t.Errorf("a role tighter than the maker: %s", why)
	}
}

func TestInherit(t *testing.T) {
	soon := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	maker := &config.Role{Name: "m", Models: []string{"gpt-*"}, Capabilities: []string{"admin", "chat"},
		IPAllow: []string{"10.0.0.0/8"}, Limits: config.Limits{RequestsPerMinute: 60, MaxTokens: 100}}
	id := &auth.Identity{Limits: config.Limits{TokensPerMinute: 500}, ExpiresAt: soon}
	m := makerReach(maker, id)
	wide := &config.Role{Name: "w", Models: []string{"*"}, Capabilities: []string{"chat"}, Limits: config.Limits{RequestsPerMinute: 10}}
	s := auth.KeySpec{MaxTokens: 50}
	var exp time.Time
	got := inherit(&s, wide, m, maker.Models, &exp)
	if strings.Join(got, ",") != "models,ip_allow,tpm,expires_at" {
		t.Errorf("inherited %v", got)
	}
	if s.RPM != 0 || s.MaxTokens != 50 || s.TPM != 500 || !exp.Equal(soon) || s.IPAllow[0] != "10.0.0.0/8" || s.Models[0] != "gpt-*" {
		t.Errorf("spec after inherit: %+v, expires %v", s, exp)
	}
	if why := keyReach(wide, s, exp).beyond(m); why != "" {
		t.Errorf("an inherited spec is beyond: %s", why)
	}
	if !makerReach(&config.Role{Models: []string{"*"}, Capabilities: config.Capabilities}, &auth.Identity{}).full() {
		t.Error("every capability and model: not full")
	}
	if makerReach(&config.Role{Models: []string{"*"}, Capabilities: config.Capabilities}, &auth.Identity{Models: []string{"gpt-*"}}).full() {
		t.Error("a key narrowed to some models: full")
	}
}
