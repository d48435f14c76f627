// Package policy decides whether an identity may use a model for a purpose.
// Roles from the config grant models (globs), namespaces and capabilities; an
// API key's own model list can only narrow its role. Every Decision carries
// typed reasons, which go into the audit record.
package policy

import (
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

// Reasons.
const (
	ReasonAllowed            Reason = "policy.allowed_by_role"
	ReasonUnknownRole        Reason = "policy.unknown_role"
	ReasonModelNotInRole     Reason = "policy.model_not_in_role"
	ReasonModelNotInKey      Reason = "policy.model_not_in_key_scope"
	ReasonNamespaceNotInRole Reason = "policy.namespace_not_in_role"
	ReasonCapabilityMissing  Reason = "policy.capability_missing"
)

// Decision is the outcome of Authorize.
type Decision struct {
	Allow   bool
	Reasons []Reason // read-only; may be shared between decisions
}

// Shared reason lists, so the hot path does not allocate.
var (
	allowed        = []Reason{ReasonAllowed}
	unknownRole    = []Reason{ReasonUnknownRole}
	modelNotInRole = []Reason{ReasonModelNotInRole}
	modelNotInKey  = []Reason{ReasonModelNotInKey}
	nsNotInRole    = []Reason{ReasonNamespaceNotInRole}
	capabilityMiss = []Reason{ReasonCapabilityMissing}
)

// Model is what policy needs to know of a model.
type Model struct {
	Name      string
	Namespace string
}

// Policy is the compiled set of roles. It is immutable and safe for
// concurrent use.
type Policy struct {
	roles map[string]*role
}

type role struct {
	models     []string
	namespaces []string
	caps       map[Capability]bool
}

// Compile builds a Policy from validated roles.
func Compile(roles []config.Role) *Policy {
	p := &Policy{roles: make(map[string]*role, len(roles))}
	for _, r := range roles {
		cr := &role{models: r.Models, namespaces: r.Namespaces, caps: make(map[Capability]bool)}
		for _, c := range r.Capabilities {
			cr.caps[Capability(c)] = true
		}
		p.roles[r.Name] = cr
	}
	return p
}

// Permit decides whether id's role grants capability c, for endpoints that
// concern no model (the admin API).
func (p *Policy) Permit(id *auth.Identity, c Capability) Decision {
	switch r := p.roles[id.Role]; {
	case r == nil:
		return Decision{Reasons: unknownRole}
	case !r.caps[c]:
		return Decision{Reasons: capabilityMiss}
	}
	return Decision{Allow: true, Reasons: allowed}
}

// Authorize decides whether id may use model m with every capability in caps.
func (p *Policy) Authorize(id *auth.Identity, m Model, caps ...Capability) Decision {
	r := p.roles[id.Role]
	if r == nil {
		return Decision{Reasons: unknownRole}
	}
	for _, c := range caps {
		if !r.caps[c] {
			return Decision{Reasons: capabilityMiss}
		}
	}
	if !matchAny(r.models, m.Name) {
		return Decision{Reasons: modelNotInRole}
	}
	if len(r.namespaces) > 0 && !slices.Contains(r.namespaces, m.Namespace) {
		return Decision{Reasons: nsNotInRole}
	}
	if len(id.Models) > 0 && !matchAny(id.Models, m.Name) {
		return Decision{Reasons: modelNotInKey}
	}
	return Decision{Allow: true, Reasons: allowed}
}

// Visible reports whether id may see model m in GET /v1/models: the role and
// key grant it, whatever the capability.
func (p *Policy) Visible(id *auth.Identity, m Model) bool {
	return p.Authorize(id, m).Allow
}
