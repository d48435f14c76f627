package admin

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/policy"
)

// reach is how far a principal or a key reaches, in every dimension a
// role grants or a key narrows: what its role grants, narrowed by what
// the key (or credential) itself carries. Keys made or managed through
// the admin API must reach no further than their maker (within).
type reach struct {
	caps       []string
	namespaces []string   // nil: every namespace
	models     [][]string // glob lists, all of which a model must match (the role's, the key's)
	fence      fence      // where it may be used from
	limits     config.Limits
	expires    time.Time // zero: never
}

// fence is a set of addresses: every address, or the union of prefixes
// (none: no address).
type fence struct {
	all      bool
	prefixes []netip.Prefix
}

var everywhere = fence{all: true}

// fenceOf is the fence of an ip_allow list, where empty means every
// address. An unreadable list (config validation refuses one) is the
// empty fence, as policy treats it.
func fenceOf(list []string) fence {
	if len(list) == 0 {
		return everywhere
	}
	ps, err := config.ParsePrefixes(list)
	if err != nil {
		return fence{}
	}
	return fence{prefixes: ps}
}

// intersect returns the addresses in both f and g.
func (f fence) intersect(g fence) fence {
	switch {
	case f.all:
		return g
	case g.all:
		return f
	}
	var out fence
	for _, p := range f.prefixes {
		for _, q := range g.prefixes {
			switch {
			case p.Bits() >= q.Bits() && q.Contains(p.Addr()):
				out.prefixes = append(out.prefixes, p)
			case q.Bits() > p.Bits() && p.Contains(q.Addr()):
				out.prefixes = append(out.prefixes, q)
			}
		}
	}
	return out
}

// within reports whether every address of f is in g.
func (f fence) within(g fence) bool {
	if g.all {
		return true
	}
	if f.all {
		return false
	}
	for _, p := range f.prefixes {
		if !covered(p, g.prefixes) {
			return false
		}
	}
	return true
}

// strings lists the fence's prefixes (nil for every address).
func (f fence) strings() []string {
	out := make([]string, 0, len(f.prefixes))
	for _, p := range f.prefixes {
		out = append(out, p.String())
	}
	return out
}

// covered reports whether the union of qs holds every address of p:
// exactly, by halving p wherever a smaller prefix of qs lies inside it.
func covered(p netip.Prefix, qs []netip.Prefix) bool {
	p = p.Masked()
	inside := false
	for _, q := range qs {
		if q.Addr().Is4() != p.Addr().Is4() {
			continue
		}
		if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return true
		}
		if q.Bits() > p.Bits() && p.Contains(q.Addr()) {
			inside = true
		}
	}
	if !inside || p.Bits() >= p.Addr().BitLen() {
		return false
	}
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	hiAddr := p.Addr().AsSlice()
	bit := p.Bits()
	hiAddr[bit/8] |= 0x80 >> (bit % 8)
	hi, _ := netip.AddrFromSlice(hiAddr)
	return covered(lo, qs) && covered(netip.PrefixFrom(hi, p.Bits()+1), qs)
}

// makerReach is the reach of the caller of an admin act: the role that
// granted it the admin capability, narrowed by its credential.
func makerReach(role *config.Role, id *auth.Identity) reach {
	r := roleReach(role)
	if len(id.Models) > 0 {
		r.models = append(r.models, id.Models)
	}
	r.fence = r.fence.intersect(fence{all: len(id.IPAllow) == 0, prefixes: id.IPAllow})
	r.limits = policy.NarrowLimits(role.Limits, id.Limits)
	r.expires = id.ExpiresAt
	return r
}

// keyReach is the reach of a key of role with the given scope.
func keyReach(role *config.Role, s auth.KeySpec, expires time.Time) reach {
	r := roleReach(role)
	if len(s.Models) > 0 {
		r.models = append(r.models, s.Models)
	}
	r.fence = r.fence.intersect(fenceOf(s.IPAllow))
	r.limits = policy.NarrowLimits(role.Limits, specLimits(s))
	r.expires = expires
	return r
}

func roleReach(role *config.Role) reach {
	return reach{caps: role.Capabilities, namespaces: nilIfEmpty(role.Namespaces),
		models: [][]string{role.Models}, fence: fenceOf(role.IPAllow)}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// specLimits are a key's own limits.
func specLimits(s auth.KeySpec) config.Limits {
	return config.Limits{RequestsPerMinute: int64(s.RPM), TokensPerMinute: int64(s.TPM),
		TokensPerDay: s.TokensPerDay, TokensPerMonth: s.TokensPerMonth,
		MaxPromptTokens: s.MaxPromptTokens, MaxTokens: s.MaxTokens}
}

// limitNames pairs each limit with its name in a key's scope.
func limitNames(l *config.Limits) []struct {
	name string
	v    *int64
} {
	return []struct {
		name string
		v    *int64
	}{
		{"rpm", &l.RequestsPerMinute}, {"tpm", &l.TokensPerMinute},
		{"tokens_per_day", &l.TokensPerDay}, {"tokens_per_month", &l.TokensPerMonth},
		{"max_prompt_tokens", &l.MaxPromptTokens}, {"max_tokens", &l.MaxTokens},
	}
}

// beyond says how t reaches further than m ("" if it does not), in words
// for the caller: a capability, a namespace or a model m lacks, an address
// outside m's fences, a limit looser than m's (or none where m has one),
// or an expiry later than m's (or none where m has one). It is sound: ""
// only when t is within m in every dimension; glob containment is decided
// by policy.Covers, which refuses when unsure.
func (t reach) beyond(m reach) string {
	for _, c := range t.caps {
		if !slices.Contains(m.caps, c) {
			return "the role grants " + c + ", which yours does not"
		}
	}
	if m.namespaces != nil {
		if t.namespaces == nil {
			return "the role grants every namespace"
		}
		for _, n := range t.namespaces {
			if !slices.Contains(m.namespaces, n) {
				return "the role grants namespace " + n
			}
		}
	}
	if mine := t.modelsBeyond(m); mine != nil {
		return fmt.Sprintf("it would reach models outside %q", mine)
	}
	if !t.fence.within(m.fence) {
		return "it would work from addresses outside yours"
	}
	tl, ml := t.limits, m.limits
	mine := limitNames(&ml)
	for i, theirs := range limitNames(&tl) {
		if my := *mine[i].v; my > 0 && (*theirs.v <= 0 || *theirs.v > my) {
			return fmt.Sprintf("its %s must be at most yours (%d)", theirs.name, my)
		}
	}
	if !m.expires.IsZero() && (t.expires.IsZero() || t.expires.After(m.expires)) {
		return "it must expire no later than your key (" + m.expires.UTC().Format(time.RFC3339) + ")"
	}
	return ""
}

// full reports whether t is a full key administrator: a role with every
// capability, every namespace and every model, on a credential that
// narrows no model. Only a full administrator manages keys it did not
// create (still only those within its reach).
func (t reach) full() bool {
	for _, c := range config.Capabilities {
		if !slices.Contains(t.caps, c) {
			return false
		}
	}
	if t.namespaces != nil {
		return false
	}
	for _, l := range t.models {
		if !policy.Covers(l, "*") {
			return false
		}
	}
	return true
}

// inherit gives a key spec, in each dimension it leaves open (no models,
// no ip_allow, a zero limit, no expiry) and where its role alone would
// reach further than m, m's own bound there. It returns the names of the
// dimensions inherited. Dimensions the request sets are left as they are,
// to be refused by beyond if they reach too far.
func inherit(s *auth.KeySpec, role *config.Role, m reach, mineModels []string, expires *time.Time) []string {
	var got []string
	open := keyReach(role, *s, *expires)
	if len(s.Models) == 0 && len(mineModels) > 0 && open.modelsBeyond(m) != nil {
		s.Models = mineModels
		got = append(got, "models")
	}
	if len(s.IPAllow) == 0 && !open.fence.within(m.fence) {
		s.IPAllow = m.fence.strings()
		got = append(got, "ip_allow")
	}
	own := specLimits(*s)
	roleLimits, ml := role.Limits, m.limits
	mine, roles := limitNames(&ml), limitNames(&roleLimits)
	for i, o := range limitNames(&own) {
		my := *mine[i].v
		if *o.v == 0 && my > 0 && (*roles[i].v <= 0 || *roles[i].v > my) {
			*o.v = my
			got = append(got, o.name)
		}
	}
	s.RPM, s.TPM = int(own.RequestsPerMinute), int(own.TokensPerMinute)
	s.TokensPerDay, s.TokensPerMonth = own.TokensPerDay, own.TokensPerMonth
	s.MaxPromptTokens, s.MaxTokens = own.MaxPromptTokens, own.MaxTokens
	if expires.IsZero() && !m.expires.IsZero() {
		*expires = m.expires
		got = append(got, "expires_at")
	}
	return got
}

// modelsBeyond returns a glob list of m's that some model of t's lies
// outside (nil if none does). t's models are those that every list of
// t.models matches, so they are within one of m's lists if all the globs
// of some list of t's are (policy.CoversAll).
func (t reach) modelsBeyond(m reach) []string {
	for _, mine := range m.models {
		if !slices.ContainsFunc(t.models, func(theirs []string) bool { return policy.CoversAll(mine, theirs) }) {
			return append([]string{}, mine...)
		}
	}
	return nil
}

// controlsBeyond says how a key of role t would escape a control that the
// configuration ties to the maker's role m by name ("" if none): a
// content policy of its own (roles[].content: the key's must be the
// maker's, unset or the same), a lower classification (roles[].
// classification, which raises a request's), an approval rule that names
// m and not t (approvals.rules[].roles), or a place among
// approvals.approvers that m lacks. Like beyond it is sound, refusing
// when unsure: a content policy that differs is refused even if it is
// stricter, as telling stricter from looser is not decided here.
func controlsBeyond(cfg *config.Config, t, m *config.Role) string {
	if t.Name == m.Name {
		return ""
	}
	if !reflect.DeepEqual(t.Content, m.Content) {
		return "its role's content policy (roles[].content) differs from your role's"
	}
	rank := func(name string) int {
		return slices.IndexFunc(cfg.Classifications, func(c config.Classification) bool { return c.Name == name })
	}
	if rank(t.Classification) < rank(m.Classification) {
		return "its role's classification is lower than your role's (" + m.Classification + ")"
	}
	for _, r := range cfg.Approvals.Rules {
		if slices.Contains(r.Roles, m.Name) && !slices.Contains(r.Roles, t.Name) {
			return "approval rule " + r.Name + " holds your role's requests and not its role's"
		}
	}
	if a := cfg.Approvals.Approvers; len(a) > 0 && slices.Contains(a, t.Name) && !slices.Contains(a, m.Name) {
		return "its role is one of approvals.approvers and yours is not"
	}
	return ""
}
