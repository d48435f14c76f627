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
// Person, StreetAddress, Location and Organization are found by the name
// model (content/ner); the rest by the patterns of detect.go and ids.go.
const (
	Email Entity = iota
	Phone
	CreditCard
	USSSN
	IBAN
	IPAddress
	Secret
	Person
	StreetAddress
	Location
	Organization
	Date
	Age
	PostalCode
	URL
	Domain
	USDriverLicense
	Passport
	MedicalRecordNumber
	HealthPlanID
	NPI
	DEANumber
	AccountNumber
	VIN
	LicensePlate
	MACAddress
	IMEI
	UKNHSNumber
	DETaxID
	FRNIR
	ESDNI
	ITFiscalCode
	NLBSN
	PLPESEL
	numEntities
)

// entityNames and entityTags (the placeholders' names, as in [EMAIL_1]).
var entityNames, entityTags = func() (names, tags [numEntities]string) {
	for e, n := range [numEntities][2]string{
		{"email", "EMAIL"}, {"phone", "PHONE"}, {"credit_card", "CREDIT_CARD"}, {"us_ssn", "US_SSN"}, {"iban", "IBAN"},
		{"ip_address", "IP_ADDRESS"}, {"secret", "SECRET"},
		{"person", "PERSON"}, {"street_address", "STREET_ADDRESS"}, {"location", "LOCATION"}, {"organization", "ORGANIZATION"},
		{"date", "DATE"}, {"age", "AGE"}, {"postal_code", "POSTAL_CODE"}, {"url", "URL"}, {"domain", "DOMAIN"},
		{"us_driver_license", "US_DRIVER_LICENSE"}, {"passport", "PASSPORT"}, {"medical_record_number", "MRN"},
		{"health_plan_id", "HEALTH_PLAN_ID"}, {"npi", "NPI"}, {"dea_number", "DEA_NUMBER"}, {"account_number", "ACCOUNT_NUMBER"},
		{"vin", "VIN"}, {"license_plate", "LICENSE_PLATE"}, {"mac_address", "MAC_ADDRESS"}, {"imei", "IMEI"},
		{"uk_nhs_number", "UK_NHS_NUMBER"}, {"de_tax_id", "DE_TAX_ID"}, {"fr_nir", "FR_NIR"}, {"es_dni", "ES_DNI"},
		{"it_fiscal_code", "IT_FISCAL_CODE"}, {"nl_bsn", "NL_BSN"}, {"pl_pesel", "PL_PESEL"},
	} {
		names[e], tags[e] = n[0], n[1]
	}
	return names, tags
}()

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
	Allow Action = iota // leave it (not recorded)
	Flag                // leave it, and record that it was seen
	Mask                // keep the last four characters: ***-***-2671
	Hash                // replace with a keyed hash: [EMAIL:3f2a…]
	// Pseudonymize replaces a value with a typed placeholder toward the
	// model, as Redact does, and the response gives the client the
	// original back (Session.Pseudonyms; requests only).
	Pseudonymize
	Redact // replace with a typed placeholder: [EMAIL_1]
	Block  // refuse the request (or cut the response)
)

var actionNames = [...]string{"allow", "flag", "mask", "hash", "pseudonymize", "redact", "block"}

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
