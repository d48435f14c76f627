package content

import (
	_ "embed"
	"strings"
)

// This file holds the detectors of issue 15's identifiers: dates, ages,
// postal codes, URLs and domains, MAC addresses, and identifiers backed by
// a check digit (NPI, DEA, VIN, IMEI, NHS, national IDs) or by a context
// word (passport, driver's licence, MRN, health plan, account, plate).
// Their word lists are data: piidata/*.txt.

var (
	//go:embed piidata/context.txt
	contextData string
	//go:embed piidata/months.txt
	monthData string
	//go:embed piidata/tlds.txt
	tldData string
)

// entitySet is a set of entities, and streetBit the words of a street.
type entitySet uint64

const streetBit entitySet = 1 << 63

func (s entitySet) has(e Entity) bool { return s&(1<<e) != 0 }

var (
	// contextWords maps a phrase (lower case, single spaces) to the
	// entities it introduces.
	contextWords = parseContext(contextData)
	months       = wordSet(monthData)
	tlds         = wordSet(tldData)
)

// vocabulary is a cheap filter before the map: for a word's first and
// last letter, the lengths of the context words with them.
var vocabulary [27 * 27]uint32

func wordSig(w []byte) (int, uint32) {
	l := func(c byte) int {
		if c = fold(c); isLower(c) {
			return int(c - 'a')
		}
		return 26
	}
	return l(w[0])*27 + l(w[len(w)-1]), 1 << min(len(w), 31)
}

func parseContext(data string) map[string]entitySet {
	m := map[string]entitySet{}
	defer func() {
		for p := range m {
			for _, w := range strings.Fields(p) {
				k, bit := wordSig([]byte(w))
				vocabulary[k] |= bit
			}
		}
	}()
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		name, list, ok := strings.Cut(line, ":")
		var bit entitySet
		if name == "@street" {
			bit = streetBit
		} else if e, known := ParseEntity(name); known && ok {
			bit = 1 << e
		} else {
			panic("content: piidata/context.txt: bad line " + line)
		}
		for _, w := range strings.Split(list, ",") {
			if w = strings.Join(strings.Fields(strings.ToLower(w)), " "); w != "" {
				m[w] |= bit
			}
		}
	}
	return m
}

func wordSet(data string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(data, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			m[w] = true
		}
	}
	return m
}

// pureContext are the entities known by their context word alone (no
// check digit): where their word is nearest, it decides.
const pureContext = 1<<USDriverLicense | 1<<Passport | 1<<MedicalRecordNumber | 1<<HealthPlanID | 1<<AccountNumber | 1<<LicensePlate

// contextEntities are the entities found only after a context word.
const contextEntities = 1<<DEANumber | 1<<USDriverLicense | 1<<Passport | 1<<MedicalRecordNumber | 1<<HealthPlanID | 1<<NPI |
	1<<AccountNumber | 1<<LicensePlate | 1<<IMEI | 1<<UKNHSNumber | 1<<NLBSN | 1<<DETaxID | 1<<PLPESEL | 1<<PostalCode | 1<<Age

// ctxByte: a byte of a context word (ASCII letters, the apostrophe and
// '#', and UTF-8 letters taken whole); wordByte, the same without '#'
// ("MRN#:" is the word MRN).
func ctxByte(c byte) bool  { return wordByte(c) || c == '#' }
func wordByte(c byte) bool { return isAlpha(c) || c >= 0x80 || c == '\'' }

// contextBefore returns the entities whose context phrase is nearest
// among the last maxWords words within 48 bytes before i, on its line
// and after the previous number ("MRN: 1, Member
// ID: 2": 2 is a health plan id), and streetBit if a street word is among
// them.
func contextBefore(text []byte, i, maxWords int) entitySet {
	var words [6][2]int
	n, k, lim, past := 0, i, max(0, i-48), -1
	for n < min(maxWords, len(words)) && k > lim {
		for k > lim && !wordByte(text[k-1]) {
			if text[k-1] == '\n' { // a form's previous line is not context
				lim = k
				break
			}
			if isDigit(text[k-1]) && past < 0 {
				past = n // words from here on are before another value: only a street's count
			}
			k--
		}
		e := k
		for k > lim && wordByte(text[k-1]) {
			k--
		}
		if e == k || k == lim && lim > 0 {
			break
		}
		words[n] = [2]int{k, e}
		n++
	}
	var known [6]bool
	for j := range n {
		sig, bit := wordSig(text[words[j][0]:words[j][1]])
		known[j] = vocabulary[sig]&bit != 0
	}
	var set entitySet
	var buf [96]byte
	for j := range n { // the nearest word first: the nearest phrase decides
		l := 0
		var here entitySet
		for w := 0; w < 3 && j+w < n && known[j+w]; w++ { // words[j+w] .. words[j], in reading order
			l = 0
			for x := j + w; x >= j; x-- {
				if x != j+w {
					buf[l] = ' '
					l++
				}
				for _, c := range text[words[x][0]:words[x][1]] {
					if l < len(buf) {
						buf[l] = fold(c)
						l++
					}
				}
			}
			here |= contextWords[string(buf[:l])]
		}
		if set&^streetBit == 0 && (past < 0 || j < past) {
			set |= here
		} else {
			set |= here & streetBit
		}
	}
	return set
}

// alnumToken returns the end of the token of letters and digits at i
// (single '-' between them allowed) and how many digits and letters it has.
func alnumToken(text []byte, i int) (end, digits, letters int) {
	e := i
	for e < len(text) && e-i < 40 {
		c := text[e]
		switch {
		case isDigit(c):
			digits++
		case isAlpha(c):
			letters++
		case c == '-' && e > i && e+1 < len(text) && isAlnum(text[e+1]):
		default:
			return e, digits, letters
		}
		e++
	}
	return e, digits, letters
}

// idAt finds an identifier, a date, an age or a postal code that starts
// with a digit at i (a token start).
func (d *Detector) idAt(text []byte, i int) (int, Entity, bool) {
	if d.on[Date] {
		if e, ok := numericDate(text, i); ok {
			if logStamp(text, i, e) || systemDate(text, i) {
				return e, noEntity, true // read past it, find nothing
			}
			return e, Date, true
		}
		if e, ok := dayMonthDate(text, i); ok {
			if systemDate(text, i) {
				return e, noEntity, true
			}
			return e, Date, true
		}
	}
	r := scanRun(text, i)
	v := r.value[:min(r.digits, len(r.value))]
	if r.digits == 9 && r.ngroup == 1 && abaRouting(v) && routingBefore(text, i) {
		return r.end, noEntity, true // a bank's routing number names the bank, not a person's account
	}
	ctx := entitySet(0)
	if d.context && r.digits >= 4 {
		ctx = contextBefore(text, i, 5)
	}
	if d.on[Age] && r.ngroup == 1 && r.digits <= 3 && atoi(v) <= 125 {
		if e := ageSuffix(text, r.end); e > 0 || (r.end == len(text) || text[r.end] != '/' && !wordAfter(text, r.end)) && contextBefore(text, i, 1).has(Age) {
			return r.end, Age, true
		}
	}
	if wordAfter(text, r.end) || r.end < len(text) && text[r.end] == '-' && wordAfter(text, r.end+1) {
		if d.context && r.digits < 4 {
			ctx = contextBefore(text, i, 5)
		}
		return d.alnumID(text, i, ctx)
	}
	if r.sep == 1 || r.sep == '.' && r.ngroup > 1 {
		return 0, 0, false
	}
	on := func(e Entity) bool { return d.on[e] }
	if ctx&pureContext != 0 && !(d.on[CreditCard] && card(v)) {
		if ent, ok := d.contextID(ctx, r.digits, 0, r.end-i); ok {
			return r.end, ent, true
		}
	}
	isCard := d.on[CreditCard] && card(v) // a card first: number() takes it
	switch r.digits {
	case 15:
		if on(FRNIR) && nir(v) && !isCard {
			return r.end, FRNIR, true
		}
		if on(IMEI) && luhn(v) && (ctx.has(IMEI) || r.shape(2, 6, 6, 1) && !isCard) {
			return r.end, IMEI, true
		}
	case 10:
		if on(NPI) && ctx.has(NPI) && npi(v) {
			return r.end, NPI, true
		}
		if on(UKNHSNumber) && nhs(v) && (ctx.has(UKNHSNumber) || r.shape(3, 3, 4) && r.sep == ' ' && !(d.on[Phone] && d.validPhone(text[i:r.end]))) {
			return r.end, UKNHSNumber, true
		}
	case 11:
		if on(PLPESEL) && ctx.has(PLPESEL) && pesel(v) { // both checks may pass: the word decides
			return r.end, PLPESEL, true
		}
		if on(DETaxID) && deTaxID(v) && (ctx.has(DETaxID) || r.ngroup == 1 || r.shape(2, 3, 3, 3)) {
			return r.end, DETaxID, true
		}
		if on(PLPESEL) && pesel(v) && r.ngroup == 1 {
			return r.end, PLPESEL, true
		}
	case 9:
		if on(NLBSN) && ctx.has(NLBSN) && bsn(v) {
			return r.end, NLBSN, true
		}
	}
	if on(PostalCode) && (r.digits == 5 && r.ngroup == 1 || r.shape(5, 4) && r.sep == '-') && d.postalContext(text, i, r.end, ctx) {
		return r.end, PostalCode, true
	}
	if ctx&contextEntities != 0 && r.digits >= 4 && !(d.on[CreditCard] && card(v)) {
		if ent, ok := d.contextID(ctx, r.digits, 0, r.end-i); ok {
			return r.end, ent, true
		}
	}
	return 0, 0, false
}

// alnumID finds an identifier of letters and digits at i: a Spanish DNI
// or NIE, an Italian fiscal code, a DEA number, a VIN, or a value after
// its context word.
func (d *Detector) alnumID(text []byte, i int, ctx entitySet) (int, Entity, bool) {
	e, digits, letters := alnumToken(text, i)
	if digits == 0 && letters <= 4 && ctx.has(LicensePlate) && d.on[LicensePlate] {
		if pe := plateEnd(text, e); pe > e {
			return pe, LicensePlate, true // "B-AB 1234"
		}
	}
	if wordAfter(text, e) || digits == 0 {
		return 0, 0, false
	}
	tok := text[i:e]
	if ctx&pureContext != 0 && digits >= 2 {
		if ent, ok := d.contextID(ctx, digits, letters, e-i); ok {
			return e, ent, true
		}
	}
	switch {
	case d.on[ESDNI] && dni(tok):
		return e, ESDNI, true
	case d.on[ITFiscalCode] && len(tok) == 16 && fiscalCode(tok):
		return e, ITFiscalCode, true
	case d.on[DEANumber] && len(tok) == 9 && ctx.has(DEANumber) && dea(tok):
		return e, DEANumber, true
	case d.on[VIN] && len(tok) == 17 && vin(tok):
		return e, VIN, true
	}
	if ctx&contextEntities != 0 && digits >= 2 {
		if d.on[LicensePlate] && ctx.has(LicensePlate) && letters > 0 {
			return plateEnd(text, e), LicensePlate, true
		}
		if ent, ok := d.contextID(ctx, digits, letters, e-i); ok {
			return e, ent, true
		}
	}
	return 0, 0, false
}

// contextID: the context-keyed entity that a value of this many digits
// and letters (n bytes long) after context words ctx is, in order of
// precedence.
func (d *Detector) contextID(ctx entitySet, digits, letters, n int) (Entity, bool) {
	for _, c := range [...]struct {
		e              Entity
		minLen, maxLen int
		minDigits      int
		lettersAllowed bool
		lettersNeeded  bool
	}{
		{MedicalRecordNumber, 4, 20, 4, true, false},
		{HealthPlanID, 6, 20, 4, true, false},
		{NPI, 10, 10, 10, false, false}, // (checked by idAt: a wrong check digit is not an NPI)
		{Passport, 6, 12, 4, true, false},
		{USDriverLicense, 5, 20, 4, true, false},
		{AccountNumber, 6, 24, 6, true, false},
		{LicensePlate, 2, 10, 1, true, true},
	} {
		if c.e == NPI || !d.on[c.e] || !ctx.has(c.e) {
			continue
		}
		if n >= c.minLen && n <= c.maxLen && digits >= c.minDigits && (letters == 0 || c.lettersAllowed) && (letters > 0 || !c.lettersNeeded) {
			return c.e, true
		}
	}
	return 0, false
}

// plateEnd extends a plate at [.., e) over one more group written after a
// space ("B-AB 1234").
func plateEnd(text []byte, e int) int {
	if e+1 < len(text) && text[e] == ' ' && isAlnum(text[e+1]) {
		x, digits, _ := alnumToken(text, e+1)
		if x-e-1 <= 5 && digits > 0 && !wordAfter(text, x) {
			return x
		}
	}
	return e
}

// upperAt finds, at an upper-case letter at i (a token start), a date
// written month first, a UK or Canadian postcode, or an identifier.
func (d *Detector) upperAt(text []byte, i int) (int, Entity, bool) {
	if d.on[Date] {
		if e, ok := monthFirstDate(text, i); ok {
			if logStamp(text, i, e) || systemDate(text, i) {
				return e, noEntity, true // read past it, find nothing
			}
			return e, Date, true
		}
	}
	if i+1 >= len(text) || !isAlnum(text[i+1]) && text[i+1] != '-' {
		return 0, 0, false
	}
	if d.on[PostalCode] {
		if e, ok := ukPostcode(text, i); ok {
			return e, PostalCode, true
		}
		if e, ok := caPostcode(text, i); ok {
			return e, PostalCode, true
		}
	}
	if !d.alnumIDs {
		return 0, 0, false
	}
	// cheap: most capitalised words have no digit in their first bytes
	hasDigit := false
	for k := i + 1; k < len(text) && k < i+10 && (isAlnum(text[k]) || text[k] == '-' || text[k] == ' ' && d.on[LicensePlate]); k++ {
		if isDigit(text[k]) {
			hasDigit = true
			break
		}
	}
	if !hasDigit {
		return 0, 0, false
	}
	ctx := entitySet(0)
	if d.context {
		ctx = contextBefore(text, i, 5)
	}
	return d.alnumID(text, i, ctx)
}

// routingBefore: "routing" (or "ABA", "RTN") ends within the 16 bytes
// before i.
func routingBefore(text []byte, i int) bool {
	k := lastNear(text, i, []string{"routing", "aba", "rtn"})
	return k >= 0 && k >= i-16 && (k == 0 || !isAlpha(text[k-1]))
}

// abaRouting: the nine digits of d have an ABA routing number's check
// (weights 3, 7, 1).
func abaRouting(d []byte) bool {
	sum := 0
	for k, c := range d {
		sum += int(c-'0') * [...]int{3, 7, 1}[k%3]
	}
	return sum%10 == 0
}

// --- dates

// noEntity is what idAt and upperAt return for a value they read past
// without a finding (a log's timestamp).
const noEntity = numEntities

// logStamp: the date at [i, e) is a log line's timestamp, which dates an
// event of a system, not of a person: it starts the line (or a "[" that
// does) and a time of day is part of it or follows it ("2025-01-14T08:22:19Z
// INFO", "[2025-02-01 13:05:44] ERROR", "Jan 14 08:22:21 host sshd").
func logStamp(text []byte, i, e int) bool {
	k := i
	if k > 0 && text[k-1] == '[' {
		k--
	}
	if k > 0 && text[k-1] != '\n' {
		return false
	}
	for _, c := range text[i:e] {
		if c == ':' {
			return true
		}
	}
	return e+3 < len(text) && text[e] == ' ' && isDigit(text[e+1]) && isDigit(text[e+2]) && text[e+3] == ':'
}

// systemDate: the date at i dates a thing, not a person, as the words
// before it in its sentence tell: a release, a version, a publication or
// an update ("released on 15 May 2025", "v2.3 dated 2024-12-01", "Stand:
// 01.01.2024", "mis à jour le 1er janvier 2024"), a product's launch or
// freeze, a price list or timetable, a contract's terms; or a literal a
// query compares with ("hire_date > '2020-01-01'"). A word of a person's
// date in the same stretch (born, DOB, admitted, signed, arrival, ...)
// keeps it a date: "borrower Ethan Cole signed on January 9, 2025".
func systemDate(text []byte, i int) bool {
	k := i
	if k >= 2 && (text[k-1] == '\'' || text[k-1] == '"') {
		for j := k - 2; j >= 0 && j >= k-4; j-- {
			if c := text[j]; c == '>' || c == '<' || c == '=' {
				return true // a query's bound, not anyone's date
			} else if c != ' ' {
				break
			}
		}
	}
	thing := false
	for words := 0; k > 0 && words < 8; {
		c := text[k-1]
		if c == '\n' || c == ';' || c == '!' || c == '?' || c == '|' || c == '.' && (k == 1 || text[k-2] != '.' && !isDigit(text[k-2]) && (k < len(text) && text[k] == ' ')) {
			break // the sentence's start
		}
		if !isAlnum(c) && c < 0x80 {
			k--
			continue
		}
		e := k
		for k > 0 && (isAlnum(text[k-1]) || text[k-1] >= 0x80 || text[k-1] == '.' && k >= 2 && isDigit(text[k-2])) {
			k--
		}
		words++
		w := text[k:e]
		if len(w) > 24 {
			continue
		}
		var buf [24]byte
		for j, c := range w {
			buf[j] = fold(c)
		}
		lw := string(buf[:len(w)])
		switch {
		case personDateWords[lw]:
			return false
		case thingDateWords[lw], len(lw) >= 2 && lw[0] == 'v' && isDigit(lw[1]):
			thing = true
		}
	}
	return thing
}

// thingDateWords date a thing (a release, a document's version, a price
// list); personDateWords a person's event. Lower case, en, de, fr, es.
var (
	thingDateWords = wordSet(`release released releases version versions published publication publish updated update updates revised revision
	modified launch launches launched freeze deprecated changelog rates prices fares timetable tariff contract contracts terms
	stand veröffentlicht aktualisiert fassung gültig vertrag version publié publiée jour tarifs contrat
	actualizado actualizada publicado publicada versión tarifas contrato`)
	personDateWords = wordSet(`born dob birth birthday birthdate died death admitted discharged seen visit visited signed hired arrival arrive arrives
	patient employee applicant insured passenger guest student
	geboren geb verstorben aufgenommen entlassen unterschrieben ankunft
	né née naissance décédé admis signé arrivée
	nacido nacida nacimiento fallecido ingresado firmado llegada`)
)

// numericDate matches 2024-03-15, 15.03.2024, 03/15/2024, 15/03/84 and
// the like, with a time after it (2024-03-15T14:30:00Z, 15.03.2024 14:30).
func numericDate(text []byte, i int) (int, bool) {
	a, e := digitsAt(text, i, 4)
	if e == i || e >= len(text) {
		return 0, false
	}
	sep := text[e]
	if sep != '-' && sep != '/' && sep != '.' {
		return 0, false
	}
	b, e2 := digitsAt(text, e+1, 2)
	if e2 == e+1 || e2 >= len(text) || text[e2] != sep {
		return 0, false
	}
	c, e3 := digitsAt(text, e2+1, 4)
	n1, n3 := e-i, e3-e2-1
	switch {
	case n1 == 4 && n3 <= 2 && n3 > 0: // year first
		if a < 1900 || a > 2099 || b < 1 || b > 12 || c < 1 || c > 31 {
			return 0, false
		}
	case n1 <= 2 && (n3 == 4 || n3 == 2 && sep == '/' || n3 == 2 && sep == '.' && n1 == 2 && e2-e-1 == 2):
		if n3 == 4 && (c < 1900 || c > 2099) || a < 1 || b < 1 || !(a <= 31 && b <= 12 || a <= 12 && b <= 31) {
			return 0, false
		}
	default:
		return 0, false
	}
	if sep == '.' && prevWordIn(text, i, versionWords) {
		return 0, false
	}
	if t := timeAfter(text, e3); t > e3 {
		return t, true
	}
	if wordAfter(text, e3) || e3+1 < len(text) && (text[e3] == sep || text[e3] == '.' || text[e3] == ':') && isDigit(text[e3+1]) {
		return 0, false
	}
	return e3, true
}

// versionWords make a dotted number a version, not a date.
var versionWords = []string{"version", "v", "ver", "versión", "release", "build", "rev"}

// prevWordIn: the word just before i (lower case) is one of words.
func prevWordIn(text []byte, i int, words []string) bool {
	k := i
	for k > 0 && k > i-3 && (text[k-1] == ' ' || text[k-1] == ':') {
		k--
	}
	e := k
	for k > 0 && e-k < 12 && wordByte(text[k-1]) {
		k--
	}
	for _, w := range words {
		if e-k == len(w) && hasPrefixFold(text[k:e], w) {
			return true
		}
	}
	return false
}

// timeAfter returns the end of a time of day written after a date that
// ends at e ("T14:30:00Z", " 14:30", ", 2:30 pm", " at 9:15"), or e.
func timeAfter(text []byte, e int) int {
	k := e
	switch {
	case k < len(text) && text[k] == 'T':
		k++
	case hasPrefixFold(text[k:], ", "), hasPrefixFold(text[k:], " at "), hasPrefixFold(text[k:], " um "), hasPrefixFold(text[k:], " à "):
		k += len(" at ")
		if text[e] == ',' {
			k = e + 2
		}
	case k < len(text) && text[k] == ' ':
		k++
	default:
		return e
	}
	h, x := digitsAt(text, k, 2)
	if x == k || h > 24 || x+2 >= len(text) || text[x] != ':' {
		return e
	}
	m, y := digitsAt(text, x+1, 2)
	if y-x-1 != 2 || m > 59 {
		return e
	}
	if y+2 < len(text) && text[y] == ':' && isDigit(text[y+1]) && isDigit(text[y+2]) {
		y += 3
	}
	if y < len(text) && text[y] == 'Z' {
		y++
	} else if hasPrefixFold(text[y:], " am") || hasPrefixFold(text[y:], " pm") {
		y += 3
	} else if hasPrefixFold(text[y:], "am") || hasPrefixFold(text[y:], "pm") {
		y += 2
	}
	if wordAfter(text, y) {
		return e
	}
	return y
}

// digitsAt reads up to max digits at i: their value and where they end.
func digitsAt(text []byte, i, max int) (int, int) {
	v, e := 0, i
	for e < len(text) && isDigit(text[e]) && e-i < max {
		v = v*10 + int(text[e]-'0')
		e++
	}
	if e < len(text) && isDigit(text[e]) {
		return 0, i // longer than max
	}
	return v, e
}

// monthAt returns the end of a month name at i ("March", "Mar.", "märz",
// "décembre"), or i.
func monthAt(text []byte, i int) int {
	e := i
	var buf [12]byte
	for e < len(text) && e-i < len(buf) && (isAlpha(text[e]) || text[e] >= 0x80) {
		buf[e-i] = fold(text[e])
		e++
	}
	if e == i || e-i >= len(buf) || !months[string(buf[:e-i])] || wordAfter(text, e) {
		return i
	}
	if e < len(text) && text[e] == '.' {
		e++
	}
	return e
}

// dayMonthDate matches "15 March 2024", "15th of March", "4th day of
// March, 2025", "15. März 2024",
// "1er mars 2024", "15 de marzo de 2024".
func dayMonthDate(text []byte, i int) (int, bool) {
	day, e := digitsAt(text, i, 2)
	if e == i || day < 1 || day > 31 {
		return 0, false
	}
	for _, suf := range [...]string{"st", "nd", "rd", "th", "er", "."} {
		if hasPrefixFold(text[e:], suf) && !wordAfter(text, e+len(suf)) {
			e += len(suf)
			break
		}
	}
	if e >= len(text) || text[e] != ' ' {
		return 0, false
	}
	e++
	for _, w := range [...]string{"day of ", "of ", "de "} {
		if hasPrefixFold(text[e:], w) {
			e += len(w) // "4th day of March, 2025": a deed's date
			break
		}
	}
	m := monthAt(text, e)
	if m == e {
		return 0, false
	}
	return yearAfter(text, m), true
}

// monthFirstDate matches "March 15, 2024", "Mar 15 2024", "March 15th",
// "March 2024" at an upper-case letter.
func monthFirstDate(text []byte, i int) (int, bool) {
	m := monthAt(text, i)
	if m == i || m >= len(text) || text[m] != ' ' {
		return 0, false
	}
	if y, e := digitsAt(text, m+1, 4); e-m-1 == 4 && y >= 1900 && y <= 2099 && !wordAfter(text, e) {
		return e, true // March 2024
	}
	day, e := digitsAt(text, m+1, 2)
	if e == m+1 || day < 1 || day > 31 {
		return 0, false
	}
	for _, suf := range [...]string{"st", "nd", "rd", "th"} {
		if hasPrefixFold(text[e:], suf) {
			e += len(suf)
			break
		}
	}
	if wordAfter(text, e) {
		return 0, false
	}
	return yearAfter(text, e), true
}

// yearAfter returns the end of a year written after a day and month that
// end at e (" 2024", ", 2024", " de 2024"), with a time after it, or e.
func yearAfter(text []byte, e int) int {
	k := e
	if k < len(text) && text[k] == ',' {
		k++
	}
	if k < len(text) && text[k] == ' ' {
		k++
	}
	if hasPrefixFold(text[k:], "de ") {
		k += 3
	}
	y, x := digitsAt(text, k, 4)
	if x-k != 4 || y < 1900 || y > 2099 || wordAfter(text, x) {
		return e
	}
	return timeAfter(text, x)
}

// --- ages, postal codes

// ageSuffix returns the end of an age's unit written after a number that
// ends at e ("-year-old", " years old", " y/o", "yo", " Jahre alt",
// " ans", " años"), or 0. The finding is the number.
func ageSuffix(text []byte, e int) int {
	for _, s := range [...]string{"-year-old", "-years-old", " year old", " years old", " year-old", " y/o", " yo", "yo", "y/o", " yrs old",
		" years of age", "-jährige", " jahre alt", "-jähriger", " jahre", " ans", " años", " anni", " jährig", " y.o.", " y.o", " jaar", "-jarige"} {
		if hasPrefixFold(text[e:], s) && !wordAfter(text, e+len(s)) {
			return e + len(s)
		}
	}
	return 0
}

var usStates = wordSet("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR")

// postalContext: five digits at [i, e) are a postal code after a postal
// context word, after a US state's code ("Springfield, IL 62704"), or
// between a street and a capitalised city ("Hauptstraße 5, 10115 Berlin").
func (d *Detector) postalContext(text []byte, i, e int, ctx entitySet) bool {
	if ctx.has(PostalCode) {
		return true
	}
	if i >= 3 && text[i-1] == ' ' && isUpper(text[i-2]) && isUpper(text[i-3]) && (i == 3 || !isAlnum(text[i-4])) && usStates[string(text[i-3:i-1])] {
		return true
	}
	cityBefore := i >= 3 && text[i-1] == ' ' && isAlpha(text[i-2]) && wordStartsUpper(text, i-1)
	if e+1 < len(text) && text[e] == ' ' && isUpper(text[e+1]) || cityBefore && !wordAfter(text, e) {
		if contextBefore(text, i, 6)&streetBit != 0 {
			return true
		}
		window := text[max(0, i-48):i]
		for _, w := range streetSuffixes {
			if containsFold(window, w) {
				return true
			}
		}
	}
	return false
}

// wordStartsUpper: the word that ends at e starts with an upper-case
// letter ("Springfield 62704").
func wordStartsUpper(text []byte, e int) bool {
	k := e
	for k > 0 && (isAlpha(text[k-1]) || text[k-1] >= 0x80) {
		k--
	}
	return k < e && isUpper(text[k])
}

// streetSuffixes end the compound street names of German ("Hauptstraße",
// "Lindenweg").
var streetSuffixes = []string{"straße", "strasse", "str.", "weg ", "platz", "allee", "gasse", "ring ", "damm "}

// containsFold: s contains w (lower case), ignoring ASCII case.
func containsFold(s []byte, w string) bool {
	for k := 0; k+len(w) <= len(s); k++ {
		if hasPrefixFold(s[k:], w) {
			return true
		}
	}
	return false
}

// ukPostcode matches a UK postcode in its strict shape: an outward code
// (A9, A99, AA9, AA99, A9A, AA9A), one space, an inward code 9AA.
func ukPostcode(text []byte, i int) (int, bool) {
	k := i + 1
	if text[i] == 'Q' || text[i] == 'V' || text[i] == 'X' {
		return 0, false
	}
	if k < len(text) && isUpper(text[k]) {
		if c := text[k]; c == 'I' || c == 'J' || c == 'Z' {
			return 0, false
		}
		k++
	}
	if k >= len(text) || !isDigit(text[k]) {
		return 0, false
	}
	k++
	if k < len(text) && (isDigit(text[k]) || isUpper(text[k])) {
		k++
	}
	if k+4 > len(text) || text[k] != ' ' || !isDigit(text[k+1]) || !ukInward(text[k+2]) || !ukInward(text[k+3]) || wordAfter(text, k+4) {
		return 0, false
	}
	return k + 4, true
}

func ukInward(c byte) bool { return isUpper(c) && !strings.ContainsRune("CIKMOV", rune(c)) }

// caPostcode matches a Canadian postal code A9A 9A9.
func caPostcode(text []byte, i int) (int, bool) {
	if i+7 > len(text) || strings.ContainsRune("WZ", rune(text[i])) {
		return 0, false
	}
	l := func(c byte) bool { return isUpper(c) && !strings.ContainsRune("DFIOQU", rune(c)) }
	t := text[i : i+7]
	if !l(t[0]) || !isDigit(t[1]) || !l(t[2]) || t[3] != ' ' || !isDigit(t[4]) || !l(t[5]) || !isDigit(t[6]) || wordAfter(text, i+7) {
		return 0, false
	}
	return i + 7, true
}

// --- URLs, domains, MAC addresses

// urlAt matches a URL whose "://" is at colon: a scheme of letters before
// it, then anything up to a space, a quote or an angle bracket, less
// trailing punctuation.
func urlAt(text []byte, colon int) (int, int, bool) {
	if colon+3 > len(text) || text[colon+1] != '/' || text[colon+2] != '/' {
		return 0, 0, false
	}
	s := colon
	for s > 0 && colon-s < 10 && (isAlpha(text[s-1]) || text[s-1] == '+') {
		s--
	}
	if colon-s < 2 || wordBefore(text, s) {
		return 0, 0, false
	}
	e := urlRest(text, colon+3)
	if e <= colon+3 {
		return 0, 0, false
	}
	return s, e, true
}

// urlRest returns the end of a URL's host and path that start at k.
func urlRest(text []byte, k int) int {
	e, open := k, 0
	for e < len(text) {
		c := text[e]
		if c <= ' ' || c == '"' || c == '<' || c == '>' || c == '`' || c == '\'' || c == '\\' || c == ')' && open == 0 || c == ']' {
			break
		}
		if c == '(' {
			open++
		} else if c == ')' {
			open--
		}
		e++
	}
	for e > k && strings.IndexByte(".,;:!?", text[e-1]) >= 0 {
		e--
	}
	return e
}

// domainAt matches a domain name around the dot at dot: labels of letters,
// digits and '-', the last one a known top-level domain in lower case
// (piidata/tlds.txt; "config.yaml" and "main.py" are files). With "www."
// or a path after it, it is a URL. It returns the entity found.
func domainAt(text []byte, dot int) (int, int, Entity, bool) {
	s := dot
	for s > 0 && dot-s < 64 && (isAlnum(text[s-1]) || text[s-1] == '-' || text[s-1] == '.') {
		s--
	}
	for s < dot && !isAlnum(text[s]) {
		s++
	}
	if s == dot || s > 0 && strings.IndexByte("@/_:$%.*\\", text[s-1]) >= 0 || s > 0 && text[s-1] >= 0x80 {
		// an address's domain, a path, a field path ("tools[].function.name"),
		// a masked address ("****@***e.com"), an escape ("\u0040example.com")
		return 0, 0, 0, false
	}
	// labels from s
	e, labels, last, first := s, 0, 0, 0
	for e < len(text) {
		ls := e
		for e < len(text) && (isAlnum(text[e]) || text[e] == '-') {
			e++
		}
		if e == ls {
			e = ls - 1 // the dot ends a sentence
			break
		}
		labels++
		if labels == 1 {
			first = e - ls
		}
		last = ls
		if e+1 < len(text) && text[e] == '.' && isAlnum(text[e+1]) {
			e++
			continue
		}
		break
	}
	if labels < 2 || wordAfter(text, e) || e < len(text) && (text[e] == '@' || text[e] == '(' || text[e] == '_') {
		return 0, 0, 0, false
	}
	tld := text[last:e]
	for _, c := range tld {
		if !isLower(c) {
			return 0, 0, 0, false
		}
	}
	if !tlds[string(tld)] || labels == 2 && len(tld) == 2 && first < 3 { // "tt.by", "df.at": code
		return 0, 0, 0, false
	}
	www := hasPrefixFold(text[s:], "www.")
	if e < len(text) && (text[e] == '/' || text[e] == '?' || text[e] == '#' || text[e] == ':' && e+1 < len(text) && isDigit(text[e+1])) {
		return s, urlRest(text, e), URL, true
	}
	if www {
		return s, e, URL, true
	}
	return s, e, Domain, true
}

// macAt matches a MAC address at i: six pairs of hex digits separated by
// ':' or '-', or three quads separated by '.' (Cisco).
func macAt(text []byte, i int) (int, bool) {
	if i+14 <= len(text) && text[i+4] == '.' && text[i+9] == '.' {
		for k := range 14 {
			if k != 4 && k != 9 && !isHex(text[i+k]) {
				return 0, false
			}
		}
		return i + 14, !wordAfter(text, i+14) && !(i+15 < len(text) && text[i+14] == '.' && isHex(text[i+15]))
	}
	if i+17 > len(text) || text[i+2] != ':' && text[i+2] != '-' {
		return 0, false
	}
	sep := text[i+2]
	for k := range 17 {
		if k%3 == 2 {
			if text[i+k] != sep {
				return 0, false
			}
		} else if !isHex(text[i+k]) {
			return 0, false
		}
	}
	if wordAfter(text, i+17) || i+18 < len(text) && text[i+17] == sep && isHex(text[i+18]) {
		return 0, false
	}
	return i + 17, true
}

// --- check digits

func atoi(v []byte) int {
	n := 0
	for _, c := range v {
		n = n*10 + int(c-'0')
	}
	return n
}

func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// npi: ten digits starting 1 or 2, Luhn over the prefix 80840 and them.
func npi(v []byte) bool {
	if len(v) != 10 || v[0] != '1' && v[0] != '2' {
		return false
	}
	return luhn(append([]byte("80840"), v...))
}

// nhs: the NHS number's mod-11 check digit.
func nhs(v []byte) bool {
	sum := 0
	for k := range 9 {
		sum += int(v[k]-'0') * (10 - k)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(v[9]-'0')
}

// nir: France's social security number (NIR): sex 1-4 or 7-8, a month
// 01-12 or 20+, and its key, 97 less the first 13 digits mod 97.
func nir(v []byte) bool {
	if strings.IndexByte("123478", v[0]) < 0 {
		return false
	}
	if m := atoi(v[3:5]); m < 1 || m > 12 && m < 20 {
		return false
	}
	n := 0
	for _, c := range v[:13] {
		n = (n*10 + int(c-'0')) % 97
	}
	return 97-n == atoi(v[13:15])
}

// bsn: the Dutch citizen service number's eleven test.
func bsn(v []byte) bool {
	sum := 0
	for k := range 8 {
		sum += int(v[k]-'0') * (9 - k)
	}
	sum -= int(v[8] - '0')
	return sum%11 == 0 && atoi(v) != 0
}

// pesel: Poland's PESEL: a birth date (the month carries the century)
// and its check digit.
func pesel(v []byte) bool {
	m, day := atoi(v[2:4])%20, atoi(v[4:6])
	if m < 1 || m > 12 || day < 1 || day > 31 || atoi(v[2:4]) > 92 {
		return false
	}
	w := [...]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for k, x := range w {
		sum += x * int(v[k]-'0')
	}
	return (10-sum%10)%10 == int(v[10]-'0')
}

// deTaxID: Germany's tax identification number: no leading 0, in its
// first ten digits one digit twice or three times and the rest at most
// once, and an ISO 7064 MOD 11,10 check digit.
func deTaxID(v []byte) bool {
	if v[0] == '0' {
		return false
	}
	var count [10]int
	for _, c := range v[:10] {
		count[c-'0']++
	}
	multi := 0
	for _, n := range count {
		if n > 3 {
			return false
		}
		if n > 1 {
			multi++
		}
	}
	if multi != 1 {
		return false
	}
	p := 10
	for _, c := range v[:10] {
		s := (int(c-'0') + p) % 10
		if s == 0 {
			s = 10
		}
		p = s * 2 % 11
	}
	c := 11 - p
	if c == 10 {
		c = 0
	}
	return c == int(v[10]-'0')
}

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// dni: Spain's DNI (8 digits and a letter, optionally after '-') or NIE
// (X, Y or Z, 7 digits and a letter), with the letter of its mod 23.
func dni(tok []byte) bool {
	t := tok
	if len(t) == 10 && t[8] == '-' {
		t = append(append([]byte{}, t[:8]...), t[9])
	}
	if len(t) != 9 || !isUpper(t[8]) {
		return false
	}
	n := 0
	switch t[0] {
	case 'X', 'Y', 'Z':
		n = int(t[0] - 'X')
	default:
		if !isDigit(t[0]) {
			return false
		}
		n = int(t[0] - '0')
	}
	for _, c := range t[1:8] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return dniLetters[n%23] == t[8]
}

// fiscalCode: Italy's codice fiscale: 6 letters, 2 digits, a month
// letter, 2 digits, a letter, 3 digits (digits may be replaced by the
// letters LMNPQRSTUV), and a check letter.
func fiscalCode(t []byte) bool {
	digitOrOmo := func(c byte) bool { return isDigit(c) || strings.IndexByte("LMNPQRSTUV", c) >= 0 }
	for k, c := range t {
		ok := false
		switch {
		case k < 6 || k == 11 || k == 15:
			ok = isUpper(c)
		case k == 8:
			ok = strings.IndexByte("ABCDEHLMPRST", c) >= 0
		default:
			ok = digitOrOmo(c)
		}
		if !ok {
			return false
		}
	}
	odd := [...]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for k, c := range t[:15] {
		v := int(c - 'A')
		if isDigit(c) {
			v = int(c - '0')
		}
		if k%2 == 0 {
			sum += odd[v]
		} else {
			sum += v
		}
	}
	return t[15] == byte('A'+sum%26)
}

// dea: a DEA registration number: a registrant-type letter, a letter or
// 9, seven digits, the last of them the check digit.
func dea(t []byte) bool {
	if strings.IndexByte("ABCDEFGHJKLMPRSTUX", t[0]) < 0 || !isUpper(t[1]) && t[1] != '9' {
		return false
	}
	for _, c := range t[2:] {
		if !isDigit(c) {
			return false
		}
	}
	d := func(k int) int { return int(t[2+k] - '0') }
	sum := d(0) + d(2) + d(4) + 2*(d(1)+d(3)+d(5))
	return sum%10 == d(6)
}

// vin: a vehicle identification number: 17 letters (no I, O or Q) and
// digits with the check digit in position 9.
func vin(t []byte) bool {
	const weights = "\x08\x07\x06\x05\x04\x03\x02\x0a\x00\x09\x08\x07\x06\x05\x04\x03\x02"
	sum, digits, letters := 0, 0, 0
	for k, c := range t {
		var v int
		switch {
		case isDigit(c):
			v = int(c - '0')
			digits++
		case isUpper(c) && c != 'I' && c != 'O' && c != 'Q':
			v = int("12345678_12345_7_923456789"[c-'A'] - '0')
			letters++
		default:
			return false
		}
		sum += v * int(weights[k])
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	return t[8] == want && digits >= 4 && letters >= 2
}
