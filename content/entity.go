// Package content finds sensitive values and forbidden content in text, and
// applies a policy to what it finds: allow, redact, mask, hash or block.
// Detectors are precise (checksums, issuer ranges, number plans) and run in
// one pass over the text; nothing here logs, and no error or finding
// carries a matched value out except as the position of the text.
package content

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// Entity is a kind of sensitive value.
type Entity uint8

// The entities (the keys of content.*.pii; docs/content.md, "Detectors").
const (
	Email Entity = iota
	Phone
	CreditCard
	USSSN
	IBAN
	IPAddress
	Secret
	numEntities
)

var entityNames = [numEntities]string{"email", "phone", "credit_card", "us_ssn", "iban", "ip_address", "secret"}

// placeholder names, as in [EMAIL_1].
var entityTags = [numEntities]string{"EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS", "SECRET"}

func (e Entity) String() string {
	if e < numEntities {
		return entityNames[e]
	}
	return fmt.Sprintf("entity(%d)", e)
}

// Entities are the names of every entity, in order.
func Entities() []string { return entityNames[:] }

// ParseEntity returns the entity named name.
func ParseEntity(name string) (Entity, bool) {
	for i, n := range entityNames {
		if n == name {
			return Entity(i), true
		}
	}
	return 0, false
}

// Action is what a policy does with a finding.
type Action uint8

// Actions, from the mildest.
const (
	Allow  Action = iota // leave it (not recorded)
	Flag                 // leave it, and record that it was seen
	Mask                 // keep the last four characters: ***-***-2671
	Hash                 // replace with a keyed hash: [EMAIL:3f2a…]
	Redact               // replace with a typed placeholder: [EMAIL_1]
	Block                // refuse the request (or cut the response)
)

var actionNames = [...]string{"allow", "flag", "mask", "hash", "redact", "block"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// ParseAction returns the action named name.
func ParseAction(name string) (Action, bool) {
	for i, n := range actionNames {
		if n == name {
			return Action(i), true
		}
	}
	return 0, false
}

// Region reports whether r is a region (ISO 3166 code) with a known phone
// number plan.
func Region(r string) bool { return phonenumbers.GetCountryCodeForRegion(r) != 0 }
