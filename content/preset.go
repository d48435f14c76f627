package content

import (
	"maps"
	"slices"
)

// presets are named sets of entities that content.*.pii may name in place
// of listing them (docs/content.md, "Presets", maps each to the wording
// of its regulation).
var presets = map[string][]Entity{
	// 45 CFR 164.514(b)(2)(i): the identifiers of the Safe Harbor method
	// that text can carry (biometrics and photographs it cannot).
	"hipaa_safe_harbor": {
		Person,                              // (A) names
		StreetAddress, Location, PostalCode, // (B) geographic subdivisions smaller than a state
		Date, Age, // (C) dates (except year) related to an individual; ages
		Phone,                           // (D) telephone and (E) fax numbers
		Email,                           // (F)
		USSSN,                           // (G)
		MedicalRecordNumber,             // (H)
		HealthPlanID,                    // (I)
		AccountNumber, CreditCard, IBAN, // (J) account numbers
		USDriverLicense, NPI, DEANumber, // (K) certificate/license numbers
		VIN, LicensePlate, // (L) vehicle identifiers and license plates
		IMEI, MACAddress, // (M) device identifiers and serial numbers
		URL, Domain, // (N) web URLs
		IPAddress,                                    // (O)
		Passport, UKNHSNumber, DETaxID, FRNIR, ESDNI, // (R) any other unique identifying number
		ITFiscalCode, NLBSN, PLPESEL,
	},
	// GDPR Art. 4(1): identifiers of a natural person (a name, an
	// identification number, location data, an online identifier), and
	// Art. 9's health data identifiers. Organisations are not persons
	// (Recital 14).
	"gdpr": {
		Person, StreetAddress, Location, PostalCode, Date, Age, Email, Phone, IPAddress, MACAddress, URL,
		IBAN, CreditCard, AccountNumber, Passport, USDriverLicense, USSSN, UKNHSNumber, DETaxID, FRNIR, ESDNI,
		ITFiscalCode, NLBSN, PLPESEL, MedicalRecordNumber, HealthPlanID, NPI, DEANumber, VIN, LicensePlate, IMEI,
	},
	// PCI DSS: cardholder data: the primary account number and the
	// cardholder's name.
	"pci": {CreditCard, Person},
}

// Presets are the names of the presets, sorted.
func Presets() []string { return slices.Sorted(maps.Keys(presets)) }

// PIIKey reports whether name may be a key of content.*.pii: an entity or
// a preset.
func PIIKey(name string) bool {
	_, entity := ParseEntity(name)
	_, preset := presets[name]
	return entity || preset
}

// ExpandPII turns a pii map, whose keys are entities or presets, into an
// action per entity. A preset gives its action to each of its entities;
// an entity named itself keeps its own action whatever the presets say;
// an entity in two presets gets the stricter action. Unknown keys are
// skipped (configuration validation reports them).
func ExpandPII(m map[string]Action) map[Entity]Action {
	out := map[Entity]Action{}
	for name, a := range m {
		for _, e := range presets[name] {
			if cur, ok := out[e]; !ok || a > cur {
				out[e] = a
			}
		}
	}
	for name, a := range m {
		if e, ok := ParseEntity(name); ok {
			out[e] = a
		}
	}
	return out
}

// ExpandEntities turns a list of entity and preset names (an approval
// rule's entities) into the entity names it covers, each once, in the
// order first met. Unknown names are kept as they are (configuration
// validation reports them).
func ExpandEntities(names []string) []string {
	var out []string
	add := func(n string) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, n := range names {
		if es, ok := presets[n]; ok {
			for _, e := range es {
				add(e.String())
			}
			continue
		}
		add(n)
	}
	return out
}
