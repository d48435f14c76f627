package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Values: each generator returns a value of its entity, valid where the
// entity has a check digit.

type gen struct {
	r    *rand.Rand
	lang string
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}
func (g *gen) letters(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('A' + g.r.IntN(26)))
	}
	return b.String()
}

var firstNames = map[string][]string{
	"en": {"James", "Mary", "Robert", "Patricia", "Michael", "Linda", "David", "Susan", "Aisha", "Wei", "Carlos", "Priya", "Olivia", "Ethan", "Grace", "Tyrone"},
	"de": {"Lukas", "Anna", "Jürgen", "Sabine", "Felix", "Lea", "Mehmet", "Katharina", "Stefan", "Ursula"},
	"fr": {"Camille", "Louis", "Chloé", "Hugo", "Amélie", "Théo", "Nadia", "François", "Inès", "Julien"},
	"es": {"Sofía", "Mateo", "Lucía", "Javier", "Carmen", "Diego", "Valentina", "Andrés", "Pilar", "Iñigo"},
}
var lastNames = map[string][]string{
	"en": {"Smith", "Johnson", "Williams", "Okafor", "Nguyen", "Garcia", "O'Brien", "Patel", "Kowalski", "Washington", "Hilton", "Baker"},
	"de": {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Yılmaz", "Becker", "Hoffmann", "Schäfer", "Koch"},
	"fr": {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Lefèvre", "Moreau", "Girard", "Benali", "Fontaine"},
	"es": {"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"},
}
var cities = map[string][]string{
	"en": {"Springfield", "Portland", "Austin", "Leeds", "Manchester", "Denver", "Toledo", "Fresno"},
	"de": {"Berlin", "München", "Hamburg", "Köln", "Leipzig", "Freiburg"},
	"fr": {"Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille"},
	"es": {"Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga"},
}
var orgs = map[string][]string{
	"en": {"Acme Health Partners", "Northwind Traders", "St. Mary's Hospital", "Globex Corporation", "Blue Ridge Clinic"},
	"de": {"Müller & Söhne GmbH", "Stadtwerke Leipzig", "Klinikum Nord", "Bäckerei Schmidt KG"},
	"fr": {"Société Générale", "Clinique du Parc", "Boulangerie Martin SARL", "Groupe Hospitalier Est"},
	"es": {"Hospital del Mar", "Construcciones Ruiz S.L.", "Farmacia Central", "Banco del Sur"},
}
var states = []string{"IL", "CA", "TX", "NY", "OR", "WA", "MA", "OH", "CO", "FL"}

func (g *gen) person() string {
	return g.pick(firstNames[g.lang]...) + " " + g.pick(lastNames[g.lang]...)
}
func (g *gen) city() string { return g.pick(cities[g.lang]...) }
func (g *gen) org() string  { return g.pick(orgs[g.lang]...) }
func (g *gen) streetAddress() string {
	n := fmt.Sprint(1 + g.r.IntN(400))
	switch g.lang {
	case "de":
		return g.pick("Haupt", "Linden", "Goethe", "Bahnhof", "Schiller") + g.pick("straße", "weg", "allee") + " " + n
	case "fr":
		return n + " " + g.pick("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas")
	case "es":
		return g.pick("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia") + " " + n
	}
	return n + " " + g.pick("Main", "Oak", "Maple", "Elm", "Cedar", "Washington") + " " + g.pick("Street", "St.", "Avenue", "Road", "Lane")
}

func (g *gen) zip() string {
	if g.r.IntN(4) == 0 {
		return g.digits(5) + "-" + g.digits(4)
	}
	return fmt.Sprintf("%05d", 1000+g.r.IntN(98000))
}
func (g *gen) ukPostcode() string {
	return g.pick("SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX", "LS1 4AP")
}

var monthNames = map[string][]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
}

func (g *gen) date() string {
	y, m, d := 1935+g.r.IntN(90), 1+g.r.IntN(12), 1+g.r.IntN(28)
	mn := monthNames[g.lang][m-1]
	switch g.lang {
	case "de":
		return g.pick(fmt.Sprintf("%02d.%02d.%d", d, m, y), fmt.Sprintf("%d. %s %d", d, mn, y), fmt.Sprintf("%d-%02d-%02d", y, m, d))
	case "fr":
		return g.pick(fmt.Sprintf("%02d/%02d/%d", d, m, y), fmt.Sprintf("%d %s %d", d, mn, y), fmt.Sprintf("%d-%02d-%02d", y, m, d))
	case "es":
		return g.pick(fmt.Sprintf("%02d/%02d/%d", d, m, y), fmt.Sprintf("%d de %s de %d", d, mn, y), fmt.Sprintf("%d-%02d-%02d", y, m, d))
	}
	return g.pick(fmt.Sprintf("%02d/%02d/%d", m, d, y), fmt.Sprintf("%s %d, %d", mn, d, y), fmt.Sprintf("%d-%02d-%02d", y, m, d),
		fmt.Sprintf("%s %d, %d", mn[:3], d, y), fmt.Sprintf("%d %s %d", d, mn, y), fmt.Sprintf("%d/%d/%02d", m, d, y%100),
		fmt.Sprintf("%d-%02d-%02dT%02d:%02d:00Z", y, m, d, g.r.IntN(24), g.r.IntN(60)))
}

func (g *gen) email() string {
	f := strings.ToLower(g.pick("jane", "j.smith", "mueller", "camille.martin", "lucia_g", "admin", "t.okafor"))
	return f + fmt.Sprint(g.r.IntN(100)) + "@" + g.pick("example.com", "mail.example.org", "firma.de", "exemple.fr", "correo.es", "clinic.example.net")
}

func (g *gen) phone() string {
	switch g.lang {
	case "de":
		return g.pick("+49 30 "+g.digits(7), "030 "+g.digits(7), "0"+g.pick("151", "160", "176")+" "+g.digits(8), "+49 (0)89 "+g.digits(6), "0049 40 "+g.digits(7))
	case "fr":
		return g.pick("+33 1 4"+g.digits(1)+" "+g.pair(3), "01 4"+g.digits(1)+" "+g.pair(3), "06.1"+g.digits(1)+"."+strings.ReplaceAll(g.pair(3), " ", "."), "+33 6 1"+g.digits(1)+" "+g.pair(3))
	case "es":
		return g.pick("+34 91 "+g.digits(3)+" "+g.digits(2)+" "+g.digits(2), "612 "+g.digits(3)+" "+g.digits(3), "+34 612 "+g.digits(3)+" "+g.digits(3))
	}
	a, e := g.pick("415", "212", "617", "303", "206", "312"), fmt.Sprint(200+g.r.IntN(700))
	n := g.digits(4)
	return g.pick("("+a+") "+e+"-"+n, a+"-"+e+"-"+n, a+"."+e+"."+n, "+1 "+a+"-"+e+"-"+n, "+1 "+a+" "+e+" "+n, "001-"+a+"-"+e+"-"+n,
		a+"-"+e+"-"+n+" x"+g.digits(3), "+44 20 7946 0"+g.digits(3), "020 7946 0"+g.digits(3))
}

func (g *gen) pair(n int) string {
	var p []string
	for range n {
		p = append(p, g.digits(2))
	}
	return strings.Join(p, " ")
}

func luhnDigit(s string) byte {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		v := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

func (g *gen) card() string {
	p := g.pick("4", "51", "55", "2221", "34", "37", "6011", "3530", "36")
	l := 16
	switch p {
	case "34", "37":
		l = 15
	case "36":
		l = 14
	}
	s := p + g.digits(l-len(p)-1)
	s += string(luhnDigit(s))
	switch g.r.IntN(3) {
	case 0:
		return s
	case 1:
		if l == 16 {
			return s[:4] + " " + s[4:8] + " " + s[8:12] + " " + s[12:]
		}
	}
	if l == 16 {
		return s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
	}
	return s
}

func (g *gen) ssn() string {
	a := 1 + g.r.IntN(665)
	return fmt.Sprintf("%03d-%02d-%04d", a, 1+g.r.IntN(99), 1+g.r.IntN(9999))
}

func mod97(s string) int {
	n := 0
	for _, c := range s {
		if c >= 'A' {
			n = (n*100 + int(c-'A'+10)) % 97
		} else {
			n = (n*10 + int(c-'0')) % 97
		}
	}
	return n
}

func (g *gen) iban() string {
	cc, bban := g.pick("DE", "FR", "ES", "GB", "NL"), ""
	switch cc {
	case "DE":
		bban = g.digits(18)
	case "FR":
		bban = g.digits(23)
	case "ES":
		bban = g.digits(20)
	case "GB":
		bban = g.pick("NWBK", "WEST", "BARC") + g.digits(14)
	case "NL":
		bban = g.pick("ABNA", "INGB", "RABO") + g.digits(10)
	}
	check := 98 - mod97(bban+cc+"00")
	s := fmt.Sprintf("%s%02d%s", cc, check, bban)
	if g.r.IntN(2) == 0 {
		var b strings.Builder
		for i := 0; i < len(s); i += 4 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i:min(i+4, len(s))])
		}
		return b.String()
	}
	return s
}

func (g *gen) ip() string {
	if g.r.IntN(4) == 0 {
		return fmt.Sprintf("2001:db8:%x::%x", g.r.IntN(65535), 1+g.r.IntN(65535))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(222), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *gen) mac() string {
	b := make([]string, 6)
	for i := range b {
		b[i] = fmt.Sprintf("%02x", g.r.IntN(256))
	}
	if g.r.IntN(2) == 0 {
		return strings.ToUpper(strings.Join(b, "-"))
	}
	return strings.Join(b, ":")
}

func (g *gen) url() string {
	return g.pick("https://", "http://", "www.") + g.pick("portal.example.com", "myclinic.example.org", "kunden.example.de", "www.example.fr") +
		g.pick("/patients/"+g.digits(5), "/login", "/account?id="+g.digits(6), "/", "")
}
func (g *gen) domain() string {
	return g.pick("acme-health.com", "northwind.example.org", "firma-mueller.de", "clinique-du-parc.fr", "farmacia-central.es")
}

func (g *gen) npi() string {
	s := g.pick("1", "2") + g.digits(8)
	return s + string(luhnDigit("80840"+s))
}

func (g *gen) dea() string {
	s := g.pick("A", "B", "F", "M") + g.letters(1) + g.digits(6)
	d := func(k int) int { return int(s[2+k] - '0') }
	sum := d(0) + d(2) + d(4) + 2*(d(1)+d(3)+d(5))
	return s + fmt.Sprint(sum%10)
}

func (g *gen) vin() string {
	const alpha = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
	const translit = "12345678_12345_7_923456789"
	w := []int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	{
		b := []byte(g.pick("1HG", "WVW", "JTD", "VF1", "5YJ", "3FA"))
		for len(b) < 17 {
			b = append(b, alpha[g.r.IntN(len(alpha))])
		}
		for k := 11; k < 17; k++ {
			b[k] = byte('0' + g.r.IntN(10))
		}
		sum := 0
		for k, c := range b {
			v := int(c - '0')
			if c >= 'A' {
				v = int(translit[c-'A'] - '0')
			}
			sum += v * w[k]
		}
		b[8] = byte('0' + sum%11)
		if sum%11 == 10 {
			b[8] = 'X'
		}
		return string(b)
	}
}

func (g *gen) imei() string {
	s := g.pick("35", "86", "01", "49") + g.digits(12)
	s += string(luhnDigit(s))
	if g.r.IntN(3) == 0 {
		return s[:2] + "-" + s[2:8] + "-" + s[8:14] + "-" + s[14:]
	}
	return s
}

func (g *gen) nhs() string {
	for {
		s := g.digits(9)
		sum := 0
		for k := range 9 {
			sum += int(s[k]-'0') * (10 - k)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c == 10 {
			continue
		}
		s += fmt.Sprint(c)
		return s[:3] + " " + s[3:6] + " " + s[6:]
	}
}

func (g *gen) deTaxID() string {
	for {
		s := fmt.Sprint(1+g.r.IntN(9)) + g.digits(9)
		var count [10]int
		multi, bad := 0, false
		for _, c := range s {
			count[c-'0']++
		}
		for _, n := range count {
			if n > 3 {
				bad = true
			}
			if n > 1 {
				multi++
			}
		}
		if bad || multi != 1 {
			continue
		}
		p := 10
		for _, c := range s {
			x := (int(c-'0') + p) % 10
			if x == 0 {
				x = 10
			}
			p = x * 2 % 11
		}
		c := 11 - p
		if c == 10 {
			c = 0
		}
		return s + fmt.Sprint(c)
	}
}

func (g *gen) nir() string {
	s := fmt.Sprintf("%d%02d%02d%02d%03d%03d", 1+g.r.IntN(2), g.r.IntN(100), 1+g.r.IntN(12), 1+g.r.IntN(95), 1+g.r.IntN(999), 1+g.r.IntN(999))
	key := 97 - mod97(s)
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf("%s %s %s %s %s %s %02d", s[:1], s[1:3], s[3:5], s[5:7], s[7:10], s[10:13], key)
	}
	return fmt.Sprintf("%s%02d", s, key)
}

func (g *gen) dni() string {
	const letters = "TRWAGMYFPDXBNJZSQVHLCKE"
	if g.r.IntN(3) == 0 {
		p := g.r.IntN(3)
		n := g.r.IntN(10000000)
		return fmt.Sprintf("%c%07d%c", "XYZ"[p], n, letters[(p*10000000+n)%23])
	}
	n := g.r.IntN(100000000)
	return fmt.Sprintf("%08d%c", n, letters[n%23])
}

func (g *gen) fiscalCode() string {
	s := g.letters(6) + g.digits(2) + g.pick("A", "B", "C", "D", "E", "H", "L", "M", "P", "R", "S", "T") + fmt.Sprintf("%02d", 1+g.r.IntN(71)) + g.letters(1) + g.digits(3)
	odd := []int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for k, c := range s {
		v := int(c - 'A')
		if c <= '9' {
			v = int(c - '0')
		}
		if k%2 == 0 {
			sum += odd[v]
		} else {
			sum += v
		}
	}
	return s + string(rune('A'+sum%26))
}

func (g *gen) bsn() string {
	for {
		s := g.digits(8)
		sum := 0
		for k := range 8 {
			sum += int(s[k]-'0') * (9 - k)
		}
		if c := sum % 11; c < 10 {
			return s + fmt.Sprint(c)
		}
	}
}

func (g *gen) pesel() string {
	y, m, d := g.r.IntN(100), 1+g.r.IntN(12), 1+g.r.IntN(28)
	if g.r.IntN(3) == 0 {
		m += 20
	}
	s := fmt.Sprintf("%02d%02d%02d%s", y, m, d, g.digits(4))
	w := []int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for k, x := range w {
		sum += x * int(s[k]-'0')
	}
	return s + fmt.Sprint((10-sum%10)%10)
}

func (g *gen) mrn() string {
	return g.pick(g.digits(8), g.digits(7), g.digits(2)+"-"+g.digits(4)+"-"+g.letters(1), "MR"+g.digits(6))
}
func (g *gen) healthPlan() string {
	return g.pick(g.letters(3)+g.digits(9), g.digits(10)+g.letters(1), "W"+g.digits(9))
}
func (g *gen) account() string {
	return g.pick(g.digits(10), g.digits(12), g.digits(4)+"-"+g.digits(6), g.digits(8))
}
func (g *gen) passport() string {
	return g.pick(g.letters(1)+g.digits(8), g.digits(9), "C"+g.letters(1)+g.digits(7))
}
func (g *gen) driverLic() string {
	return g.pick(g.letters(1)+g.digits(7), g.letters(1)+g.digits(12), g.digits(9))
}
func (g *gen) plate() string {
	return g.pick(g.digits(1)+g.letters(3)+g.digits(3), g.letters(3)+"-"+g.digits(4), "B-"+g.letters(2)+" "+g.digits(4), g.letters(2)+"-"+g.digits(3)+"-"+g.letters(2))
}
func (g *gen) age() string         { return fmt.Sprint(18 + g.r.IntN(80)) }
func (g *gen) orderNumber() string { return g.digits(8 + g.r.IntN(3)) }
