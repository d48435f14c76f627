package content

import (
	"strings"

	"github.com/wardenhq/warden/content/ner"
)

// What the name model finds is checked against the text around it
// (docs/content.md, "The name model"): a column gap ends a value, a
// capitalised German noun after its article is no name, a lone word that
// only the city list knows is a place, and the values written beside a
// name or a city (an age after a name, a postal code before a city) are
// typed by where they stand. Names written in lower case after an
// introduction ("i'm john smith") and European one-word streets
// ("Kerkstraat 8", "Via Roma 15") are found here too.

// known are the gazetteer classes that make a lone word a likely value.
const known = ner.GFirstTop | ner.GLastTop | ner.GCity | ner.GRegion | ner.GOrgKnown | ner.GStateCode

// noName marks the type NoType: a span refine dropped.
const noName ner.Type = 255

// refine returns sp cut at a column gap (two spaces, a tab, a line break:
// a form's next field), retyped or dropped (Type noName).
func (d *Detector) refine(text []byte, sp ner.Span) ner.Span {
	for k := sp.Start; k < sp.End; k++ {
		if c := text[k]; c == '\t' || c == '\n' || c == ' ' && k+1 < sp.End && text[k+1] == ' ' {
			sp.End = k
			for sp.End > sp.Start && (text[sp.End-1] == ',' || text[sp.End-1] == ' ') {
				sp.End--
			}
			break
		}
	}
	if sp.End <= sp.Start {
		sp.Type = noName
		return sp
	}
	if sp.Type != ner.StreetAddress {
		if codeLike(text[sp.Start:sp.End]) {
			sp.Type = noName // "CARD-ALPHA-9", "SKU-4471B": an identifier, not a name
			return sp
		}
		// "CARD now", "Acme today": a capitalised value does not end in a
		// lower-case word
		for isUpper(text[sp.Start]) {
			k := sp.End
			for k > sp.Start && text[k-1] != ' ' {
				k--
			}
			if k == sp.Start || !isLower(text[k]) || particle(text[k:sp.End]) {
				break
			}
			sp.End = k - 1
		}
	}
	if sp.Type == ner.StreetAddress {
		for k := sp.Start; k+1 < sp.End && isDigit(text[k]); k++ {
			if text[k+1] == ',' && k+2 < sp.End && isDigit(text[k+2]) {
				sp.Type = noName // "4,512,300 USD": a house number has no thousands separator
				return sp
			}
		}
	}
	if isUpper(text[sp.Start]) && d.endsInStreetWord(text, sp) {
		if k := houseNumberBefore(text, sp.Start); k >= 0 {
			// "2100 Oak Ridge Road": a house number, then a street's name
			sp.Start, sp.Type = k, ner.StreetAddress
			return sp
		}
	}
	if sp.Type != ner.Person && titleBefore(text, sp.Start) {
		sp.Type = ner.Person // "Ms. Nakamura", "Dr. Anand": a title names a person
		return sp
	}
	oneWord, words := true, 1
	for _, c := range text[sp.Start:sp.End] {
		if c == ' ' {
			oneWord = false
			words++
		}
	}
	if sp.Type == ner.StreetAddress && words == 2 && !d.streetNumberFirst(text, sp) {
		// "Form 1040", "Section 4.2": a word and a number are a street only
		// when the word is a street's ("Kerkstraat 8", "Hauptmarkt 5")
		k := sp.Start
		for k < sp.End && text[k] != ' ' {
			k++
		}
		if k+1 < sp.End && isDigit(text[k+1]) && (houseNumber(text, k) != sp.End || !d.streetWord(text[sp.Start:k])) {
			sp.Type = noName
			return sp
		}
	}
	if !oneWord {
		return sp
	}
	cls := d.names.Classes(text[sp.Start:sp.End])
	if cls&ner.GMonth != 0 && sp.End+1 < len(text) && (text[sp.End] == ',' || text[sp.End] == ' ' && isDigit(text[sp.End+1])) {
		sp.Type = noName // "Jan 14", "Mon, Feb 3": a month or a weekday
		return sp
	}
	if sp.End < len(text) && text[sp.End] == ':' && cls&known == 0 {
		sp.Type = noName // "Halter:", "Town:", "School:": a form's field name
		return sp
	}
	if cls == 0 && (sp.Type == ner.Person || sp.Type == ner.Location) && sentenceStart(text, sp.Start) && sp.End < len(text) && (text[sp.End] == ':' || sp.End+1 < len(text) && text[sp.End] == ' ' && isLower(text[sp.End+1])) {
		sp.Type = noName // "Username is …", "Privacy: …": a capitalised first word no list knows
		return sp
	}
	if sp.Type == ner.Person && sp.End-sp.Start <= 4 && allUpper(text[sp.Start:sp.End]) && cls&(ner.GFirstTop|ner.GLastTop) == 0 {
		sp.Type = noName // "MAC", "PDF": an acronym, unless a common name
		return sp
	}
	if det := determinerBefore(text, sp.Start); cls&known == 0 && (det == 2 && sp.Type != ner.StreetAddress || det == 1 && sp.Type == ner.Person) {
		sp.Type = noName // "der Fehler", "im Erdgeschoss", "the Agreement": a noun
		return sp
	}
	if sp.Type == ner.Person && cls&(ner.GCity|ner.GRegion) != 0 && (cls&(ner.GFirstTop|ner.GLastTop) == 0 || wordBeforeIs(d.names, text, sp.Start, ner.GContextLoc)) {
		// "Torino", "Napoli": of the lists, only a place list and the long
		// tail of surnames know it; "relocation to Denver": a place word
		// before it
		sp.Type = ner.Location
	}
	return sp
}

// determiners are the articles and contracted prepositions after which a
// lone capitalised word is a common noun (German capitalises every noun;
// English headings and UI labels capitalise many).
// German ones (2) before any lone word the lists do not know, the others
// (1) before a lone "person".
var (
	deDeterminers = wordSet(`der die das den dem des ein eine einen einem einer eines im am zum zur vom beim ins kein keine keinen meine meinen meinem
	unser unsere unseren ihr ihre ihren ihrem sein seine seinen seinem dieser diese diesen diesem jeder jede jeden`)
	determiners = wordSet(`the a an this that these those our your their its my his her le la les une du des au aux ce cette el los las un una del al het een`)
)

// determinerBefore: the word before i (on the same line) is a German
// determiner (2), another (1), or none (0).
func determinerBefore(text []byte, i int) int {
	k := i
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	if k == i || k == 0 {
		return 0
	}
	e := k
	for k > 0 && isAlpha(text[k-1]) {
		k--
	}
	if e-k > 8 || e == k || k > 0 && (text[k-1] >= 0x80 || text[k-1] == '\'' || text[k-1] == '-') {
		return 0
	}
	var buf [8]byte
	for j, c := range text[k:e] {
		buf[j] = c | 0x20
	}
	switch {
	case deDeterminers[string(buf[:e-k])]:
		return 2
	case determiners[string(buf[:e-k])]:
		return 1
	}
	return 0
}

// beside appends the values written beside a name-model span: the age in
// "Darnell Hayes, 34," and "Emma (12)", and the postal code in "28195
// Bremen", "1016 GV Amsterdam" and "Bengaluru 560001".
func (d *Detector) beside(text []byte, sp ner.Span, dst []Finding) []Finding {
	switch sp.Type {
	case ner.Person:
		if !d.on[Age] {
			return dst
		}
		i := sp.End
		var closer byte
		switch {
		case i+2 < len(text) && text[i] == ',' && text[i+1] == ' ':
			i, closer = i+2, ','
		case i+2 < len(text) && text[i] == ' ' && text[i+1] == '(':
			i, closer = i+2, ')'
		default:
			return dst
		}
		e := i
		for e < len(text) && e-i < 3 && isDigit(text[e]) {
			e++
		}
		if e > i && e < len(text) && text[e] == closer && atoi(text[i:e]) <= 125 {
			dst = append(dst, pii(i, e, Age))
		}
	case ner.Location:
		// before the city: "28195 Bremen", "1016 GV Amsterdam", at a line's
		// start or after a comma
		if s, ok := codeBefore(text, sp.Start); ok && d.on[PostalCode] {
			dst = append(dst, pii(s, sp.Start-1, PostalCode))
		}
		// after it: a US state's code ("Bozeman MT", "Tulsa, OK."), or five
		// or six digits ("Bengaluru 560001", "Paris 75002")
		if d.on[Location] {
			st := sp.End + 1
			if st < len(text) && text[sp.End] == ',' {
				st++
			}
			if st+2 <= len(text) && text[st-1] == ' ' && isUpper(text[st]) && isUpper(text[st+1]) && !wordAfter(text, st+2) &&
				(st+2 == len(text) || text[st+2] < 0x80) && usStates[string(text[st:st+2])] && !usStates[string(text[sp.Start:sp.End])] {
				dst = append(dst, pii(st, st+2, Location))
			}
		}
		i := sp.End + 1
		if i < len(text) && text[sp.End] == ' ' {
			e := i
			for e < len(text) && isDigit(text[e]) {
				e++
			}
			if n := e - i; d.on[PostalCode] && (n == 5 || n == 6) && !wordAfter(text, e) && (e == len(text) || text[e] != '.' && text[e] != '/' && text[e] != ':' && text[e] != '-') {
				dst = append(dst, pii(i, e, PostalCode))
			}
		}
	}
	return dst
}

// codeBefore finds a postal code ending one space before i: four or five
// digits, or four digits and two capitals (Dutch), after a comma, a line's
// start or the text's start.
func codeBefore(text []byte, i int) (int, bool) {
	e := i - 1
	if e < 1 || text[e] != ' ' {
		return 0, false
	}
	s := e
	if s >= 3 && isUpper(text[s-1]) && isUpper(text[s-2]) && text[s-3] == ' ' {
		s -= 3 // "1016 GV"
	}
	k := s
	for k > 0 && isDigit(text[k-1]) {
		k--
	}
	if n := s - k; n < 4 || n > 5 {
		return 0, false
	}
	if k == 0 || text[k-1] == '\n' || k >= 2 && text[k-1] == ' ' && text[k-2] == ',' {
		return k, true
	}
	return 0, false
}

// introWord: w (lower case) is a word after which a lower-case given name
// is a name: "i'm john smith", "this is maria", "thx sarah", "TODO(alice)".
func introWord(w string) bool {
	switch w {
	case "i'm", "im", "iam", "is", "it's", "its", "thx", "thanks", "hi", "hey", "hello", "dear", "ask", "todo",
		"soy", "llamo", "m'appelle", "heiße", "heisse", "bin", "chiamo", "sono", "ben":
		return true
	}
	return false
}

// lowerNames appends the names written in lower case after an
// introduction word: a common given name (and a surname after it) that
// is no common word, month or weekday.
func (d *Detector) lowerNames(text []byte, dst []Finding) []Finding {
	for i := 0; i < len(text); i++ {
		if !isLower(text[i]) || i > 0 && (isAlpha(text[i-1]) || text[i-1] >= 0x80 || text[i-1] == '\'' || text[i-1] == '-' || text[i-1] == '.' || text[i-1] == '_') {
			continue
		}
		e := i
		for e < len(text) && isLower(text[e]) {
			e++
		}
		if e-i < 3 || e < len(text) && (isAlnum(text[e]) || text[e] >= 0x80 || text[e] == '\'' || text[e] == '@' || text[e] == '.' && e+1 < len(text) && isAlnum(text[e+1]) || text[e] == '_' || text[e] == '-') || !introBefore(text, i) {
			i = e
			continue
		}
		const no = ner.GCommon | ner.GMonth | ner.GRegion | ner.GCountry | ner.GStreet | ner.GUnit | ner.GContextPer | ner.GContextLoc | ner.GPlaceWord
		if cls := d.names.Classes(text[i:e]); cls&ner.GFirstTop == 0 || cls&no != 0 {
			i = e
			continue
		}
		end := e
		if e+1 < len(text) && text[e] == ' ' && isLower(text[e+1]) {
			f := e + 1
			for f < len(text) && isLower(text[f]) {
				f++
			}
			if f-e > 3 && (f == len(text) || !isAlnum(text[f]) && text[f] < 0x80 && text[f] != '\'' && text[f] != '@') {
				if cls := d.names.Classes(text[e+1 : f]); cls&ner.GLast != 0 && cls&no == 0 {
					end = f
				}
			}
		}
		dst = append(dst, pii(i, end, Person))
		i = end
	}
	return dst
}

// introBefore: the word before i (one space or "(" before it) is an
// introduction word ("my name is", "i'm", "TODO(").
func introBefore(text []byte, i int) bool {
	k := i - 1
	if k < 1 || text[k] != ' ' && text[k] != '(' {
		return false
	}
	e := k
	for k > 0 && (isAlpha(text[k-1]) || text[k-1] == '\'') {
		k--
	}
	if e-k < 2 || e-k > 8 || k > 0 && isAlnum(text[k-1]) {
		return false
	}
	var buf [8]byte
	for j, c := range text[k:e] {
		buf[j] = c | 0x20
	}
	return introWord(string(buf[:e-k]))
}

// streetTails end one-word street names (Dutch, German, Scandinavian);
// streetHeads begin street names in Romance languages. Either with a house
// number after it is a street address: "Kerkstraat 8", "Königsallee
// 92a", "Via Garibaldi 7", "Corso Vittorio Emanuele II 45".
var (
	streetTails = []string{"straat", "gracht", "laan", "plein", "kade", "singel", "dijk", "steeg", "weg", "straße", "strasse", "allee", "gasse", "platz", "damm", "ufer", "gade", "vägen", "gatan"}
)

// streetHead: w (lower case) begins street names in Romance languages.
func streetHead(w string) bool {
	switch w {
	case "via", "viale", "corso", "piazza", "piazzale", "largo", "vicolo", "rue", "avenue", "boulevard", "calle", "avenida", "paseo", "plaza", "carrer", "rua", "travessa":
		return true
	}
	return false
}

// europeanStreets appends the streets of streetTails and streetHeads.
func europeanStreets(text []byte, dst []Finding) []Finding {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !isUpper(c) || i > 0 && (isAlnum(text[i-1]) || text[i-1] >= 0x80) {
			continue
		}
		e := i
		for e < len(text) && (isAlpha(text[e]) || text[e] >= 0x80 || text[e] == '-') {
			e++
		}
		word := text[i:e]
		head := false
		if e-i <= 9 {
			var buf [9]byte
			for j, b := range word {
				buf[j] = b | 0x20
			}
			head = streetHead(string(buf[:e-i]))
		}
		if !head {
			if e+1 >= len(text) || text[e] != ' ' || !isDigit(text[e+1]) {
				i = e // a street of streetTails has its number right after it
				continue
			}
			tail, start := false, i
			for _, t := range streetTails {
				if len(word) > len(t)+1 && hasSuffixFold(word, t) {
					tail = true
					break
				}
				if len(word) == len(t) && hasPrefixFold(word, t) && i >= 2 && text[i-1] == ' ' {
					// "Prager Straße 10": the street type as a word of its own
					// after the street's capitalised name
					k := i - 1
					for k > 0 && (isAlpha(text[k-1]) || text[k-1] >= 0x80 || text[k-1] == '-') {
						k--
					}
					if k < i-1 && isUpper(text[k]) {
						tail, start = true, k
					}
					break
				}
			}
			if tail {
				if n := houseNumber(text, e); n > 0 {
					dst = append(dst, pii(start, n, StreetAddress))
					i = n
					continue
				}
			}
			i = e
			continue
		}
		// a head: up to five words (capitalised, particles, Roman numerals),
		// then the number
		k, words, end := e, 0, 0
		for words < 5 && k+1 < len(text) && text[k] == ' ' {
			if n := houseNumber(text, k); n > 0 && words > 0 {
				end = n
				break
			}
			j := k + 1
			for j < len(text) && (isAlpha(text[j]) || text[j] >= 0x80 || text[j] == '-' || text[j] == '\'' || text[j] == '.') {
				j++
			}
			if j == k+1 || !isUpper(text[k+1]) && !particle(text[k+1:j]) {
				break
			}
			k, words = j, words+1
		}
		if end > 0 {
			dst = append(dst, pii(i, end, StreetAddress))
			i = end
		} else {
			i = e
		}
	}
	return dst
}

// particle: a lower-case word inside a street or person name.
func particle(w []byte) bool {
	switch string(w) {
	case "de", "del", "della", "delle", "dei", "di", "da", "la", "le", "les", "du", "des", "d'", "los", "las", "y", "e", "van", "von", "der":
		return true
	}
	return false
}

// houseNumber returns the end of a house number one space after e (1–4
// digits, an optional letter), or 0.
func houseNumber(text []byte, e int) int {
	if e+1 >= len(text) || text[e] != ' ' || !isDigit(text[e+1]) {
		return 0
	}
	j := e + 1
	for j < len(text) && j-e <= 4 && isDigit(text[j]) {
		j++
	}
	if j-e > 4 {
		return 0
	}
	if j < len(text) && isLower(text[j]) && (j+1 == len(text) || !isAlnum(text[j+1])) {
		j++
	}
	if j < len(text) && (isAlnum(text[j]) || text[j] == '.' && j+1 < len(text) && isDigit(text[j+1]) || text[j] == ':' || text[j] == '/' || text[j] == '%') {
		return 0
	}
	return j
}

// hasSuffixFold: s ends with t (lower case), ignoring ASCII case.
func hasSuffixFold(s []byte, t string) bool {
	if len(s) < len(t) {
		return false
	}
	return hasPrefixFold(s[len(s)-len(t):], t)
}

// allUpper: w is ASCII capitals only.
func allUpper(w []byte) bool {
	for _, c := range w {
		if !isUpper(c) {
			return false
		}
	}
	return len(w) > 0
}

// houseNumberBefore returns the start of a house number (1–5 digits, an
// optional letter) one space before i, at a token start, or -1.
func houseNumberBefore(text []byte, i int) int {
	k := i - 1
	if k < 1 || text[k] != ' ' {
		return -1
	}
	if isAlpha(text[k-1]) {
		k-- // "14B"
	}
	e := k
	for k > 0 && isDigit(text[k-1]) {
		k--
	}
	if n := e - k; n < 1 || n > 5 || k > 0 && (isAlnum(text[k-1]) || text[k-1] >= 0x80 || strings.IndexByte(".,-/$#:%+", text[k-1]) >= 0) {
		return -1
	}
	return k
}

// wordBeforeIs: the word before i, on the same line, one space (and a
// full stop) before it, is in gazetteer class c.
func wordBeforeIs(m *ner.Model, text []byte, i int, c uint32) bool {
	k := i - 1
	if k < 1 || text[k] != ' ' {
		return false
	}
	e := k
	if text[e-1] == '.' {
		e--
	}
	k = e
	for k > 0 && (isAlpha(text[k-1]) || text[k-1] >= 0x80) {
		k--
	}
	if k == e || e-k > 16 {
		return false
	}
	return m.Classes(text[k:e])&c != 0
}

// endsInStreetWord: the span's last word is a street type ("Road", "Ave").
func (d *Detector) endsInStreetWord(text []byte, sp ner.Span) bool {
	k := sp.End
	for k > sp.Start && text[k-1] != ' ' {
		k--
	}
	return k > sp.Start && d.names.Classes(text[k:sp.End])&ner.GStreet != 0
}

// titles are the personal titles after which a name is a person's.
var titles = wordSet(`mr mrs ms miss mx dr prof herr frau mme mlle sr sra srta dra don doña dott sig signora signor mevrouw meneer dhr mevr`)

// titleBefore: the word before i (one space, and perhaps a full stop,
// before it) is a personal title.
func titleBefore(text []byte, i int) bool {
	k := i - 1
	if k < 1 || text[k] != ' ' {
		return false
	}
	e := k
	if text[e-1] == '.' {
		e--
	}
	k = e
	for k > 0 && (isAlpha(text[k-1]) || text[k-1] >= 0x80) {
		k--
	}
	if k == e || e-k > 8 || k > 0 && isAlnum(text[k-1]) {
		return false
	}
	var buf [8]byte
	for j, c := range text[k:e] {
		buf[j] = c
		if isUpper(c) {
			buf[j] = c | 0x20
		}
	}
	return titles[string(buf[:e-k])]
}

// beforePatterns cuts sp before the first value the patterns found that
// it overlaps (a checksum or a context word is surer than the model: the
// model's "RSSMRA85T10A562S; BSN" street is a fiscal code), or drops it
// (Type noName) when such a value starts at or before it.
func beforePatterns(text []byte, sp ner.Span, found []Finding) ner.Span {
	for _, f := range found {
		if f.Start < sp.End && sp.Start < f.End {
			if f.Start <= sp.Start {
				sp.Type = noName
				return sp
			}
			sp.End = f.Start
			for sp.End > sp.Start && !isAlnum(text[sp.End-1]) && text[sp.End-1] < 0x80 && text[sp.End-1] != '.' {
				sp.End--
			}
			if sp.End == sp.Start {
				sp.Type = noName
			}
		}
	}
	return sp
}

// streetNumberFirst: the span starts with a digit ("221B Baker Street").
func (d *Detector) streetNumberFirst(text []byte, sp ner.Span) bool { return isDigit(text[sp.Start]) }

// streetWord: w ends like a street's name in Dutch or German, or is a
// street type of the gazetteer.
func (d *Detector) streetWord(w []byte) bool {
	for _, t := range streetTails {
		if hasSuffixFold(w, t) {
			return true
		}
	}
	for _, t := range [...]string{"markt", "ring", "hof", "graben", "chaussee", "kai", "pfad", "stieg", "steig", "berg", "feld", "park", "plaats"} {
		if len(w) >= len(t) && hasSuffixFold(w, t) {
			return true
		}
	}
	return d.names.Classes(w)&ner.GStreet != 0
}

// sentenceStart: i starts a line, the text, or a sentence (after ". ",
// "! ", "? ").
func sentenceStart(text []byte, i int) bool {
	k := i
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	return k == 0 || text[k-1] == '\n' || k < i && (text[k-1] == '.' || text[k-1] == '!' || text[k-1] == '?')
}

// codeLike: a word of w mixes letters and digits and has a hyphen or
// only capitals besides ("CARD-ALPHA-9", "X7Z"): an identifier.
func codeLike(w []byte) bool {
	for i := 0; i < len(w); {
		j := i
		letters, digits, hyphen, lower := 0, 0, false, false
		for j < len(w) && w[j] != ' ' {
			switch c := w[j]; {
			case isDigit(c):
				digits++
			case isUpper(c):
				letters++
			case isLower(c) || c >= 0x80:
				letters++
				lower = true
			case c == '-' || c == '_':
				hyphen = true
			}
			j++
		}
		if letters > 0 && digits > 0 && (hyphen || !lower) {
			return true
		}
		i = j + 1
	}
	return false
}
