// Command gazetteer builds content/ner/data/gazetteer.txt.gz from the
// public-domain and permissively licensed lists in a PII data directory
// (see its README for sources and licences) plus the short hand-written
// lists below.
//
//	go run ./content/ner/cmd/gazetteer -src /work/shared/data/pii -out content/ner/data
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/content/ner"
	"github.com/wardenhq/warden/content/ner/internal/source"
)

func main() {
	src := flag.String("src", "/work/shared/data/pii", "directory of the PII gazetteer CSVs")
	out := flag.String("out", "content/ner/data", "output directory")
	flag.Parse()
	g := build(*src)
	if err := write(filepath.Join(*out, "gazetteer.txt.gz"), g); err != nil {
		log.Fatal(err)
	}
	var counts [ner.NumGaz]int
	for _, f := range g {
		for b := 0; b < ner.NumGaz; b++ {
			if f&(1<<b) != 0 {
				counts[b]++
			}
		}
	}
	for b, c := range counts {
		fmt.Printf("%-12s %d\n", ner.GazNames[b], c)
	}
	fmt.Printf("%d entries\n", len(g))
}

type gaz map[string]uint32

func (g gaz) add(s string, f uint32) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 60 || strings.ContainsAny(s, "()[];\"") {
		return
	}
	g[s] |= f
}

// readCSV reads a source file, or stops the command.
func readCSV(path string) [][]string {
	rows, err := source.ReadCSV(path)
	if err != nil {
		log.Fatal(err)
	}
	return rows
}

func build(src string) gaz {
	g := gaz{}
	p := func(name string) string { return filepath.Join(src, name) }

	// Given names: SSA totals, pruned to names given at least 1,500 times.
	ssa := readCSV(p("first_names_us_ssa.csv"))
	sort.SliceStable(ssa, func(i, j int) bool { return atoi(ssa[i][2]) > atoi(ssa[j][2]) })
	for i, r := range ssa {
		if atoi(r[2]) < 1500 {
			break
		}
		f := ner.GFirst
		if i < 2000 {
			f |= ner.GFirstTop
		}
		g.add(r[0], f)
	}
	for _, file := range []string{"first_names_us_census1990_male.csv", "first_names_us_census1990_female.csv"} {
		for _, r := range readCSV(p(file)) {
			g.add(r[0], ner.GFirst)
		}
	}
	for _, n := range euroFirst {
		g.add(n, ner.GFirst|ner.GFirstTop)
	}
	// Surnames: Census 1990 (rank order) and the top of Census 2010.
	for i, r := range readCSV(p("surnames_us_census1990.csv")) {
		f := ner.GLast
		if i < 3000 {
			f |= ner.GLastTop
		}
		g.add(r[0], f)
	}
	for _, r := range readCSV(p("surnames_us_census2010_top1000.csv")) {
		g.add(r[0], ner.GLast|ner.GLastTop)
	}
	for _, n := range euroLast {
		g.add(n, ner.GLast|ner.GLastTop)
	}
	// Places.
	for _, r := range readCSV(p("world_cities_geonames15000.csv")) {
		g.add(r[0], ner.GCity)
		g.add(r[2], ner.GRegion)
	}
	for _, r := range readCSV(p("admin_divisions_factbook.csv")) {
		g.add(r[2], ner.GRegion)
	}
	for _, r := range readCSV(p("states_provinces_libpostal.csv")) {
		g.add(r[3], ner.GRegion)
		code := strings.Trim(r[1], `"`)
		if len(code) == 2 && (r[0] == "US" || r[0] == "CA") {
			g.add(code, ner.GStateCode)
		}
	}
	for _, r := range readCSV(p("countries_iso.csv")) {
		for _, c := range r[:4] {
			g.add(c, ner.GCountry)
		}
	}
	for _, r := range readCSV(p("countries_factbook.csv")) {
		g.add(r[0], ner.GCountry)
		g.add(r[2], ner.GCountry)
		g.add(r[4], ner.GCountry) // the local short name ("Deutschland", "España")
	}
	for _, r := range readCSV(p("nationalities_factbook.csv")) {
		g.add(r[2], ner.GCountry)
		g.add(strings.TrimSuffix(r[1], "(s)"), ner.GCountry)
	}
	// Address, title and company words (libpostal), in the languages the model is trained for.
	langs := map[string]bool{"en": true, "de": true, "fr": true, "es": true, "it": true, "nl": true, "pt": true}
	dicts := map[string]uint32{
		"street_types": ner.GStreet, "unit_types_numbered": ner.GUnit, "unit_types_standalone": ner.GUnit,
		"level_types_numbered": ner.GUnit, "post_office": ner.GUnit, "personal_titles": ner.GTitle,
		"company_types": ner.GOrgSuffix, "directionals": ner.GDirectional, "personal_suffixes": ner.GPersSuffix,
		"place_names": ner.GPlaceWord, "toponyms": ner.GRegion,
	}
	for _, r := range readCSV(p("address_and_affix_terms_libpostal.csv")) {
		f, ok := dicts[r[0]]
		if !ok || !langs[r[1]] {
			continue
		}
		g.add(r[2], f)
		for _, v := range strings.Split(r[3], "|") {
			if len([]rune(v)) >= 2 {
				g.add(v, f)
			}
		}
	}
	for _, r := range readCSV(p("org_legal_suffixes_cleanco.csv")) {
		if len(r) == 3 && len([]rune(r[2])) >= 2 {
			g.add(r[2], ner.GOrgSuffix)
		}
	}
	for _, o := range strings.Split(knownOrgs, "|") {
		g.add(strings.TrimSpace(o), ner.GOrgKnown)
	}
	for _, list := range []struct {
		words string
		f     uint32
	}{
		{orgNouns, ner.GOrgNoun}, {months, ner.GMonth}, {common, ner.GCommon},
		{ctxPer, ner.GContextPer}, {ctxLoc, ner.GContextLoc}, {titles, ner.GTitle}, {deNouns, ner.GCommon},
	} {
		for _, w := range strings.Fields(list.words) {
			g.add(strings.ReplaceAll(w, "_", " "), list.f)
		}
	}
	return g
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func write(path string, g gaz) error {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	var w io.Writer = zw
	for _, k := range keys {
		fmt.Fprintf(w, "%x\t%s\n", g[k], k)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// Hand-written lists: words are separated by spaces, "_" joins a phrase.
const (
	orgNouns = `university universität université universidad college school academy institute institut instituto hospital klinikum clinic klinik clinique clínica
	hôpital hospital centre center centro bank bancorp banque banco foundation stiftung fondation fundación association verein asociación
	council ministry ministerium ministère ministerio department agency authority commission committee trust society
	group gruppe groupe grupo holdings holding partners associates consulting solutions systems technologies technology
	labs laboratories pharmaceuticals pharma therapeutics health healthcare medical insurance assurance versicherung seguros
	services logistics industries enterprises capital ventures media software networks energy motors airlines airways
	church kirche église iglesia museum library bibliothek press news times journal gazette tribune
	federation union league club team fc cooperative coop corporation company compagnie compañía firm office bureau
	department police fire_department court tribunal gericht`
	months = `january february march april may june july august september october november december
	jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
	januar februar märz mai juni juli oktober dezember montag dienstag mittwoch donnerstag freitag samstag sonntag
	janvier février mars avril juin juillet août septembre octobre novembre décembre lundi mardi mercredi jeudi vendredi samedi dimanche
	enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre lunes martes miércoles jueves viernes sábado domingo`
	common = `city state zip zipcode address name company organization organisation country phone email street contact employer title department region county province
	the a an and or but if then of to in on at by for with from as is are was were be been being this that these those
	it its he she they we you i me him her them my your his our their not no yes all any some each every new old
	please thanks thank hello hi dear regards best sincerely note notes summary report update meeting today tomorrow yesterday
	der die das und oder ein eine einen dem den des mit von zu im am für auf ist sind war nicht sehr bitte danke herzliche grüße
	le la les un une des du et ou de à au aux en pour avec sur est sont pas très merci bonjour cordialement
	el los las unos unas y o del al con por para es son muy gracias hola saludos atentamente`
	ctxPer = `rn md phd np pa do dds patient patientin patiente paciente name nom nombre employee mitarbeiter employé empleado client customer kunde
	contact spouse wife husband son daughter mother father brother sister doctor physician nurse surgeon attorney lawyer
	signed sincerely regards from_dr referred attending author reviewer manager user member tenant applicant candidate
	mr mrs ms dr prof herr frau monsieur madame señor señora signed_by`
	ctxLoc = `in at near from to born lives resides resident located based moved city town village county province state region
	wohnhaft geboren in_der né née à domicilié nacido nacida vive reside ciudad ville stadt`
	titles = `judge officer grandma grandpa granny uncle aunt auntie coach captain senator president mayor governor nurse professor father sister brother pastor rabbi mr mrs ms miss mx dr prof sir dame herr frau fräulein monsieur madame mademoiselle mme mlle m señor señora señorita sr sra srta don doña dra rev hon`
)

// knownOrgs are large, well-known organisations, whose names carry no legal suffix.
const knownOrgs = `Google|Microsoft|Amazon|Apple|Meta|Facebook|Netflix|Tesla|IBM|Oracle|Intel|Nvidia|Adobe|Cisco|Salesforce|SAP|Siemens|Bosch|
Volkswagen|BMW|Mercedes-Benz|Daimler|Audi|Porsche|Allianz|BASF|Bayer|Lufthansa|Deutsche Bank|Commerzbank|Deutsche Telekom|Deutsche Bahn|Deutsche Post|
Renault|Peugeot|Michelin|L'Oréal|TotalEnergies|BNP Paribas|Société Générale|AXA|Carrefour|Airbus|Danone|Sanofi|Orange|
Telefónica|Santander|Banco Santander|BBVA|CaixaBank|Iberdrola|Inditex|Zara|Mapfre|Repsol|Mercadona|Correos|Seat|
Walmart|Target|Costco|Kroger|Home Depot|Best Buy|Starbucks|McDonald's|Coca-Cola|PepsiCo|Nike|Disney|Boeing|FedEx|UPS|DHL|
JPMorgan|JPMorgan Chase|Goldman Sachs|Morgan Stanley|Citibank|Citigroup|Wells Fargo|Bank of America|HSBC|Barclays|Lloyds|Visa|Mastercard|PayPal|
American Express|Verizon|AT&T|Comcast|T-Mobile|Vodafone|Samsung|Sony|Toyota|Honda|Nissan|Hyundai|Ford|General Motors|General Electric|
Pfizer|Moderna|Johnson & Johnson|Merck|Novartis|Roche|AstraZeneca|GSK|Aetna|Cigna|Humana|Kaiser Permanente|UnitedHealth|Anthem|
Blue Cross|Medicare|Medicaid|Mayo Clinic|Cleveland Clinic|Reuters|Associated Press|Bloomberg|BBC|CNN|Uber|Lyft|Airbnb|Spotify|
Zendesk|Atlassian|Shopify|Stripe|Slack Technologies|Deloitte|PwC|KPMG|Ernst & Young|EY|Accenture|McKinsey|Red Cross|UNICEF|
World Health Organization|WHO|United Nations|NATO|European Commission|FBI|CIA|IRS|NHS|NASA|CDC|FDA`

// deNouns are frequent German nouns: capitalised, but not names.
const deNouns = `termin rechnung vertrag tochter sohn morgen abend tag woche monat jahr jahre firma stadt arzt ärztin
praxis klinik station befund diagnose therapie bericht brief nachricht anfrage antwort frage problem lieferung paket
bestellung kunde kundin mitarbeiter kollege kollegin chef leitung abteilung team projekt sitzung besprechung unterlagen
adresse wohnung haus straße ort land telefon nummer konto betrag zahlung frist grüße dank bitte hinweis anlage seite
vielen mein meine ihr ihre unser unsere sehr geehrte geehrter damen herren liebe lieber hallo tschüss entlassung aufnahme
patient patientin ehemann ehefrau mutter vater bruder schwester kinder familie preise verbindungen raum stock`

var euroFirst = strings.Fields(`hans peter klaus jürgen wolfgang stefan andreas michael thomas uwe dieter günter horst helmut
	ursula monika petra sabine renate brigitte ingrid karin gisela heike anja katrin birgit claudia lukas leon finn jonas felix maximilian
	lena leonie hannah mia emilia sophie marie anna laura lea jean pierre michel philippe alain nicolas jacques bernard françois
	christophe patrick éric laurent sébastien olivier julien antoine mathieu guillaume thibault amélie camille chloé élodie
	nathalie isabelle sylvie catherine françoise valérie sandrine céline manon juliette inès léa josé antonio manuel francisco
	juan javier jesús carlos miguel rafael pedro alejandro fernando pablo sergio jorge alberto luis álvaro diego
	maría carmen ana isabel dolores pilar teresa rosa lucía marta cristina elena paula sara raquel beatriz alba nerea
	giuseppe giovanni marco luca matteo francesca giulia chiara alessandro lorenzo jan piotr katarzyna agnieszka
	mohammed ahmed ali fatima aisha omar yusuf priya rahul arjun anjali wei li ming hiroshi yuki kenji sakura`)

var euroLast = strings.Fields(`müller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schäfer koch bauer richter klein
	wolf schröder neumann schwarz zimmermann braun krüger hofmann hartmann lange schmitt werner schmitz krause meier lehmann
	martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre michel garcia david bertrand
	roux vincent fournier morel girard andré lefèvre mercier dupont lambert bonnet françois martinez
	garcía gonzález rodríguez fernández lópez martínez sánchez pérez gómez martín jiménez ruiz hernández díaz moreno muñoz
	álvarez romero alonso gutiérrez navarro torres domínguez vázquez ramos gil ramírez serrano blanco molina morales suárez ortega
	rossi russo ferrari esposito bianchi romano colombo ricci kowalski nowak wiśniewski de_jong jansen de_vries van_den_berg
	kumar singh sharma patel gupta wang zhang liu chen yang huang zhao wu zhou tanaka suzuki takahashi watanabe kim lee park choi nguyen tran`)
