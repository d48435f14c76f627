package gateway

import (
	"regexp"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/content"
)

// RequestContentPolicy is the content.request policy of c, as the gateway
// applies it; key keys the hash action (kms.PurposeContentHash).
func RequestContentPolicy(c *config.Config, key []byte) *content.Policy {
	return contentPolicy(c.Content.Request, c.Content.PhoneRegions, key)
}

// contentPolicy compiles one direction of the content configuration
// (validated already). key is the keyed-hash action's key.
func contentPolicy(st config.ContentStage, regions []string, key []byte) *content.Policy {
	o := content.PolicyOptions{Actions: map[content.Entity]content.Action{}, PhoneRegions: regions, HashKey: key, InjectionThreshold: st.InjectionThreshold}
	switch st.Injection {
	case "block":
		o.Injection = content.Block
	case "flag":
		o.Injection = content.Flag
	}
	for name, act := range st.PII {
		e, _ := content.ParseEntity(name)
		a, _ := content.ParseAction(act)
		o.Actions[e] = a
	}
	for _, d := range st.Deny {
		a := content.Block
		if d.Action != "" {
			a, _ = content.ParseAction(d.Action)
		}
		r := &content.DenyRule{Name: d.Name, Action: a, Phrases: d.Phrases}
		if d.Pattern != "" {
			r.Pattern = regexp.MustCompile(d.Pattern)
		}
		o.Deny = append(o.Deny, r)
	}
	return content.NewPolicy(o)
}
