// Package policy decides whether an identity may do something. Roles from the
// config grant models (globs), namespaces and capabilities, from the client
// addresses they allow, with limits. An API key names its role; other
// principals get the roles whose groups they are in (exact, case-sensitive
// match). A credential's own scope (an API key's models and addresses) can
// only narrow what its roles grant. Every Decision carries typed reasons,
// which go into the audit record.
package policy

import (
	"net/netip"
	"slices"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
)

// Capability is something a role may be granted.
type Capability string

// Capabilities.
const (
	CapChat         Capability = "chat"
	CapCompletions  Capability = "completions"
	CapEmbeddings   Capability = "embeddings"
	CapStream       Capability = "stream"
	CapAdmin        Capability = "admin"
	CapAuditRead    Capability = "audit.read"
	CapAuditDecrypt Capability = "audit.decrypt"
	CapApprove      Capability = "approve"
)

// Reason explains a decision.
type Reason string

// Reasons, from least to most specific: when no role allows a request, the
// decision reports the most specific reason any of them gave.
const (
	ReasonAllowed            Reason = "policy.allowed_by_role"
	ReasonUnknownRole        Reason = "policy.unknown_role"
	ReasonNoRole             Reason = "policy.no_role_for_groups"
	ReasonCapabilityMissing  Reason = "policy.capability_missing"
	ReasonIPNotAllowedRole   Reason = "policy.ip_not_allowed_by_role"
	ReasonModelNotInRole     Reason = "policy.model_not_in_role"
	ReasonNamespaceNotInRole Reason = "policy.namespace_not_in_role"
	ReasonModelNotInKey      Reason = "policy.model_not_in_key_scope"
	ReasonIPNotAllowedKey    Reason = "policy.ip_not_allowed_for_key"
	// ReasonIPNotAllowedGlobal: outside auth.ip_allow, refused before authentication.
	ReasonIPNotAllowedGlobal Reason = "policy.ip_not_allowed"
)

var rank = map[Reason]int{
	ReasonCapabilityMissing: 1, ReasonIPNotAllowedRole: 2, ReasonModelNotInRole: 3,
	ReasonNamespaceNotInRole: 4, ReasonModelNotInKey: 5, ReasonIPNotAllowedKey: 6,
}

// Shared one-reason lists, so decisions do not allocate.
var reasonLists = func() map[Reason][]Reason {
	m := map[Reason][]Reason{}
	for _, r := range []Reason{ReasonAllowed, ReasonUnknownRole, ReasonNoRole, ReasonCapabilityMissing, ReasonIPNotAllowedRole,
		ReasonModelNotInRole, ReasonNamespaceNotInRole, ReasonModelNotInKey, ReasonIPNotAllowedKey} {
		m[r] = []Reason{r}
	}
	return m
}()

// Decision is the outcome of Authorize.
type Decision struct {
	Allow   bool
	Reasons []Reason      // read-only; shared between decisions
	Role    string        // the role that allowed it
	Limits  config.Limits // that role's limits, narrowed by the identity's (NarrowLimits)
}

// Model is what policy needs to know of a model.
type Model struct {
	Name      string
	Namespace string
}

// Policy is the compiled set of roles. It is immutable and safe for
// concurrent use.
type Policy struct {
	byName  map[string]*role
	byGroup map[string][]*role
}

type role struct {
	name       string
	models     []string
	namespaces []string
	caps       map[Capability]bool
	ipAllow    []netip.Prefix
	limits     config.Limits
}

// Compile builds a Policy from validated roles.
func Compile(roles []config.Role) *Policy {
	p := &Policy{byName: make(map[string]*role, len(roles)), byGroup: map[string][]*role{}}
	for _, r := range roles {
		cr := &role{name: r.Name, models: r.Models, namespaces: r.Namespaces, caps: make(map[Capability]bool), limits: r.Limits}
		for _, c := range r.Capabilities {
			cr.caps[Capability(c)] = true
		}
		var err error
		if cr.ipAllow, err = config.ParsePrefixes(r.IPAllow); err != nil {
			cr.ipAllow = []netip.Prefix{{}} // unvalidated and unreadable: contains no address
		}
		p.byName[r.Name] = cr
		for _, g := range r.Groups {
			p.byGroup[g] = append(p.byGroup[g], cr)
		}
	}
	return p
}

// Authorize decides whether id, calling from ip, may use model m with every
// capability in caps. The first role (the key's, or in the identity's group
// order) that allows it decides.
func (p *Policy) Authorize(id *auth.Identity, m Model, ip netip.Addr, caps ...Capability) Decision {
	return p.decide(id, ip, caps, &m)
}

// AuthorizeAmong is Authorize counting only the roles named in among
// (every role, if among is empty), for acts the configuration gives to
// some roles alone, such as deciding approvals (approvals.approvers): the
// role that allows the act must itself be one of them, not merely some
// other role of the same principal.
func (p *Policy) AuthorizeAmong(id *auth.Identity, among []string, m Model, ip netip.Addr, caps ...Capability) Decision {
	if len(among) == 0 {
		return p.Authorize(id, m, ip, caps...)
	}
	denied := Decision{Reasons: reasonLists[ReasonNoRole]}
	for _, name := range among {
		r := p.byName[name]
		if r == nil || id.Role != "" && id.Role != name || id.Role == "" && !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(p.byGroup[g], r) }) {
			continue
		}
		as := *id
		as.Role = name
		d := p.Authorize(&as, m, ip, caps...)
		if d.Allow {
			return d
		}
		if rank[d.Reasons[0]] > rank[denied.Reasons[0]] {
			denied = d
		}
	}
	return denied
}

// Permit decides whether id, calling from ip, has capability c, for
// endpoints that concern no model (the admin API).
func (p *Policy) Permit(id *auth.Identity, ip netip.Addr, c Capability) Decision {
	caps := [1]Capability{c}
	return p.decide(id, ip, caps[:], nil)
}

// Visible reports whether id may see model m in GET /v1/models: some role
// grants it, whatever the capability.
func (p *Policy) Visible(id *auth.Identity, m Model, ip netip.Addr) bool {
	return p.decide(id, ip, nil, &m).Allow
}

func (p *Policy) decide(id *auth.Identity, ip netip.Addr, caps []Capability, m *Model) Decision {
	var best Reason
	tried := false
	try := func(r *role) (Decision, bool) {
		tried = true
		why := r.check(id, ip, caps, m)
		if why == "" {
			return Decision{Allow: true, Reasons: reasonLists[ReasonAllowed], Role: r.name, Limits: NarrowLimits(r.limits, id.Limits)}, true
		}
		if rank[why] > rank[best] {
			best = why
		}
		return Decision{}, false
	}
	if id.Role != "" {
		r := p.byName[id.Role]
		if r == nil {
			return Decision{Reasons: reasonLists[ReasonUnknownRole]}
		}
		if d, ok := try(r); ok {
			return d
		}
	} else {
		for _, g := range id.Groups {
			for _, r := range p.byGroup[g] {
				if d, ok := try(r); ok {
					return d
				}
			}
		}
	}
	if !tried {
		return Decision{Reasons: reasonLists[ReasonNoRole]}
	}
	return Decision{Reasons: reasonLists[best]}
}

// check returns why r does not allow the request, or "".
func (r *role) check(id *auth.Identity, ip netip.Addr, caps []Capability, m *Model) Reason {
	for _, c := range caps {
		if !r.caps[c] {
			return ReasonCapabilityMissing
		}
	}
	if len(r.ipAllow) > 0 && !Contains(r.ipAllow, ip) {
		return ReasonIPNotAllowedRole
	}
	if m != nil {
		if !matchAny(r.models, m.Name) {
			return ReasonModelNotInRole
		}
		if len(r.namespaces) > 0 && !slices.Contains(r.namespaces, m.Namespace) {
			return ReasonNamespaceNotInRole
		}
		if len(id.Models) > 0 && !matchAny(id.Models, m.Name) {
			return ReasonModelNotInKey
		}
	}
	if len(id.IPAllow) > 0 && !Contains(id.IPAllow, ip) {
		return ReasonIPNotAllowedKey
	}
	return ""
}

// Contains reports whether any prefix contains a.
func Contains(prefixes []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// NarrowLimits returns the tighter of a and b in each limit, where zero
// means none: the limits a principal of a role (a) holding a credential
// with its own limits (b) actually has.
func NarrowLimits(a, b config.Limits) config.Limits {
	return config.Limits{
		RequestsPerMinute: lowerLimit(a.RequestsPerMinute, b.RequestsPerMinute),
		TokensPerMinute:   lowerLimit(a.TokensPerMinute, b.TokensPerMinute),
		TokensPerDay:      lowerLimit(a.TokensPerDay, b.TokensPerDay),
		TokensPerMonth:    lowerLimit(a.TokensPerMonth, b.TokensPerMonth),
		MaxPromptTokens:   lowerLimit(a.MaxPromptTokens, b.MaxPromptTokens),
		MaxTokens:         lowerLimit(a.MaxTokens, b.MaxTokens),
	}
}

// lowerLimit is the lower of two limits, 0 meaning none.
func lowerLimit(a, b int64) int64 {
	if a <= 0 || b > 0 && b < a {
		return max(b, 0)
	}
	return a
}
