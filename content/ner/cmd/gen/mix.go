package main

import "strings"

// The "mix" domain builds sentences from short context fragments, so that
// an entity type is seen after many different words, and the same words
// ("at", "from", "with") before every type: the model has to learn what a
// name, a place or a company looks like, not where a template puts it.
var (
	perFrags  = strings.Split(`{P} said|{P}, {CRED}|{P} {CRED}|{P}'s office|{P}'s car|{P} called yesterday|I spoke with {P}|according to {P}|thanks to {P}|{P} will handle it|ask {P}|{P} and {P} met|cc {P}|{P} is out today|{P}'s report was late|signed by {P}|assigned to {P}|{P} wrote back|{P} from accounting|{P} left a voicemail|please call {P}|{P} confirmed|my colleague {P}|the patient {P}|her husband {P}|his wife {P}|our client {P}|{P}, the new manager,|reviewed by {P}|{P} (ext. {NUM})|{P}, {AGE},|with {P}|to {P}|from {P}|for {P}|{P} agreed|{P} joined the call|{P} is on leave until {DATE}|I met {P} at the airport|{P} wants to know|{P} asked about {PRODUCT}|Grandma {P}|Uncle {P}|Aunt {P}|Judge {P}|Officer {P}|Coach {P}|Senator {P}|nurse {P}|Professor {P}|dear {P}|hi {P}|hello {P}|thanks {P}`, "|")
	locFrags  = strings.Split(`in {L}|from {L}|to {L}|near {L}|outside {L}|flew into {L}|the {L} office|based in {L}|the {L} area|drove to {L}|the {L} branch|moved to {L}|born in {L}|lives in {L}|resides in {L}|grew up in {L}|north of {L}|downtown {L}|the weather in {L}|{L} is expensive|{L} police|travelling to {L}|visited {L}|a hotel in {L}|between {L} and {L}|from {L} to {L}|at our {L} site|{L} residents|back in {L}|rain in {L}`, "|")
	orgFrags  = strings.Split(`at {O}|{O}'s new store|the {O} store on {A}|with {O}|{O} announced|shares of {O}|works for {O}|the contract with {O}|{O} said|joined {O}|from {O}|an offer from {O}|{O} and {O}|{O} reported a loss|invoice from {O}|a partnership with {O}|the {O} account|employed by {O}|{O} denied the claim|a letter from {O}|{O} customer service|{O} hired {NUM} people|acquired by {O}|{O}'s board|sued {O}|insured by {O}|admitted to {O}|transferred to {O}|studied at {O}|a grant from {O}`, "|")
	addrFrags = strings.Split(`at {A}|on {A}|to {A}|near {A}|located at {A}|lives at {A}|moved to {A}|the house on {A}|delivered to {A}|send it to {A}|our new office at {A}|the building at {A}|parked on {A}|a fire at {A}|address: {A}|ship to {A}|resides at {A}`, "|")
	negFrags  = strings.Split(`click {UIWORD}|the {UIWORD} page|{UIWORD} {NUM}|under {UIWORD} > {UIWORD}|on {WEEKDAY}|in {MONTH}|at {NUM}|in 2022|from 2019 to 2022|call 555-0{NUM}|{NUM} Main Menu items|the {JOB}, {JOB}|{DEPT} and {DEPT}|{PRODUCT} and {PRODUCT}|{CAPWORD} {JOB}|Grand Total {NUM}|the Annual Report|Terms of Service|the Board of Directors|Q{NUM} Results|{NUM} people|at {TIME}|aged {AGE}|in {COUNTRY}|{NAT} law|the {PRODUCT} update|{DISEASE} is stable|{DRUG} 10 mg|by {DATE}|ticket {ID}|call {CODE}|room {NUM}|{NUM} units|version {NUM}|the {JOB}|our {DEPT} team|in {COUNTRY} and {COUNTRY}|the {NAT} market|{NUM} percent|floor {NUM}|{NUM} years old|order {MRN}|at {TIME} on {WEEKDAY}|{MONTH} {NUM}|the {HEADING} section`, "|")
	openers   = strings.Split(`|||||{CAPWORD}, |{CAPWORD} |So |Also, |Yesterday |Last week |On {WEEKDAY}, |In {MONTH}, |Apparently |FYI: |Note: |- |* |> `, "|")
	joiners   = strings.Split(`, and |, but | and | while | after | because |. |; | — | before |, then |. {CAPWORD}, `, "|")
)

const (
	jobs  = `Senior_Engineer Product_Manager Chief_Executive_Officer Head_of_Sales Nurse_Practitioner Vice_President Software_Developer Data_Scientist Office_Manager Account_Executive Medical_Director General_Counsel Registered_Nurse Staff_Accountant`
	depts = `Human_Resources Customer_Success Accounts_Payable Internal_Medicine Legal Marketing Engineering Finance Operations Radiology Cardiology Emergency_Department IT_Support Quality_Assurance`
)

// frags holds the fragments of the other languages: person, place,
// organisation, address, negative, joiners.
var frags = map[string][6][]string{
	"de": {
		strings.Split(`{P} sagt|laut {P}|Herr {LAST}|Frau {LAST}|mit {P}|an {P}|von {P}|{P} hat angerufen|Rückruf an {P}|Tochter {FIRST}|Ehemann {P}|Patientin {P}|Dr. {LAST}|bei {P}|{P} ist krank|Grüße an {FIRST}|Kollege {P}`, "|"),
		strings.Split(`in {L}|aus {L}|nach {L}|bei {L}|wohnhaft in {L}|geboren in {L}|Standort {L}|Raum {L}|zwischen {L} und {L}|Filiale {L}`, "|"),
		strings.Split(`bei der {O}|die {O}|von der {O}|mit der {O}|im {O}|{O} meldet|Kunde der {O}|Vertrag mit der {O}|für die {O}|Rechnung der {O}|beim {O}`, "|"),
		strings.Split(`in der {A}|an {A}|Adresse: {A}|nach {A}|wohnt in der {A}|Lieferung an {A}`, "|"),
		strings.Split(`der {DENOUN}|im {DENOUN}|die {DENOUN}|{DENOUN} und {DENOUN}|mit dem {DENOUN}|am {DATE}|im {MONTH}|um {TIME} Uhr|{AGE} Jahre alt|in {COUNTRY}|Termin am {WEEKDAY}|Die Rechnung|Der Befund|Vielen Dank|Mit freundlichen Grüßen|Ihre Bestellung {ID}|Raum {NUM}|{NUM} Euro|die Diagnose {DISEASE}`, "|"),
		strings.Split(`, und | und |. |, aber | – |; |, weil `, "|"),
	},
	"fr": {
		strings.Split(`{P} a dit|selon {P}|M. {LAST}|Mme {LAST}|avec {P}|à {P}|de la part de {P}|{P} a appelé|rappeler {P}|sa fille {FIRST}|son mari {P}|la patiente {P}|le Dr {LAST}|chez {P}|{P} est absent|merci {FIRST}|notre collègue {P}`, "|"),
		strings.Split(`à {L}|de {L}|vers {L}|près de {L}|domicilié à {L}|né à {L}|le site de {L}|la région {L}|entre {L} et {L}|l'agence de {L}`, "|"),
		strings.Split(`chez {O}|le {O}|avec {O}|au {O}|à l'{O}|{O} annonce|client de {O}|contrat avec {O}|pour {O}|facture de {O}|hospitalisé au {O}|suivi au {O}`, "|"),
		strings.Split(`au {A}|{A}|adresse : {A}|livré au {A}|habite au {A}|domicilié au {A}`, "|"),
		strings.Split(`le {DATE}|en {MONTH}|à {TIME}|{AGE} ans|en {COUNTRY}|rendez-vous {WEEKDAY}|La facture|Le compte rendu|Merci beaucoup|Cordialement|Votre commande {ID}|salle {NUM}|{NUM} euros|diagnostic de {DISEASE}`, "|"),
		strings.Split(`, et | et |. |, mais | – |; |, car `, "|"),
	},
	"es": {
		strings.Split(`{P} dijo|según {P}|el señor {LAST}|la señora {LAST}|con {P}|a {P}|de parte de {P}|{P} llamó|llamar a {P}|su hija {FIRST}|su esposo {P}|la paciente {P}|el Dr. {LAST}|la Dra. {LAST}|{P} está de baja|gracias {FIRST}|nuestro compañero {P}`, "|"),
		strings.Split(`en {L}|de {L}|hacia {L}|cerca de {L}|vecino de {L}|nacido en {L}|la sede de {L}|la provincia de {L}|entre {L} y {L}|la oficina de {L}`, "|"),
		strings.Split(`en {O}|el {O}|con {O}|del {O}|al {O}|{O} anunció|cliente de {O}|contrato con {O}|para {O}|factura de {O}|ingresado en el {O}|atendido en el {O}`, "|"),
		strings.Split(`en {A}|{A}|dirección: {A}|enviado a {A}|vive en {A}|domicilio en {A}`, "|"),
		strings.Split(`el {DATE}|en {MONTH}|a las {TIME}|{AGE} años|en {COUNTRY}|cita el {WEEKDAY}|La factura|El informe|Muchas gracias|Atentamente|Su pedido {ID}|sala {NUM}|{NUM} euros|diagnóstico de {DISEASE}`, "|"),
		strings.Split(`, y | y |. |, pero | – |; |, porque `, "|"),
	},
}

func (g *gen) mixSentence() {
	if f, ok := frags[g.lang]; ok {
		g.mixSentenceFrom(f)
		return
	}
	g.render(g.pick(openers))
	n := 1 + g.rng.IntN(3)
	for k := 0; k < n; k++ {
		if k > 0 {
			g.render(g.pick(joiners))
		}
		var f string
		switch r := g.rng.IntN(11); {
		case r < 3:
			f = g.pick(perFrags)
		case r < 5:
			f = g.pick(locFrags)
		case r < 7:
			f = g.pick(orgFrags)
		case r < 8:
			f = g.pick(addrFrags)
		default:
			f = g.pick(negFrags)
		}
		if k == 0 && g.b.Len() == 0 || strings.HasSuffix(g.b.String(), ". ") {
			f = strings.ToUpper(f[:1]) + f[1:]
		}
		g.render(f)
	}
	g.lit(g.words(". . . ! ? _"))
}

func (g *gen) mixSentenceFrom(f [6][]string) {
	n := 1 + g.rng.IntN(3)
	for k := 0; k < n; k++ {
		if k > 0 {
			g.render(g.pick(f[5]))
		}
		var fr string
		switch r := g.rng.IntN(11); {
		case r < 3:
			fr = g.pick(f[0])
		case r < 5:
			fr = g.pick(f[1])
		case r < 7:
			fr = g.pick(f[2])
		case r < 8:
			fr = g.pick(f[3])
		default:
			fr = g.pick(f[4])
		}
		if g.b.Len() == 0 || strings.HasSuffix(g.b.String(), ". ") || strings.HasSuffix(g.b.String(), "\n") {
			fr = strings.ToUpper(fr[:1]) + fr[1:]
		}
		g.render(fr)
	}
	g.lit(g.words(". . . ! ? _"))
}

func (g *gen) mixSlot(name string) bool {
	switch name {
	case "P":
		g.slot(g.words("PER PER FIRST LAST PER TPER FIRST"))
	case "L":
		g.slot(g.words("CITY CITY CITY REGION CITYREG"))
	case "O":
		g.slot(g.words("ORG ORG CO HOSP UNI ORG"))
	case "A":
		g.slot(g.words("ADDR ADDR FULLADDR"))
	case "JOB":
		g.lit(g.words(jobs))
	case "DEPT":
		g.lit(g.words(depts))
	default:
		return false
	}
	return true
}
