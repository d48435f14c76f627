package gateway

import (
	"maps"
	"regexp"
	"sync"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/content/guard"
	"github.com/wardenhq/warden/content/presidio"
)

// contentPolicies compiles the content policy of each (role, model) pair
// on first use: content.* with the model's overrides, then the role's.
// Without overrides every pair shares the global policies.
type contentPolicies struct {
	c         *config.Config
	key       []byte
	req, resp *content.Policy
	overrides bool
	analyzers []content.Analyzer // content.analyzers, shared by every request policy
	guards    []content.Guard    // content.guards, shared by every request policy
	cache     sync.Map           // role + "\x00" + model → [2]*content.Policy
}

func newContentPolicies(c *config.Config, key []byte) *contentPolicies {
	cp := &contentPolicies{c: c, key: key, analyzers: analyzers(c.Content.Analyzers), guards: guards(c.Content.Guards)}
	cp.req = contentPolicy(c.Content.Request, c.Content.PhoneRegions, key, cp.analyzers, cp.guards)
	cp.resp = contentPolicy(c.Content.Response, c.Content.PhoneRegions, key, nil, nil)
	for _, r := range c.Roles {
		cp.overrides = cp.overrides || r.Content != nil
	}
	for _, m := range c.Models {
		cp.overrides = cp.overrides || m.Content != nil
	}
	return cp
}

// For returns the request and response policies of role's requests to
// model.
func (cp *contentPolicies) For(role, model string) (*content.Policy, *content.Policy) {
	if !cp.overrides {
		return cp.req, cp.resp
	}
	k := role + "\x00" + model
	if v, ok := cp.cache.Load(k); ok {
		p := v.([2]*content.Policy)
		return p[0], p[1]
	}
	var overs []*config.ContentOverride
	for _, m := range cp.c.Models {
		if m.Name == model && m.Content != nil {
			overs = append(overs, m.Content)
		}
	}
	for _, r := range cp.c.Roles {
		if r.Name == role && r.Content != nil {
			overs = append(overs, r.Content)
		}
	}
	p := [2]*content.Policy{cp.req, cp.resp}
	if len(overs) > 0 {
		req, resp := cp.c.Content.Request, cp.c.Content.Response
		for _, o := range overs {
			req, resp = mergeStage(req, o.Request), mergeStage(resp, o.Response)
		}
		p = [2]*content.Policy{contentPolicy(req, cp.c.Content.PhoneRegions, cp.key, cp.analyzers, cp.guards), contentPolicy(resp, cp.c.Content.PhoneRegions, cp.key, nil, nil)}
	}
	cp.cache.Store(k, p)
	return p[0], p[1]
}

// mergeStage lays over on base: pii entity by entity, deny rules added,
// injection (mode, thresholds, sources) and field rules replaced where
// set.
func mergeStage(base, over config.ContentStage) config.ContentStage {
	out := base
	out.PII = maps.Clone(base.PII)
	if out.PII == nil {
		out.PII = map[string]string{}
	}
	maps.Copy(out.PII, over.PII)
	out.Deny = append(append([]config.DenyRule(nil), base.Deny...), over.Deny...)
	if over.Injection != "" {
		out.Injection = over.Injection
	}
	if over.InjectionThreshold != 0 {
		out.InjectionThreshold = over.InjectionThreshold
	}
	if over.InjectionToolThreshold != 0 {
		out.InjectionToolThreshold = over.InjectionToolThreshold
	}
	if over.InjectionSources != nil {
		out.InjectionSources = over.InjectionSources
	}
	if len(over.Fields.Include) > 0 || len(over.Fields.Exclude) > 0 {
		out.Fields = over.Fields
	}
	return out
}

// RequestContentPolicy is the content.request policy of c, as the gateway
// applies it to requests of role to model ("" for none); key keys the
// hash action (kms.PurposeContentHash).
func RequestContentPolicy(c *config.Config, key []byte, role, model string) *content.Policy {
	req, _ := newContentPolicies(c, key).For(role, model)
	return req
}

// analyzers builds the external analyzers of content.analyzers
// (validated already).
func analyzers(list []config.ContentAnalyzer) []content.Analyzer {
	var out []content.Analyzer
	for _, a := range list {
		out = append(out, presidio.New(presidio.Options{
			Name: a.Name, URL: a.URL, Entities: a.Entities, Language: a.Language, ScoreThreshold: a.ScoreThreshold,
			Timeout: a.Timeout.D(0), FailOpen: a.OnError == "allow",
		}))
	}
	return out
}

// guards builds the external injection screens of content.guards
// (validated already). A guard whose api_key reference cannot be read
// fails every check, so that on_error decides (block: 503), as for a
// guard that cannot be reached.
func guards(list []config.ContentGuard) []content.Guard {
	var out []content.Guard
	for _, g := range list {
		o := guard.Options{Name: g.Name, URL: g.URL, Timeout: g.Timeout.D(0), FailOpen: g.OnError == "allow"}
		if g.APIKey != "" {
			if k, err := g.APIKey.Resolve(); err != nil {
				o.KeyErr = err
			} else {
				o.APIKey = k
			}
		}
		if g.Type == "lakera" {
			out = append(out, guard.NewLakera(o))
		} else {
			out = append(out, guard.NewHTTP(o))
		}
	}
	return out
}

// contentPolicy compiles one direction of the content configuration
// (validated already). key is the keyed-hash action's key; analyzers
// screen requests' text beside the detectors, and guards for injection
// (nil for responses).
func contentPolicy(st config.ContentStage, regions []string, key []byte, analyzers []content.Analyzer, guards []content.Guard) *content.Policy {
	o := content.PolicyOptions{Actions: map[content.Entity]content.Action{}, PhoneRegions: regions, HashKey: key,
		InjectionThreshold: st.InjectionThreshold, InjectionToolThreshold: st.InjectionToolThreshold, Analyzers: analyzers, Guards: guards}
	switch st.Injection {
	case "block":
		o.Injection = content.Block
	case "flag":
		o.Injection = content.Flag
	case "shadow":
		o.Injection, o.InjectionShadow = content.Block, true
	}
	if st.InjectionSources != nil {
		o.InjectionSources = []content.Origin{}
		for _, name := range st.InjectionSources {
			if src, ok := content.ParseOrigin(name); ok {
				o.InjectionSources = append(o.InjectionSources, src)
			}
		}
	}
	named := map[string]content.Action{} // entities and presets
	for name, act := range st.PII {
		named[name], _ = content.ParseAction(act)
	}
	o.Actions = content.ExpandPII(named)
	names := map[string]int{} // a rule of the same name replaces the earlier one
	for _, d := range st.Deny {
		a := content.Block
		if d.Action != "" {
			a, _ = content.ParseAction(d.Action)
		}
		r := &content.DenyRule{Name: d.Name, Action: a, Phrases: d.Phrases}
		if d.Pattern != "" {
			r.Pattern = regexp.MustCompile(d.Pattern)
		}
		if i, ok := names[d.Name]; ok {
			o.Deny[i] = r
			continue
		}
		names[d.Name] = len(o.Deny)
		o.Deny = append(o.Deny, r)
	}
	for _, f := range st.Fields.Include {
		p, _ := config.ParseFieldPath(f)
		o.Include = append(o.Include, p)
	}
	for _, f := range st.Fields.Exclude {
		p, _ := config.ParseFieldPath(f)
		o.Exclude = append(o.Exclude, p)
	}
	return content.NewPolicy(o)
}
