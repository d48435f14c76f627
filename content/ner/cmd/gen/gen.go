package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/wardenhq/warden/content/ner"
)

type gen struct {
	rng  *rand.Rand
	p    *pools
	lang string
	b    strings.Builder
	sp   []ner.DocSpan
}

func (g *gen) pick(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[g.rng.IntN(len(xs))]
}
func (g *gen) words(s string) string { return strings.ReplaceAll(g.pick(strings.Fields(s)), "_", " ") }
func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// lit writes text with no label; ent writes a labelled value.
func (g *gen) lit(s string) { g.b.WriteString(s) }
func (g *gen) ent(s, typ string) {
	start := g.b.Len()
	g.b.WriteString(s)
	g.sp = append(g.sp, ner.DocSpan{Start: start, End: g.b.Len(), Type: typ})
}

// doc renders one to three templates of one language and domain.
func (g *gen) doc(set *templateSet) ner.Doc {
	key := set.keys[g.rng.IntN(len(set.keys))]
	if set == trainTemplates {
		switch r := g.rng.Float64(); {
		case r < 0.25:
			key = "en/mix"
		case r < 0.32:
			key = "de/mix"
		case r < 0.39:
			key = "fr/mix"
		case r < 0.46:
			key = "es/mix"
		}
	}
	ts := set.by[key]
	lang, domain, _ := strings.Cut(key, "/")
	g.lang = lang
	g.b.Reset()
	g.sp = nil
	n := 1 + g.rng.IntN(3)
	for k := 0; k < n; k++ {
		if k > 0 {
			if g.chance(0.5) {
				g.lit("\n")
			} else {
				g.lit(" ")
			}
		}
		if domain == "mix" && (lang == "en" || g.chance(0.7)) {
			g.mixSentence()
		} else {
			g.render(g.pick(ts))
		}
	}
	text := g.b.String()
	switch r := g.rng.Float64(); {
	case r < 0.04: // ALL CAPS forms and headers
		text = strings.ToUpper(text)
	case r < 0.07 && lang == "en" && domain != "negative": // chat typed in lower case ("hi i'm john smith")
		text = lowerASCII(text)
	}
	text = strings.ReplaceAll(text, "_", " ")
	spans := append([]ner.DocSpan(nil), g.sp...)
	if len(spans) > 0 && g.chance(0.06) {
		// a streamed response is filtered in pieces cut between tokens, so
		// a value must be found at the very end of a text too ("…
		// Springfield, " before the rest has come)
		k := g.rng.IntN(len(spans))
		cut := spans[k].End
		for n := g.rng.IntN(3); n > 0 && cut < len(text) && (text[cut] == ',' || text[cut] == ' '); n-- {
			cut++
		}
		text, spans = text[:cut], spans[:k+1]
	}
	return ner.Doc{Text: text, Spans: spans, Domain: domain, Lang: lang}
}

func (g *gen) render(t string) {
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			g.lit(t)
			return
		}
		g.lit(t[:i])
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			g.lit(t[i:])
			return
		}
		g.slot(t[i+1 : i+j])
		t = t[i+j+1:]
	}
}

func (g *gen) first() string {
	if g.chance(0.01) {
		return g.words(placeLikeFirst)
	}
	if g.lang != "en" && g.chance(0.15) {
		return g.pick(g.p.first["en"])
	}
	if g.chance(0.04) {
		return g.words(nlFirst + " " + itFirst)
	}
	return g.pick(g.p.first[g.lang])
}

func (g *gen) last() string {
	if g.chance(0.04) { // Dutch and Italian surnames, with their particles
		return g.words(nlParticles) + g.words(nlLast)
	}
	if g.chance(0.03) {
		return g.words(itParticles) + g.words(itLast)
	}
	if g.lang != "en" && g.chance(0.1) {
		return g.pick(g.p.last["en"])
	}
	if g.lang != "en" && g.chance(0.06) {
		return g.words(map[string]string{"de": "von_ von_der_ zu_ vom_", "fr": "de_ du_ de_la_ Le_", "es": "de_ de_la_ del_ de_los_"}[g.lang]) + g.pick(g.p.last[g.lang])
	}
	l := g.pick(g.p.last[g.lang])
	if g.lang == "es" && g.chance(0.4) {
		l += " " + g.pick(g.p.last["es"])
	}
	if g.chance(0.04) {
		l += "-" + g.pick(g.p.last[g.lang])
	}
	return l
}

// person returns a full name in one of the usual forms.
func (g *gen) person() string {
	switch r := g.rng.IntN(20); {
	case r < 12:
		return g.first() + " " + g.last()
	case r < 14:
		return g.first() + " " + string(rune('A'+g.rng.IntN(26))) + ". " + g.last()
	case r < 15:
		return string(rune('A'+g.rng.IntN(26))) + ". " + g.last()
	case r < 16 && g.lang == "en":
		return g.first() + " " + g.last() + " " + g.words("Jr. Sr. III II")
	case r < 17:
		return g.first() + " " + g.first() + " " + g.last()
	default:
		return g.first() + " " + g.last()
	}
}

func (g *gen) title() string {
	switch g.lang {
	case "de":
		return g.words("Herr Frau Dr. Prof. Herrn Frau_Dr.")
	case "fr":
		return g.words("M. Mme Madame Monsieur Dr Docteur Me Mlle Pr")
	case "es":
		return g.words("Sr. Sra. Don Doña Dr. Dra. señor señora Srta.")
	}
	return g.words("Mr. Mrs. Ms. Dr. Dr. Prof. Mr Mrs Ms Dr Miss Rev.")
}

// city returns a city from the list or, now and then, a made-up town
// ("Port Kellyside", "East Jennaview"): places too small for any list must
// be found from their shape and context.
func (g *gen) city() string {
	if g.lang == "en" && g.chance(0.06) {
		return strings.TrimSpace(g.words("Lake_ East_ West_ North_ South_ New_ Port_ _ _ _ _") + g.first() + g.words("port ville side furt berg mouth haven town borough view fort chester bury land stad shire ton field"))
	}
	return g.pick(g.p.city[g.lang])
}

func (g *gen) region() string {
	if g.lang == "en" && g.chance(0.12) {
		return g.words("Lake_ Mount_ Port_ Fort_ _ _") + g.last() + g.words(" County _County _Valley _Bay _Heights _Hills _Springs")
	}
	if g.lang == "en" && g.chance(0.5) {
		return g.pick(g.p.region["en"][:min(len(g.p.region["en"]), 1000)])
	}
	return g.pick(g.p.region[g.lang])
}

func (g *gen) zip() string {
	switch g.lang {
	case "en":
		if g.chance(0.8) {
			return fmt.Sprintf("%05d", g.rng.IntN(99999))
		}
		return fmt.Sprintf("%c%d%c %d%c%c", 'A'+g.rng.IntN(26), g.rng.IntN(10), 'A'+g.rng.IntN(26), g.rng.IntN(10), 'A'+g.rng.IntN(26), 'A'+g.rng.IntN(26))
	default:
		return fmt.Sprintf("%05d", g.rng.IntN(99999))
	}
}

func (g *gen) houseNum() string {
	n := fmt.Sprint(1 + g.rng.IntN(g.pick2(30, 300, 9999)))
	if g.lang == "en" && g.chance(0.1) {
		n = fmt.Sprintf("%05d", g.rng.IntN(99999))
	}
	if g.chance(0.08) {
		n += string(rune('a' + g.rng.IntN(4)))
		if g.lang == "en" {
			n = strings.ToUpper(n)
		}
	}
	return n
}

func (g *gen) pick2(a, b, c int) int {
	switch g.rng.IntN(3) {
	case 0:
		return a
	case 1:
		return b
	}
	return c
}

func (g *gen) unit() string {
	switch g.lang {
	case "de":
		return g.words("Wohnung_3 2._OG Whg._12 App._5 3._Stock")
	case "fr":
		return g.words("Appt_12 Bât._B 3e_étage Apt_4 Esc._A")
	case "es":
		return g.words("2º_B 3º_izq. piso_4 Puerta_2 1ºA")
	}
	return fmt.Sprintf("%s %d%s", g.words("Apt Apt. Suite Ste Unit # Apartment Floor Room Bldg"), 1+g.rng.IntN(g.pick2(9, 40, 999)), g.words("_ _ _ A B C"))
}

// street returns the street part of an address: number, name, type, unit.
func (g *gen) street() string {
	name := g.pick(g.p.street[g.lang])
	var s string
	switch g.lang {
	case "de":
		switch g.rng.IntN(5) {
		case 0, 1:
			s = strings.ReplaceAll(name, " ", "-") + g.words("straße straße str. weg allee platz gasse ring damm")
		case 2:
			s = name + g.words("-Straße _Straße _Weg _Allee -Platz")
		case 3:
			s = g.words("Am_ An_der_ Im_ Auf_dem_ Zum_") + name + g.words("berg hof feld _ garten")
		default:
			s = strings.ReplaceAll(name, " ", "-") + "straße"
		}
		s = strings.ReplaceAll(s, "_", " ") + " " + g.houseNum()
	case "fr":
		s = g.houseNum() + g.words("_ _ _ bis, ter,") + " " + g.words("rue rue rue avenue boulevard place chemin allée impasse quai bd av.") + " " + name
		s = strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), ",", "")
	case "es":
		s = g.words("Calle Calle C/ Avenida Av. Paseo Plaza Camino Carrera Calzada") + " " + name + g.words(",_ _ _nº_ ,_nº_") + g.houseNum()
		s = strings.ReplaceAll(s, "_", " ")
	default:
		dir := ""
		if g.chance(0.15) {
			dir = g.words("N. S. E. W. North South East West NW SE") + " "
		}
		typ := g.words("Street St. St Avenue Ave Ave. Road Rd. Rd Boulevard Blvd Blvd. Lane Ln Drive Dr. Dr Court Ct Way Place Pl Terrace Parkway Circle Highway Trail")
		if g.chance(0.3) {
			typ = g.words(usps)
		}
		if g.chance(0.2) {
			name = g.first() + g.words("_ _ _ _Mill _Creek _Hill")
		}
		s = g.houseNum() + " " + dir + strings.ReplaceAll(name, "_", " ") + " " + typ
		if g.chance(0.1) { // a street without a number is still a street
			s = strings.ReplaceAll(name, "_", " ") + " " + g.words("Street Avenue Road Boulevard Lane Drive Street Avenue")
		}
		if g.chance(0.05) {
			s = g.words("P.O._Box PO_Box") + " " + fmt.Sprint(100+g.rng.IntN(9000))
			s = strings.ReplaceAll(s, "_", " ")
		}
	}
	if g.chance(0.2) {
		sep := g.words(", _ ,")
		s += strings.ReplaceAll(sep, "_", " ") + g.unit()
		s = strings.ReplaceAll(s, "_", " ")
	}
	return strings.Join(strings.Fields(s), " ")
}

// fullAddress writes street, city, region and postcode in the language's order.
func (g *gen) fullAddress(sep string) {
	g.ent(g.street(), "street_address")
	g.lit(sep)
	switch g.lang {
	case "en":
		g.ent(g.city(), "location")
		if g.chance(0.6) && len(g.p.regionCode["en"]) > 0 {
			g.lit(", ")
			g.ent(g.pick(g.p.regionCode["en"]), "location")
		} else if g.chance(0.5) {
			g.lit(", ")
			g.ent(g.region(), "location")
		}
		if g.chance(0.7) {
			g.lit(" " + g.zip())
		}
	default:
		g.lit(g.zip() + " ")
		g.ent(g.city(), "location")
	}
}

func (g *gen) org() string {
	switch r := g.rng.IntN(14); r {
	case 2, 6:
		return g.pick(famousOrgs)
	case 7:
		return g.publicOrg()
	case 3, 8, 9:
		return g.hospital()
	case 4, 10:
		return g.university()
	default:
		return g.company()
	}
}

func (g *gen) company() string {
	suffix := map[string]string{
		"en": "Inc. Inc LLC Ltd Ltd. Corp. Corporation Co. Group Holdings PLC LLP Partners B.V. N.V. S.p.A. S.r.l. _ _ _",
		"de": "GmbH GmbH AG KG GmbH_&_Co._KG e.V. Gruppe _ _ mbH UG",
		"fr": "SARL SA SAS S.A. SNC Groupe _ _ & Cie",
		"es": "S.L. S.A. S.L.U. SA Grupo _ _ y_Cía.",
	}[g.lang]
	suf := strings.ReplaceAll(g.words(suffix), "_", " ")
	var core string
	switch g.rng.IntN(6) {
	case 0:
		core = g.last()
	case 1:
		switch g.rng.IntN(3) {
		case 0:
			core = g.last() + ", " + g.last() + g.words(" and_ &_ y_ und_ et_") + g.last()
		case 1:
			core = g.last() + "-" + g.last()
		default:
			core = g.last() + g.words(" &_ _and_ _y_ _und_") + g.last()
		}
		core = strings.ReplaceAll(core, "_", " ")
	case 2:
		core = g.words(orgAdj) + " " + g.words(orgNoun)
	case 3:
		core = g.city() + " " + g.words(orgNoun)
	case 4:
		core = g.words(orgAdj) + g.words(orgTail)
	default:
		core = g.words(orgAdj) + " " + g.words(orgAdj) + " " + g.words(orgNoun)
	}
	if strings.TrimSpace(suf) == "" {
		return core
	}
	if strings.HasPrefix(suf, "&") {
		return core + " " + suf
	}
	return core + " " + suf
}

// publicOrg returns a public body or utility.
func (g *gen) publicOrg() string {
	switch g.lang {
	case "de":
		return g.words("Stadtwerke_ Sparkasse_ Stadtverwaltung_ Amtsgericht_ Volksbank_ Finanzamt_") + g.city()
	case "fr":
		return g.words("Mairie_de_ Préfecture_de_ Tribunal_de_ Caisse_d'Épargne_de_") + g.city()
	case "es":
		return g.words("Ayuntamiento_de_ Banco_de_ Juzgado_de_ Universidad_de_ Diputación_de_") + g.city()
	}
	switch g.rng.IntN(5) {
	case 0:
		return "City of " + g.city()
	case 1:
		return g.city() + g.words(" Police_Department _Fire_Department _Public_Library _School_District _City_Council")
	case 2:
		return g.region() + g.words(" Department_of_Health Department_of_Transportation State_University Department_of_Revenue")
	case 3:
		return g.words("Bank_of_ Port_of_ Museum_of_ Diocese_of_") + g.city()
	}
	return g.region() + g.words(" Medical_Association _Bar_Association _Credit_Union _Power_&_Light")
}

func (g *gen) hospital() string {
	switch g.lang {
	case "de":
		return g.words("Universitätsklinikum_ Klinikum_ Städtisches_Klinikum_ Krankenhaus_ St._Marien-Krankenhaus_") + g.city()
	case "fr":
		return g.words("CHU_de_ Hôpital_de_ Clinique_de_ Centre_hospitalier_de_") + g.city()
	case "es":
		return g.words("Hospital_Universitario_de_ Hospital_General_de_ Clínica_ Hospital_") + g.city()
	}
	switch g.rng.IntN(4) {
	case 0:
		return g.city() + g.words(" General_Hospital _Medical_Center _Memorial_Hospital _Regional_Medical_Center _Children's_Hospital _Clinic")
	case 1:
		return "St. " + g.first() + "'s " + g.words("Hospital Medical_Center Health")
	case 2:
		return g.last() + g.words(" Memorial_Hospital _Clinic _Health_System _Medical_Group")
	}
	if g.chance(0.3) {
		return g.words(orgAdj) + g.words(" Hospitals _Surgery _Medical_Centre _MC _Health_Centre _Practice")
	}
	return g.words(orgAdj) + g.words(" Health _Medical_Center _Hospital _Care_Clinic")
}

func (g *gen) university() string {
	switch g.lang {
	case "de":
		return g.words("Universität_ Technische_Universität_ Hochschule_ Fachhochschule_") + g.city()
	case "fr":
		return g.words("Université_de_ Université_Paris-Saclay_ École_de_") + g.city()
	case "es":
		return g.words("Universidad_de_ Universidad_Autónoma_de_ Universidad_Politécnica_de_") + g.city()
	}
	if g.chance(0.2) {
		return g.last() + g.words(" Elementary _Elementary_School _High_School _Middle_School _Academy _Primary_School")
	}
	if g.chance(0.5) {
		return "University of " + g.city()
	}
	return g.last() + g.words(" University _College _Institute_of_Technology _Community_College")
}

// unlabelled fillers
func (g *gen) filler(name string) (string, bool) {
	r := g.rng
	switch name {
	case "DATE":
		d, m, y := 1+r.IntN(28), 1+r.IntN(12), 1940+r.IntN(85)
		switch g.lang {
		case "en":
			switch r.IntN(3) {
			case 0:
				return fmt.Sprintf("%02d/%02d/%d", m, d, y), true
			case 1:
				return fmt.Sprintf("%s %d, %d", enMonths[m-1], d, y), true
			}
			return fmt.Sprintf("%d-%02d-%02d", y, m, d), true
		case "de":
			return fmt.Sprintf("%02d.%02d.%d", d, m, y), true
		case "fr":
			return fmt.Sprintf("%d %s %d", d, frMonths[m-1], y), true
		}
		return fmt.Sprintf("%d de %s de %d", d, esMonths[m-1], y), true
	case "MONTH":
		switch g.lang {
		case "de":
			return g.words("Januar Februar März April Mai Juni Juli August September Oktober November Dezember"), true
		case "fr":
			return g.words(strings.Join(frMonths[:], " ")), true
		case "es":
			return g.words(strings.Join(esMonths[:], " ")), true
		}
		return g.words("May May May June April August March January"), true
	case "NUM":
		return fmt.Sprint(r.IntN(500)), true
	case "AGE":
		return fmt.Sprint(18 + r.IntN(80)), true
	case "TIME":
		return fmt.Sprintf("%02d:%02d", r.IntN(24), r.IntN(60)), true
	case "PHONE":
		return fmt.Sprintf("(%03d) %03d-%04d", 200+r.IntN(700), 200+r.IntN(700), r.IntN(10000)), true
	case "MRN":
		return fmt.Sprintf("%08d", r.IntN(99999999)), true
	case "ID":
		return fmt.Sprintf("%c%c-%05d", 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(99999)), true
	case "EMAIL":
		return strings.ToLower(g.pick(g.p.first["en"])) + "." + strings.ToLower(g.pick(g.p.last["en"])) + "@" + g.words("example.com mail.de corp.example gmail.com outlook.fr empresa.es"), true
	case "COUNTRY":
		return g.words(countries), true
	case "NAT":
		return g.words(nationalities), true
	case "PRODUCT":
		return g.words(products), true
	case "DISEASE":
		return g.words(diseases), true
	case "DRUG":
		return g.words(drugs), true
	case "CODE":
		return g.words(codeIdents), true
	case "HEADING":
		h := g.words(headings)
		if g.chance(0.3) {
			h = strings.ToUpper(h)
		}
		return h, true
	case "SYMPTOM":
		v := g.words(symptoms)
		if g.chance(0.5) {
			v = strings.ToUpper(v)
		}
		return v, true
	case "JOB":
		return g.words(jobs), true
	case "CRED":
		return g.words("MD RN PhD DO NP PA-C DDS MBA CPA Esq. LPN"), true
	case "DEPT":
		return g.words(depts), true
	case "WEEKDAY":
		return g.words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday"), true
	case "CAPWORD":
		return g.words(capWords), true
	case "DENOUN":
		return g.words(deNouns), true
	case "UIWORD":
		return g.words(uiWords), true
	}
	return "", false
}

// lowerASCII lower-cases ASCII letters only, so byte offsets stay.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (g *gen) slot(name string) {
	if g.mixSlot(name) {
		return
	}
	if v, ok := g.filler(name); ok {
		g.lit(v)
		return
	}
	switch name {
	case "PER":
		g.ent(g.person(), "person")
	case "FIRST":
		g.ent(g.first(), "person")
	case "LAST":
		g.ent(g.last(), "person")
	case "TPER": // title, then a name
		t := g.title()
		g.lit(t + " ")
		if g.chance(0.5) {
			g.ent(g.last(), "person")
		} else {
			g.ent(g.person(), "person")
		}
	case "LASTFIRST":
		g.ent(g.last()+", "+g.first(), "person")
	case "UPER": // a form's value in capitals, the form in mixed case
		g.ent(strings.ToUpper(g.person()), "person")
	case "ULASTFIRST":
		g.ent(strings.ToUpper(g.last()+", "+g.first()+g.words("_ _ _A _J _M _L")), "person")
	case "UCITY":
		g.ent(strings.ToUpper(g.city()), "location")
	case "UADDR":
		g.ent(strings.ToUpper(g.street()), "street_address")
	case "UORG":
		g.ent(strings.ToUpper(g.org()), "organization")
	case "CITY":
		g.ent(g.city(), "location")
	case "REGION":
		g.ent(g.region(), "location")
	case "CITYREG":
		g.ent(g.city(), "location")
		g.lit(", ")
		if g.lang == "en" && g.chance(0.6) {
			g.ent(g.pick(g.p.regionCode["en"]), "location")
		} else {
			g.ent(g.region(), "location")
		}
	case "ADDR":
		g.ent(g.street(), "street_address")
	case "FULLADDR":
		g.fullAddress(g.words(",_ ,_ ,_ _"))
	case "FULLADDRNL":
		g.fullAddress("\n")
	case "ORG":
		g.ent(g.org(), "organization")
	case "CO":
		g.ent(g.company(), "organization")
	case "HOSP":
		g.ent(g.hospital(), "organization")
	case "UNI":
		g.ent(g.university(), "organization")
	default:
		panic("gen: unknown slot " + name)
	}
}

var enMonths = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var frMonths = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
var esMonths = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

const (
	placeLikeFirst = `Paris Austin Florence Sydney Charlotte Jackson Lincoln Madison Georgia Virginia Dallas Savannah Phoenix Brooklyn Aurora Eden Jordan Chelsea Victoria Regina`
	orgAdj         = `Blue Northern Pacific Summit Apex Bright Green Silver Global United First Pioneer Vertex Harbor Atlas Crescent Evergreen Granite Horizon Keystone Liberty Meridian Nova Orion Pinnacle Quantum Redwood Sterling Titan Union Vanguard Westfield Zenith Alpine Coastal Cardinal Falcon Lakeshore Oakridge Riverside Sunrise Tri-County Allied Integrated Advanced Digital Precision National Continental Royal Imperial Golden Iron Nordic Baltic Alpen Rhein Sol Luz Étoile Lumière Atlántico`
	orgNoun        = `Analytics Systems Logistics Health Partners Capital Solutions Foods Pharmaceuticals Energy Networks Software Bank Insurance Consulting Technologies Labs Media Motors Airlines Manufacturing Construction Realty Ventures Biotech Therapeutics Robotics Dynamics Industries Financial Trust Security Telecom Logistik Bau Technik Versicherung Solutions Conseil Assurances Transportes Construcciones Seguros Tecnologías`
	orgTail        = `soft tech ware logic corp net data med gen tronics works`
	countries      = `United_States United_Kingdom New_Zealand South_Africa United_Arab_Emirates the_United_States the_Netherlands Germany France Spain Mexico Canada Italy Japan China India Brazil Australia Switzerland Austria Belgium Portugal Poland Ireland Argentina Colombia Chile Sweden Norway Netherlands`
	nationalities  = `German French Spanish Mexican Canadian Italian Japanese Chinese Indian Brazilian American British Swiss Austrian Irish Polish Dutch`
	products       = `iPhone Excel Windows_11 Slack Jira Kubernetes PostgreSQL Outlook Teams Zoom Photoshop Android Chrome Firefox Docker SharePoint Tableau Epic Cerner MyChart Python Java Linux macOS Kindle PlayStation Xbox Tesla_Model_3 Galaxy_S23 ThinkPad`
	diseases       = `Parkinson's_disease Crohn's_disease Alzheimer's_disease Hodgkin_lymphoma Graves'_disease Cushing's_syndrome Down_syndrome Bell's_palsy Lyme_disease Huntington's_disease Type_2_Diabetes COPD Hashimoto's_thyroiditis Guillain-Barré_syndrome Asperger_syndrome`
	drugs          = `Lisinopril Metformin Atorvastatin Amoxicillin Ibuprofen Warfarin Eliquis Humira Ozempic Prednisone Gabapentin Levothyroxine Omeprazole Xarelto Keytruda Tylenol Advil Aspirin`
	codeIdents     = `UserService.getName() PatientRecord AddressValidator NullPointerException HttpClient.Do() CustomerRepository OrderController.Create ParseStreetAddress() MainActivity SessionManager Kafka.Consumer S3Bucket`
	headings       = `Chief_Complaint History_of_Present_Illness Assessment_and_Plan Discharge_Summary Past_Medical_History Review_of_Systems Physical_Exam Action_Items Next_Steps Executive_Summary Terms_and_Conditions Release_Notes Known_Issues Background Findings Recommendations`
	usps           = `Cove Crossing Estates Fork Forks Heights Isle Junction Knoll Landing Loop Manor Mission Pass Path Pike Plaza Point Port Ridge Row Run Shoals Square Station Summit Trace Track Valley View Villages Walk Wells Crescent Close Gardens Mews Grove Hollow Meadows Mill Mills Orchard Oval Park Prairie Ranch Rapids Rest Shore Spring Springs Stream Turnpike Underpass Vista Alley Bypass Causeway Expressway Freeway Glen Green Harbor Haven Lake Lakes Light Lights Lodge Motorway Overpass Radial Ramp Route Skyway Spur Throughway Tunnel Via`
	symptoms       = `Abdominal_Pain Chest_Pain Shortness_of_Breath Headache Fever Nausea Back_Pain Dizziness Fatigue Cough Sore_Throat Syncope Palpitations`
	// Names of the Netherlands and Italy, for their shapes and particles
	// ("van der", "De"); the evaluation sets' names are left out.
	nlParticles = `van_ van_der_ van_den_ de_ ter_ van_de_ _ De_ Van_`
	nlLast      = `Dijk Meer Linden Broek Beek Wal Velde Leeuw Graaf Laan Hoek Poel Ven Kamp Bos Haan Wit Groot Boer Ruiter Brink Zanden Horst Molen Vliet Hout Steen Water Mulder Smit Meijer Dekker Vos Peters Hendriks Willems Kok`
	nlFirst     = `Daan Bram Lotte Ruben Joris Maartje Anouk Wouter Floor Sjoerd Marieke Koen Lieke Gijs Eline Niels Roel Ilse Hendrik Willemijn Jeroen`
	itParticles = `_ _ _ Di_ De_ Lo_ La_ Dal_ Della_ D'`
	itLast      = `Romano Colombo Ricci Marino Greco Bruno Gallo Costa Fontana Rinaldi Moretti Lombardi Barbieri Mancini Caruso Galli Leone Longo Gentile Martinelli Angelis Santis Rosa Amico Marco Vitale`
	itFirst     = `Alessandro Giulia Matteo Sara Lorenzo Martina Davide Federica Simone Valentina Andrea Paolo Silvia Stefano Roberta Antonio Alessia Riccardo Ilaria Fabio`
	// German nouns (capitalised, as German writes every noun) and English
	// interface and document words: not names. The evaluation sets' words
	// are left out.
	deNouns  = `Haus Auto Tisch Stuhl Fenster Tür Küche Wohnung Zimmer Garten Straßenbahn Zug Flughafen Bildschirm Tastatur Maus Rechner Server Datei Ordner Passwort Benutzer Konto Vertrag Angebot Auftrag Lieferung Zahlung Mahnung Kündigung Quittung Beleg Steuer Gehalt Lohn Urlaub Krankmeldung Arzt Ärztin Praxis Termin Rezept Tablette Husten Fieber Rücken Kopf Bauch Magen Herz Lunge Niere Blut Wunde Verband Röntgenbild Untersuchung Operation Narkose Pflege Station Besuch Familie Kinder Eltern Schule Unterricht Prüfung Zeugnis Ausbildung Studium Arbeit Stelle Abteilung Team Projekt Besprechung Protokoll Bericht Entwurf Frist Woche Monat Jahr Morgen Abend Wetter Regen Schnee Sonne Preis Kosten Summe Betrag Rabatt Ware Paket Karton Lager Versand Rücksendung Umtausch Garantie Reparatur Werkstatt Ersatzteil Motor Reifen Bremse Heizung Strom Wasser Gas Miete Nebenkosten Vermieter Mieter Schlüssel Briefkasten Antrag Formular Unterschrift Ausweis Behörde Gericht Urteil Klage Anwalt Frage Antwort Problem Lösung Hilfe Anleitung Einstellung Anmeldung Abmeldung Aktualisierung Absturz Meldung Fenster Knopf Taste Seite Liste Tabelle Spalte Zeile`
	uiWords  = `Preferences Profile Dashboard Cancel Submit Continue Next Back Delete Edit Upload Download Print Share Copy Paste Undo Redo Search Filter Sort Refresh Logout Login Help Home Menu Inbox Drafts Archive Trash Notifications Account Billing Security Advanced General Appearance Light_Mode Table Figure Appendix Exhibit Step Item Note Warning Tip Example Summary Overview Introduction Conclusion Abstract Contents Index Glossary Template Document Report Invoice Receipt Statement Policy Checklist Worksheet Spreadsheet Slide Button Tab Panel Window Dialog Toolbar Sidebar Header Footer Widget Plugin Module Feature Release Roadmap Sprint Backlog Epic Story Task Bug Issue Ticket Query Dataset Model Pipeline Workflow Cluster Node Instance Service Gateway Endpoint Token Session Cookie Cache`
	capWords = `Please Thanks Yes No Sure Unfortunately However Regarding Attached Following Today Tomorrow Additionally Note Also Great Okay Hello Hi Welcome Update Reminder Important Urgent Confidential`
)

var famousOrgs = strings.Split(`Google|Microsoft|Amazon|Apple Inc.|Deloitte|Siemens|Bosch|Renault|Telefónica|Banco Santander|Pfizer|Kaiser Permanente|Mayo Clinic|Walmart|IBM|Oracle|Accenture|McKinsey & Company|Goldman Sachs|JPMorgan Chase|Wells Fargo|Bank of America|UnitedHealth Group|Blue Cross Blue Shield|Aetna|Cigna|Johnson & Johnson|Procter & Gamble|Deutsche Bank|Allianz|BASF|SAP|Volkswagen|BMW|Lufthansa|Deutsche Telekom|Charité|L'Oréal|TotalEnergies|BNP Paribas|Société Générale|AXA|Carrefour|Airbus|Iberdrola|Inditex|Mapfre|Repsol|BBVA|CaixaBank|Mercadona|Red Cross|UNICEF|World Health Organization|Internal Revenue Service|Department of Veterans Affairs|NHS England|Medicare|FedEx|UPS|DHL|Verizon|AT&T|Comcast|Salesforce|Stripe|Shopify|Netflix|Uber|Airbnb|Cleveland Clinic|Starbucks|Best Buy|Target|Costco|Home Depot|CVS Pharmacy|Walgreens|Reuters|Associated Press|Bloomberg|Moderna|Zendesk|Atlassian|Spotify|Nestlé|Unilever|Novartis|Roche|Bayer|Merck|Kroger|Delta Air Lines|United Airlines|Boeing|Lockheed Martin|General Electric|Ford|Toyota|Honda|Samsung|Sony|Intel|Nvidia|Adobe|Cisco|PayPal|Visa|Mastercard|American Express|Citibank|HSBC|Barclays|Lloyds Bank|Vodafone|Orange|Deutsche Post|Sanofi|Danone|Zara|Seat|Telefónica|Correos|Johns Hopkins Hospital|Massachusetts General Hospital|Stanford University|Harvard Law School`, "|")
