package content

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/wardenhq/warden/content/ner"
)

// Kind says what found a finding.
type Kind uint8

// Kinds of finding.
const (
	KindPII  Kind = iota // a detector: Entity says which
	KindDeny             // a deny rule: Rule names it
)

// Finding is a sensitive value or forbidden content at text[Start:End].
type Finding struct {
	Start, End int
	Kind       Kind
	Entity     Entity // for KindPII
	Rule       string // the secret rule or deny rule that matched, or the entity's name
	deny       *DenyRule
}

// Detector finds the entities it is asked for. It is safe for concurrent
// use; build it once per configuration.
type Detector struct {
	on      [numEntities]bool
	regions []string // national phone numbers are tried in these regions
	nanp    bool     // one of them is in the North American Numbering Plan
	secrets *automaton

	noTrunk  bool       // one of them writes national numbers without a trunk prefix
	ids      bool       // one of the detectors of ids.go is on
	context  bool       // one of the context-keyed entities is on
	alnumIDs bool       // one whose values may start with a letter is on
	domains  bool       // url or domain
	names    *ner.Model // the name model, if person, street_address, location or organization is on
}

// NewDetector returns a detector for the given entities. Phone numbers
// without a country code are checked against the number plans of regions
// (ISO 3166 codes; default US).
func NewDetector(entities []Entity, regions []string) *Detector {
	d := &Detector{regions: regions}
	if len(d.regions) == 0 {
		d.regions = []string{"US"}
	}
	for _, e := range entities {
		d.on[e] = true
	}
	for _, r := range d.regions {
		if phonenumbers.GetCountryCodeForRegion(r) == 1 {
			d.nanp = true
		}
		d.noTrunk = d.noTrunk || noTrunkRegions[r]
	}
	if d.on[Secret] {
		d.secrets = secretAutomaton
	}
	for e := Date; e < numEntities; e++ {
		if !d.on[e] {
			continue
		}
		d.ids = true
		d.context = d.context || contextEntities&(1<<e) != 0
		switch e {
		case Date, Age, URL, Domain, NPI, IMEI, UKNHSNumber, DETaxID, FRNIR, NLBSN, PLPESEL, MACAddress:
		default:
			d.alnumIDs = true
		}
	}
	d.domains = d.on[URL] || d.on[Domain]
	if d.on[Person] || d.on[StreetAddress] || d.on[Location] || d.on[Organization] {
		d.names = ner.Default()
		englishWords() // read now, not on a request's first name
	}
	return d
}

// labelSpan reports whether a span the name model found is not a value but
// a label or a slip: an initial alone ("I.", "J."), an identifier in code
// (after a member dot, or before a call's parenthesis), a street address with
// no capital letter, a span ending in a lone small letter, or the start of
// a context phrase
// of the pattern detectors ("DEA", "NHS", "Age", the "Driver" of
// "Driver's License"), which introduces a value rather than being one.
func labelSpan(text []byte, sp ner.Span) bool {
	letters := 0
	for _, c := range text[sp.Start:sp.End] {
		if isAlpha(c) || c >= 0x80 {
			letters++
		}
	}
	if letters <= 2 && sp.Type == ner.Person {
		return true
	}
	span := text[sp.Start:sp.End]
	if sp.Start >= 2 && text[sp.Start-1] == '.' && isAlnum(text[sp.Start-2]) || sp.End < len(text) && text[sp.End] == '(' ||
		sp.Type != ner.StreetAddress && sp.End+1 < len(text) && text[sp.End] == '.' && isUpper(text[sp.End+1]) && isLower(text[sp.End-1]) {
		// code: "fmt.Println", "Parse(", "Checkout.Submit": a member, a
		// call or a type with its member, not a name
		return true
	}
	if sp.Type == ner.StreetAddress && !slices.ContainsFunc(span, isUpper) && utf8.Valid(span) && isASCII(span) {
		return true // "3/4 cup": a street has a name
	}
	if k := len(span); k >= 2 && isLower(span[k-1]) && !isAlpha(span[k-2]) {
		return true // "NET, e" of "e.g.": no name ends in a lone small letter
	}
	var buf [48]byte
	n, words := 0, 0
	for i := sp.Start; i < len(text) && words < 3; {
		j := i
		for j < len(text) && (isAlpha(text[j]) || text[j] == '\'' || text[j] == '-') {
			j++
		}
		if j == i || n+(j-i)+1 > len(buf) {
			break
		}
		if words > 0 {
			buf[n] = ' '
			n++
		}
		for _, c := range text[i:j] {
			buf[n] = fold(c)
			n++
		}
		words++
		if j >= sp.End && contextWords[string(buf[:n])]&^streetBit != 0 {
			return true
		}
		for i = j; i < len(text) && (text[i] == ' ' || text[i] == '.' || text[i] == '#'); i++ {
		}
		if i > j+2 {
			break
		}
	}
	return false
}

// nerEntity maps the name model's types to entities.
var nerEntity = [...]Entity{ner.Person: Person, ner.Location: Location, ner.Organization: Organization, ner.StreetAddress: StreetAddress}

// spanBufs recycles the name model's span buffers.
var spanBufs = sync.Pool{New: func() any { return new([]ner.Span) }}

// findNames appends what the name model finds in text, of the entities d
// is asked for; dst[from:] holds what the patterns found in text.
func (d *Detector) findNames(text []byte, dst []Finding, from int) []Finding {
	buf := spanBufs.Get().(*[]ner.Span)
	spans := d.names.Find(text, (*buf)[:0])
	base, prev := len(dst), ner.Span{Type: noName}
	for _, sp := range spans {
		sp = d.refine(text, sp)
		sp = beforePatterns(text, sp, dst[from:base])
		if sp.Type == ner.Person && prev.Type == ner.StreetAddress && sp.Start == prev.End+2 && text[prev.End] == ',' && d.names.Classes(text[sp.Start:sp.End])&ner.GCity != 0 {
			sp.Type = ner.Location // "4521 Oak Ridge Drive, Austin": the city after a street
		}
		if sp.Type == ner.Person && prev.Type == ner.Location && listJoin(text[prev.End:sp.Start]) && d.names.Classes(text[sp.Start:sp.End])&(ner.GCity|ner.GRegion) != 0 {
			sp.Type = ner.Location // "Berlin, Paris and Rome", "Cornwall and Devon": a place in a list of places
		}
		if int(sp.Type) < len(nerEntity) && d.on[nerEntity[sp.Type]] && !labelSpan(text, sp) {
			dst = append(dst, pii(sp.Start, sp.End, nerEntity[sp.Type]))
			dst = d.beside(text, sp, dst)
			prev = sp
		}
	}
	*buf = spans[:0]
	spanBufs.Put(buf)
	if d.on[Person] {
		dst = d.lowerNames(text, dst)
	}
	if d.on[StreetAddress] {
		dst = europeanStreets(text, dst)
	}
	return dst
}

// Find appends the findings in text to dst, ordered by start, without
// overlaps (an earlier start wins, then the longer match).
func (d *Detector) Find(text []byte, dst []Finding) []Finding {
	base := len(dst)
	n := len(text)
	for i := 0; i < n; i++ {
		c := text[i]
		if !trigger[c] {
			continue // most bytes: lower-case letters past a-f, spaces, punctuation
		}
		tokenStart := !wordBefore(text, i)
		if d.on[MACAddress] && tokenStart && isHex(c) {
			if e, ok := macAt(text, i); ok {
				dst = append(dst, pii(i, e, MACAddress))
				i = e - 1
				continue
			}
		}
		if d.on[IPAddress] && tokenStart && (isHex(c) || c == ':') && (i == 0 || text[i-1] != ':') && colonSoon(text, i) {
			if e, ok := ipv6(text, i); ok {
				dst = append(dst, pii(i, e, IPAddress))
				i = e - 1
				continue
			}
		}
		switch {
		case c == '@':
			if d.on[Email] {
				if s, e, ok := email(text, i); ok {
					dst = append(dst, pii(s, e, Email))
					i = e - 1
				}
			}
		case c == '.' && d.domains:
			if i > 0 && isAlnum(text[i-1]) && i+2 < n && isAlpha(text[i+1]) {
				if s, e, ent, ok := domainAt(text, i); ok && d.on[ent] {
					dst = append(dst, pii(s, e, ent))
					i = e - 1
				}
			}
		case c == ':' && d.on[URL]:
			if s, e, ok := urlAt(text, i); ok {
				dst = append(dst, pii(s, e, URL))
				i = e - 1
			}
		case isDigit(c) && tokenStart:
			if d.ids {
				if e, ent, ok := d.idAt(text, i); ok && (ent == noEntity || d.on[ent]) {
					if ent != noEntity {
						dst = append(dst, pii(i, e, ent))
					}
					i = e - 1
					continue
				}
			}
			end, f, ok := d.number(text, i)
			if ok {
				dst = append(dst, f)
			}
			if end > i+1 {
				i = end - 1
			}
			continue
		case (c == '+' || c == '(') && tokenStart && i+1 < n && isDigit(text[i+1]):
			if d.on[Phone] {
				if e, ok := d.phone(text, i); ok {
					dst = append(dst, pii(i, e, Phone))
					i = e - 1
					continue
				}
			}
		case isUpper(c) && tokenStart:
			if d.on[IBAN] {
				if e, ok := iban(text, i); ok {
					dst = append(dst, pii(i, e, IBAN))
					i = e - 1
					continue
				}
			}
			if d.ids {
				if e, ent, ok := d.upperAt(text, i); ok && (ent == noEntity || d.on[ent]) {
					if ent != noEntity {
						dst = append(dst, pii(i, e, ent))
					}
					i = e - 1
					continue
				}
			}
		case isDigit(c) && d.on[IBAN] && i >= 2 && isLower(text[i-1]) && isLower(text[i-2]) && !wordBefore(text, i-2):
			// a lower-case IBAN ("de89 3704 ..."): its country code has no
			// trigger byte, so it is tried at its check digits
			if e, ok := iban(text, i-2); ok {
				dst = append(dst, pii(i-2, e, IBAN))
				i = e - 1
				continue
			}
		}
	}
	if d.secrets != nil {
		dst = findSecrets(text, dst)
	}
	if d.names != nil {
		dst = d.findNames(text, dst, base)
	}
	return resolve(dst, base)
}

// trigger marks the bytes at which a detector may start: digits, upper
// case letters (IBAN, identifiers, month names), hex letters and ':'
// (IPv6, MAC addresses, URLs), '@', '+', '(' and '.' (domains).
var trigger = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c)
		t[c] = isDigit(b) || isUpper(b) || isHex(b) || b == ':' || b == '@' || b == '+' || b == '(' || b == '.'
	}
	return t
}()

func pii(s, e int, ent Entity) Finding {
	return Finding{Start: s, End: e, Kind: KindPII, Entity: ent, Rule: entityNames[ent]}
}

// resolve sorts dst[base:] by start and drops findings that overlap an
// earlier (or, at the same start, a longer) one.
func resolve(dst []Finding, base int) []Finding {
	fs := dst[base:]
	if len(fs) < 2 {
		return dst
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End == b.End && (a.Entity == Secret) != (b.Entity == Secret) && a.Kind == KindPII && b.Kind == KindPII {
			if a.Entity == Secret { // a URL with a password is a secret first
				return -1
			}
			return 1
		}
		return b.End - a.End
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		if f.Start < out[len(out)-1].End {
			continue
		}
		out = append(out, f)
	}
	return dst[:base+len(out)]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlpha(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isHex(c byte) bool   { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }

func upper(c byte) byte {
	if isLower(c) {
		return c - 'a' + 'A'
	}
	return c
}

// wordBefore reports whether the character before text[i] belongs to a
// word, so a value starting at i would be glued to it; wordAfter, the
// character at text[i]. Words are ASCII letters, digits and '_', and
// letters and digits of scripts that separate words with spaces (below
// U+2E80): a value next to a quotation mark, a dash, a combining mark or
// CJK text stands apart.
func wordBefore(text []byte, i int) bool {
	if i <= 0 {
		return false
	}
	if c := text[i-1]; c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeLastRune(text[:i])
	return wordRune(r)
}

func wordAfter(text []byte, i int) bool {
	if i >= len(text) {
		return false
	}
	if c := text[i]; c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeRune(text[i:])
	return wordRune(r)
}

func wordRune(r rune) bool { return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// --- email

// letterOrDigit: a character (not ASCII) an internationalised address
// may hold.
func letterOrDigit(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

func isLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' || c == '!' || c == '#' || c == '$' || c == '&' || c == '*' || c == '=' || c == '?' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '~' || c == '/'
}

// email matches local@domain.tld around the '@' at at. Addresses may be
// internationalised (RFC 6531): letters of any script in the local part
// and the domain's labels (jürgen.müller@firma.de, jose@münchen.de).
func email(text []byte, at int) (start, end int, ok bool) {
	s := at
	for s > 0 && at-s < 256 { // (longer than RFC 5321's 64: redacted whole all the same)
		if c := text[s-1]; c < utf8.RuneSelf {
			if !isLocalByte(c) {
				break
			}
			s--
			continue
		}
		r, n := utf8.DecodeLastRune(text[:s])
		if !letterOrDigit(r) {
			break
		}
		s -= n
	}
	if k := bytes.LastIndexByte(text[s:at], '='); k >= 0 {
		s += k + 1 // "user=jane@example.com" in a log: the key is not the address
	}
	for s < at && (text[s] == '.' || text[s] < utf8.RuneSelf && !isAlnum(text[s]) && text[s] != '_') { // no leading dot or punctuation
		s++
	}
	if s == at || text[at-1] == '.' || (s > 0 && text[s-1] >= 0x80 && wordBefore(text, s)) {
		return 0, 0, false
	}
	// domain: labels of letters, digits and '-', dot-separated, a final
	// label of letters
	e, labels, lastAlpha, lastLen := at+1, 0, false, 0
	for e < len(text) && e-at < 255 {
		ls := e
		alpha := true
		for e < len(text) {
			if c := text[e]; c < utf8.RuneSelf {
				if !isAlnum(c) && c != '-' {
					break
				}
				alpha = alpha && isAlpha(c)
				e++
				continue
			}
			r, n := utf8.DecodeRune(text[e:])
			if !letterOrDigit(r) {
				break
			}
			alpha = alpha && !unicode.IsDigit(r)
			e += n
		}
		l := e - ls
		if l == 0 || l > 63 || text[ls] == '-' || text[e-1] == '-' {
			e = ls
			if labels > 0 {
				e-- // the dot before it ends the sentence, not the address
			}
			break
		}
		labels++
		lastAlpha, lastLen = alpha, l
		if e+1 < len(text) && text[e] == '.' && (isAlnum(text[e+1]) || text[e+1] >= utf8.RuneSelf) {
			e++
			continue
		}
		break
	}
	if labels < 2 || !lastAlpha || lastLen < 2 {
		return 0, 0, false
	}
	if wordAfter(text, e) || e < len(text) && text[e] == '@' {
		return 0, 0, false
	}
	return s, e, true
}

// --- numbers: IPv4, SSN, payment cards, national phone numbers

// digitRun describes a run of digit groups with single separators between
// them, such as "4111 1111 1111 1111", "078-05-1120" or "192.168.0.1".
type digitRun struct {
	end    int
	digits int
	groups [8]uint8 // lengths of the first groups
	ngroup int
	sep    byte // the separator if all are the same, 0 if none, 1 if mixed
	value  [24]byte
}

func scanRun(text []byte, i int) (r digitRun) {
	e := i
	g := 0
	for e < len(text) {
		c := text[e]
		if isDigit(c) {
			if r.digits < len(r.value) {
				r.value[r.digits] = c
			}
			r.digits++
			g++
			e++
			continue
		}
		if (c == ' ' || c == '-' || c == '.') && g > 0 && e+1 < len(text) && isDigit(text[e+1]) && r.digits < 24 {
			if r.ngroup < len(r.groups) {
				r.groups[r.ngroup] = uint8(min(g, 255))
			}
			r.ngroup++
			g = 0
			switch r.sep {
			case 0:
				r.sep = c
			case c:
			default:
				r.sep = 1
			}
			e++
			continue
		}
		break
	}
	if r.ngroup < len(r.groups) {
		r.groups[r.ngroup] = uint8(min(g, 255))
	}
	r.ngroup++
	r.end = e
	return r
}

// cardWithin finds a payment card among the groups of a run that starts
// at i: consecutive groups shaped as cards are written (4-4-4-4, 4-4-4-1..4
// and so on up to 19 digits, or Amex's 4-6-5) that pass the card checks.
// It returns the card's offsets in the text.
func (r *digitRun) cardWithin(i int) (int, int, bool) {
	n := min(r.ngroup, len(r.groups))
	off := make([]int, n+1) // digits before group k
	for k := range n {
		off[k+1] = off[k] + int(r.groups[k])
	}
	if off[n] > len(r.value) {
		return 0, 0, false
	}
	for a := 0; a < n; a++ {
		for b := n - 1; b > a; b-- { // groups a..b
			digits := off[b+1] - off[a]
			if digits < 13 || digits > 19 || !cardShape(r.groups[a:b+1]) || !card(r.value[off[a]:off[b+1]]) {
				continue
			}
			start := i + off[a] + a // each group after the first has a separator before it
			return start, i + off[b+1] + b, true
		}
	}
	return 0, 0, false
}

// cardShape: the group lengths cards are written in.
func cardShape(g []uint8) bool {
	if len(g) == 3 && g[0] == 4 && g[1] == 6 && g[2] == 5 {
		return true
	}
	for k, l := range g {
		if l != 4 && (k < len(g)-1 || l == 0) {
			return false
		}
	}
	return len(g) >= 4
}

func (r *digitRun) shape(lens ...uint8) bool {
	if r.ngroup != len(lens) {
		return false
	}
	for i, l := range lens {
		if r.groups[i] != l {
			return false
		}
	}
	return true
}

func (d *Detector) number(text []byte, i int) (end int, f Finding, ok bool) {
	r := scanRun(text, i)
	end = r.end
	// A run glued to letters (an id like "A1234567B") is not a value,
	// unless the letters are a phone extension ("555-2671x12").
	if wordAfter(text, end) && (!d.on[Phone] || phoneExt(text, end) == end) {
		return end, f, false
	}
	switch {
	case r.sep == '.' && r.ngroup == 4:
		if d.on[IPAddress] && ipv4(text[i:end]) {
			return end, pii(i, end, IPAddress), true
		}
		return end, f, false
	case r.sep == '.' && r.ngroup > 1 && !(d.on[Phone] && d.dottedPhone(&r, text, i)):
		return end, f, false // decimals, versions
	}
	if d.on[USSSN] && (r.shape(3, 2, 4) && (r.sep == '-' || r.sep == ' ') || r.ngroup == 1 && r.digits == 9 && near(text, i, ssnWords)) {
		if ssn(r.value[:9]) {
			return end, pii(i, end, USSSN), true
		}
	}
	if d.on[CreditCard] && r.digits >= 12 && r.digits <= 19 && r.sep != 1 && r.sep != '.' && card(r.value[:r.digits]) &&
		(r.digits > 12 || r.shape(4, 4, 4) || near(text, i, cardWords)) { // 12 digits: Maestro, written as a card
		return end, pii(i, end, CreditCard), true
	}
	if d.on[CreditCard] && r.sep != 1 && r.sep != '.' && r.ngroup > 3 {
		// A card in a longer run: "4111 1111 1111 1111 123" (with its
		// security code), or after a number. Only card-shaped groups count.
		if s, e, ok := r.cardWithin(i); ok {
			return e, pii(s, e, CreditCard), true
		}
	}
	if d.on[Phone] && r.digits >= 7 && r.digits <= 17 && r.sep != 1 {
		if d.nationalPhone(text, i, &r) {
			return phoneExt(text, end), pii(i, phoneExt(text, end), Phone), true
		}
	}
	return end, f, false
}

// nationalPhone reports whether the run r at i is a phone number written
// without '+': a bare run of digits is an order number until a context
// word says it is a phone number, and a formatted one must read as one.
// It may start with an international prefix instead (00 or, in NANP
// regions, 011: "001-415-555-2671", "0049 30 901820"), or, after a word
// such as "Tel", leave out the trunk prefix ("Tel. 30 901820").
func (d *Detector) nationalPhone(text []byte, i int, r *digitRun) bool {
	ctx := phoneContext(text, i)
	if ctx < 0 || r.ngroup == 1 && ctx == 0 {
		return false
	}
	v := r.value[:min(r.digits, len(r.value))]
	if intl := internationalPrefix(v, d.nanp); intl > 0 {
		if len(v)-intl < 7 || len(v)-intl > 15 {
			return false
		}
		return d.validPhone(append([]byte{'+'}, v[intl:]...))
	}
	if r.digits > 15 || !d.nationalShape(v) && ctx == 0 {
		return false
	}
	if v[0] != '0' && !(d.nanp && len(v) == 10) && ctx == 0 {
		// no trunk prefix and no context word: only a region that writes
		// its numbers so may have it ("612 345 678" in Spain, not a
		// German number that lost its 0)
		return d.validPhoneIn(text[i:r.end], func(r string) bool { return noTrunkRegions[r] })
	}
	return d.validPhone(text[i:r.end])
}

// internationalPrefix: the length of the international call prefix v
// starts with (00, or 011 from a NANP region), or 0.
func internationalPrefix(v []byte, nanp bool) int {
	switch {
	case len(v) > 3 && v[0] == '0' && v[1] == '0' && v[2] != '0':
		return 2
	case nanp && len(v) > 4 && v[0] == '0' && v[1] == '1' && v[2] == '1' && v[3] != '0':
		return 3
	}
	return 0
}

// dottedPhone: a run separated by dots that reads as a phone number
// (415.555.2671, 01.23.45.67.89) rather than a version or an amount.
func (d *Detector) dottedPhone(r *digitRun, text []byte, i int) bool {
	if r.digits < 9 || r.digits > 13 {
		return false
	}
	if r.shape(3, 3, 4) || r.shape(2, 2, 2, 2, 2) || r.shape(4, 3, 4) || r.shape(3, 4, 4) {
		return true
	}
	return r.ngroup >= 3 && phoneContext(text, i) > 0
}

// phoneExt returns the end of an extension written after a phone number
// that ends at e (" x4587", " ext. 12", ", ext 12", "#12"), or e.
func phoneExt(text []byte, e int) int {
	k := e
	for k < len(text) && k-e < 2 && (text[k] == ' ' || text[k] == ',') {
		k++
	}
	switch {
	case k < len(text) && text[k] == '#':
		k++
	case hasPrefixFold(text[k:], "extension"):
		k += 9
	case hasPrefixFold(text[k:], "ext"):
		k += 3
	case k < len(text) && (text[k] == 'x' || text[k] == 'X'):
		k++
	default:
		return e
	}
	for k < len(text) && (text[k] == '.' || text[k] == ' ' || text[k] == ':') && k+1 < len(text) && !isAlpha(text[k+1]) {
		k++
	}
	s := k
	for k < len(text) && isDigit(text[k]) && k-s < 6 {
		k++
	}
	if k == s || wordAfter(text, k) {
		return e
	}
	return k
}

// hasPrefixFold: s starts with w (lower case), ignoring ASCII case.
func hasPrefixFold(s []byte, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for j := range len(w) {
		if fold(s[j]) != w[j] {
			return false
		}
	}
	return true
}

// phoneContext: 1 if a phone word (tel, fax, desk, ...) is the nearest
// context word among the four words before i (within nearWindow bytes),
// -1 if a word that names other numbers is (order, invoice, account, ...;
// or "#" and "no." with no phone word before them), 0 if neither.
func phoneContext(text []byte, i int) int {
	weak := false
	k, lim := i, max(0, i-nearWindow)
	var buf [16]byte
	for n := 0; n < 4 && k > lim; n++ {
		for k > lim && !ctxByte(text[k-1]) {
			k--
		}
		e := k
		for k > lim && ctxByte(text[k-1]) {
			k--
		}
		if e == k || e-k > len(buf) {
			continue
		}
		for x, c := range text[k:e] {
			buf[x] = fold(c)
		}
		switch phoneWordClass[string(buf[:e-k])] {
		case 1:
			return 1
		case 2:
			return -1
		case 3:
			weak = true
		}
	}
	if weak {
		return -1
	}
	return 0
}

// phoneWordClass: 1 for phone words, 2 for the words of other numbers, 3
// for "#", "no" and "nr", which name other numbers unless a phone word
// comes before them.
var phoneWordClass = func() map[string]int8 {
	m := map[string]int8{}
	for c, l := range [][]string{phoneWords, notPhoneWords, weakNotPhoneWords} {
		for _, w := range l {
			m[w] = int8(c + 1)
		}
	}
	return m
}()

// phone matches a number that starts with '+' or '(' at i, with its
// extension if it has one.
func (d *Detector) phone(text []byte, i int) (int, bool) {
	e := i + 1
	digits := 0
	for e < len(text) && e-i < 32 {
		c := text[e]
		switch {
		case isDigit(c):
			digits++
		case (c == ' ' || c == '-' || c == '.' || c == ')' || c == '(') && e+1 < len(text) && (isDigit(text[e+1]) || text[e+1] == '(' || c == ')' && text[e+1] == ' '):
		default:
			goto done
		}
		e++
	}
done:
	for e > i && !isDigit(text[e-1]) {
		e--
	}
	if digits < 7 || digits > 15 || phoneContext(text, i) < 0 {
		return 0, false
	}
	x := phoneExt(text, e)
	if x == e && wordAfter(text, e) || !d.validPhone(text[i:e]) {
		return 0, false
	}
	return x, true
}

// noTrunkRegions write national numbers without a trunk prefix (Spain's
// "612 345 678", Italy's "06 1234 5678" keeps its 0 as part of the number).
var noTrunkRegions = map[string]bool{"ES": true, "IT": true, "PT": true, "GR": true, "DK": true, "NO": true, "LU": true, "MT": true,
	"CY": true, "IS": true, "EE": true, "LV": true, "PL": true, "CZ": true, "MC": true}

// nationalShape is a cheap test before the number plans: a national number
// is ten digits with NANP's shape (area code and exchange starting 2-9)
// where NANP regions are configured, or otherwise starts with a trunk
// prefix 0 and has 9 to 12 digits. Dates and amounts fail it.
func (d *Detector) nationalShape(v []byte) bool {
	if len(v) == 10 && v[0] >= '2' && v[3] >= '2' && d.nanp {
		return true
	}
	if d.noTrunk && len(v) >= 8 && len(v) <= 10 && v[0] != '0' {
		return true
	}
	return v[0] == '0' && len(v) >= 9 && len(v) <= 12 && v[1] != '0'
}

func (d *Detector) validPhone(s []byte) bool { return d.validPhoneIn(s, nil) }

// validPhoneIn: s is a valid number, in one of the configured regions
// that in (if not nil) accepts.
func (d *Detector) validPhoneIn(s []byte, in func(string) bool) bool {
	str := string(s)
	if s[0] == '+' {
		n, err := phonenumbers.Parse(str, "ZZ")
		return err == nil && phonenumbers.IsValidNumber(n)
	}
	for _, region := range d.regions {
		if in != nil && !in(region) {
			continue
		}
		if n, err := phonenumbers.Parse(str, region); err == nil && phonenumbers.IsValidNumber(n) {
			return true
		}
	}
	return false
}

var (
	phoneWords = []string{"phone", "tel", "telephone", "mobile", "mob", "cell", "call", "fax", "whatsapp", "sms", "contact",
		"desk", "direct", "dial", "office", "landline", "hotline", "ph", "telefon", "telefax", "handy", "mobil", "tél", "téléphone",
		"portable", "teléfono", "telefono", "móvil", "movil", "celular", "tfno", "llámeme", "llame", "llamar", "appelez", "appeler",
		"joindre", "anrufen", "erreichbar", "reach", "text", "texting"}
	notPhoneWords = []string{"order", "invoice", "tracking", "ref", "account", "acct", "id", "isbn", "serial", "sku", "ticket",
		"case", "confirmation", "booking", "reference", "transaction", "customer", "order#", "#order",
		"rechnung", "bestellung", "auftrag", "kundennummer", "facture", "commande", "référence", "pedido", "factura", "referencia"}
	weakNotPhoneWords = []string{"no", "#", "nr"}
	ssnWords          = []string{"ssn", "social security", "soc sec", "taxpayer"}
	cardWords         = []string{"card", "maestro", "debit", "karte", "carte", "tarjeta"}
)

// nearWindow is how far before a value its context words are looked for.
const nearWindow = 24

// near reports whether one of words (lower case) ends within nearWindow
// bytes before i, case-insensitively.
func near(text []byte, i int, words []string) bool {
	return lastNear(text, i, words) >= 0
}

// lastNear returns where the latest of words (lower case) starts within
// nearWindow bytes before i, case-insensitively, or -1.
func lastNear(text []byte, i int, words []string) int {
	from := max(0, i-nearWindow)
	window := text[from:i]
	last := -1
	for _, w := range words {
		if k := lastIndexFold(window, w); k >= 0 && from+k > last {
			last = from + k
		}
	}
	return last
}

// lastIndexFold finds the last w (lower case) in s, case-insensitively
// and not inside a longer word.
func lastIndexFold(s []byte, w string) int {
	for k := len(s) - len(w); k >= 0; k-- {
		if !hasPrefixFold(s[k:], w) {
			continue
		}
		if isAlpha(w[0]) && k > 0 && isAlpha(s[k-1]) || isAlpha(w[len(w)-1]) && k+len(w) < len(s) && isAlpha(s[k+len(w)]) {
			continue
		}
		return k
	}
	return -1
}

func ipv4(s []byte) bool {
	a, err := netip.ParseAddr(string(s))
	return err == nil && a.Is4()
}

// ssn applies the SSA's rules: no area 000, 666 or 900-999, no group 00,
// no serial 0000.
func ssn(d []byte) bool {
	area := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if area == 0 || area == 666 || area >= 900 {
		return false
	}
	if d[3] == '0' && d[4] == '0' {
		return false
	}
	return !(d[5] == '0' && d[6] == '0' && d[7] == '0' && d[8] == '0')
}

// card: the Luhn checksum, and a length that the issuer's range allows.
func card(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	if sum%10 != 0 {
		return false
	}
	p := func(n int) int { // the first n digits as a number
		v := 0
		for _, c := range d[:n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	l := len(d)
	switch {
	case d[0] == '4': // Visa
		return l == 13 || l == 16 || l == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720: // Mastercard
		return l == 16
	case p(2) == 34 || p(2) == 37: // American Express
		return l == 15
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649: // Discover
		return l >= 16 && l <= 19
	case p(4) >= 3528 && p(4) <= 3589: // JCB
		return l >= 16 && l <= 19
	case p(4) == 1800 || p(4) == 2131: // JCB's older 15-digit ranges
		return l == 15
	case p(3) >= 300 && p(3) <= 305, p(2) == 36, p(2) == 38, p(2) == 39: // Diners Club
		return l >= 14 && l <= 19
	case p(2) == 62: // UnionPay
		return l >= 16 && l <= 19
	case p(2) == 50, p(2) >= 56 && p(2) <= 69: // Maestro
		return l >= 12 && l <= 19
	}
	return false
}

// --- IBAN

// ibanLengths: the length of each country's IBAN (SWIFT IBAN registry).
var ibanLengths = map[[2]byte]uint8{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20, {'B', 'E'}: 16,
	{'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'R'}: 29, {'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28,
	{'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24,
	{'F', 'I'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18,
	{'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28, {'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23,
	{'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30, {'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32,
	{'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20, {'L', 'V'}: 21, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22,
	{'M', 'K'}: 19, {'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'L'}: 18, {'N', 'O'}: 15, {'P', 'K'}: 24,
	{'P', 'L'}: 28, {'P', 'S'}: 29, {'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'S', 'A'}: 24,
	{'S', 'C'}: 31, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27, {'S', 'T'}: 25, {'S', 'V'}: 28,
	{'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29, {'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20,
}

// iban matches an IBAN at i, compact or in groups of four separated by
// single spaces, with its country's length and a valid mod-97 check.
func iban(text []byte, i int) (int, bool) {
	if i+4 > len(text) || !isAlpha(text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) || isUpper(text[i]) != isUpper(text[i+1]) {
		return 0, false
	}
	want, ok := ibanLengths[[2]byte{upper(text[i]), upper(text[i+1])}]
	if !ok {
		return 0, false
	}
	var buf [34]byte
	n, e := 0, i
	for e < len(text) && n < int(want) {
		c := text[e]
		switch {
		case isDigit(c) || isAlpha(c):
			buf[n] = upper(c)
			n++
			e++
		case c == ' ' && n%4 == 0 && e+1 < len(text) && isAlnum(text[e+1]):
			e++
		default:
			return 0, false
		}
	}
	if n != int(want) || wordAfter(text, e) {
		return 0, false
	}
	// mod 97 of the rearranged number, letters as 10..35
	rem := 0
	for k := range n {
		c := buf[(k+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	return e, rem == 1
}

// --- IPv6

// colonSoon: a ':' within the first five bytes of a hex run at i.
func colonSoon(text []byte, i int) bool {
	for k := i; k < len(text) && k-i < 5; k++ {
		if text[k] == ':' {
			return true
		}
		if !isHex(text[k]) {
			return false
		}
	}
	return false
}

func ipv6(text []byte, i int) (int, bool) {
	e, colons := i, 0
	for e < len(text) && e-i < 45 {
		c := text[e]
		if c == ':' {
			colons++
		} else if !isHex(c) && c != '.' {
			break
		}
		e++
	}
	for e > i && (text[e-1] == '.' || text[e-1] == ':' && (e-2 < i || text[e-2] != ':')) {
		e-- // sentence punctuation, not part of the address
	}
	if colons < 2 || wordAfter(text, e) {
		return 0, false
	}
	if !hasDigit(text[i:e]) {
		return 0, false // "face::add", "dead::beef": words, not addresses
	}
	a, err := netip.ParseAddr(string(text[i:e]))
	if err != nil || !a.Is6() {
		return 0, false
	}
	// "::" alone, or a clock like 12:30:45 (not an address anyway), are
	// not worth a redaction.
	return e, e-i > 2
}

// --- the rules around the name model

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
			if k == sp.Start || !isLower(text[k]) {
				break
			}
			if particle(text[k:sp.End]) {
				// "Fecha de nacimiento": a particle belongs to a name only
				// before the name's capitalised next word
				if n := sp.End + 1; n < len(text) && text[sp.End] == ' ' && (isUpper(text[n]) || text[n] >= 0x80) {
					break
				}
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
	if sp.Type != ner.StreetAddress && d.commonWords(text, sp) {
		sp.Type = noName // "Fiscal Year", "Business Days", "Notary Public": English words, not a name
		return sp
	}
	if sp.Type == ner.Person && d.businessName(text[sp.Start:sp.End]) && !titleBefore(text, sp.Start) {
		sp.Type = ner.Organization // "Thames Water", "Tesco Stores": a name and a common noun, no given name
	}
	oneWord, words := true, 1
	for _, c := range text[sp.Start:sp.End] {
		if c == ' ' {
			oneWord = false
			words++
		}
	}
	if sp.Type == ner.StreetAddress && !streetLike(text[sp.Start:sp.End]) {
		sp.Type = noName // "Claim", "Spring Break", "Route 9", "4e B": no house number, or none with a street
		return sp
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
		if sp.Type != ner.StreetAddress && determinerBefore(text, sp.Start) == 2 && d.noWordKnown(text[sp.Start:sp.End]) {
			sp.Type = noName // "die Positionen Beratung": German nouns after their article
		}
		return sp
	}
	if inFold(funcWords, text[sp.Start:sp.End]) && sp.End+1 < len(text) && text[sp.End] == ' ' && isLower(text[sp.End+1]) {
		sp.Type = noName // "Mon adresse", "Mi casa": a possessive, not a name
		return sp
	}
	cls := d.names.Classes(text[sp.Start:sp.End])
	if (cls&ner.GMonth != 0 || inFold(weekdays, text[sp.Start:sp.End])) && sp.End+1 < len(text) && (text[sp.End] == ',' || text[sp.End] == ' ' && isDigit(text[sp.End+1])) {
		sp.Type = noName // "Jan 14", "Mon, Feb 3": a month or a weekday
		return sp
	}
	if sp.End < len(text) && text[sp.End] == ':' && cls&known == 0 {
		sp.Type = noName // "Halter:", "Town:", "School:": a form's field name
		return sp
	}
	if cls&known == 0 && sentenceStart(text, sp.Start) && sp.End < len(text) && (text[sp.End] == ':' || sp.End+1 < len(text) && text[sp.End] == ' ' && isLower(text[sp.End+1]) && !particleOfName(text, sp.End+1)) {
		// "Username is …", "Privacy: …", "Just confirming", "Loan
		// agreement": a capitalised first word that no list knows, or only
		// the long tails of the surname or street-word lists do
		sp.Type = noName
		return sp
	}
	if cls&known == 0 && sp.Type != ner.StreetAddress && germanNoun(text[sp.Start:sp.End]) {
		sp.Type = noName // "Personalabteilung", "Kontoinhaber", "Baujahr": a German noun by its ending
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
	if sp.Type == ner.Person && cls&(ner.GCity|ner.GRegion) != 0 && (cls&(ner.GFirstTop|ner.GLastTop) == 0 || wordBeforeIs(d.names, text, sp.Start, ner.GContextLoc)) &&
		!wordBeforeIs(d.names, text, sp.Start, ner.GContextPer) { // "daughter Ngozi" stays a person
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

// wordAt returns the letters (ASCII, and any byte of a multi-byte
// character) starting at i.
func wordAt(text []byte, i int) []byte {
	e := i
	for e < len(text) && (isAlpha(text[e]) || text[e] >= 0x80 || text[e] == '\'') {
		e++
	}
	return text[i:e]
}

// commonWords: every word of sp is an English common word (SCOWL's
// lower-case words: "fiscal year", "business days", "notary public"),
// none is one of the common given names, the whole is no place or known
// organisation, and nothing says it is a name: no person's context word
// before it, and no organisation's legal form or noun closing two words
// or more ("First Harbor Bank", "Acme Group").
func (d *Detector) commonWords(text []byte, sp ner.Span) bool {
	span := text[sp.Start:sp.End]
	cls := d.names.Classes(span)
	if cls&(ner.GOrgKnown|ner.GCity|ner.GRegion|ner.GStateCode|ner.GCountry) != 0 ||
		cls&(ner.GOrgNoun|ner.GOrgSuffix) == 0 && wordBeforeIs(d.names, text, sp.Start, ner.GContextPer) {
		return false // "Patient Services" is no patient's name; "Patient Baker" is
	}
	var buf [24]byte
	words := 0
	for i := 0; i < len(span); {
		j := i
		for j < len(span) && isAlpha(span[j]) {
			j++
		}
		if j-i < 3 || j-i > len(buf) || j < len(span) && span[j] != ' ' && span[j] != '-' {
			return false
		}
		for k, c := range span[i:j] {
			buf[k] = fold(c)
		}
		if allUpper(span[i:j]) || particle(buf[:j-i]) || !englishWords()[string(buf[:j-i])] {
			return false // "UPS": an acronym; "Hospital del Mar": not English
		}
		c := d.names.Classes(span[i:j])
		if c&(ner.GFirstTop|ner.GOrgNoun|ner.GOrgSuffix|ner.GPlaceWord|ner.GStreet) != 0 && (words > 0 || j < len(span)) {
			return false // "First Harbor Bank", "Cook County": a name's head word
		}
		if c&ner.GFirstTop != 0 {
			return false // "Grace", "Mark": a given name first
		}
		words++
		i = j + 1
	}
	switch {
	case sp.End+1 < len(text) && text[sp.End] == ' ' && (titleWord(wordAt(text, sp.End+1)) && !inFold(englishWords(), wordAt(text, sp.End+1)) || particleOfName(text, sp.End+1)):
		// "Hotel Alfonso XIII", "Hospital del Mar": the head of a longer
		// name; but "Privacy Policy", "Dark Mode": words again, and
		// "Vehicle VIN:": a label before an acronym
		return false
	case words == 1:
		return true
	case sp.Type == ner.Person:
		return true // "Notary Public", "Easy Saver"
	case sp.Type == ner.Organization:
		// "the next Fiscal Year", "two Business Days"; but "with Pacific
		// Coast Title" may be a company
		return determinerBefore(text, sp.Start) != 0 || countBefore(text, sp.Start)
	}
	return false // "Round Rock", "Studio City": places are named with common words
}

// funcWords are possessives of French, Spanish, Italian and German that
// begin a sentence capitalised and some lists know as names ("Mon").
var funcWords = wordSet(`mon ma mes ton ta tes son sa ses notre votre nos vos leur leurs mi mis tu tus su sus nuestro nuestra mio mia
	mein meine dein deine sein seine unser unsere euer eure`)

// noWordKnown: no word of s is in a gazetteer.
func (d *Detector) noWordKnown(s []byte) bool {
	for _, w := range bytes.Fields(s) {
		if d.names.Classes(w) != 0 {
			return false
		}
	}
	return true
}

// streetLike: s, a street address the model found, has a number, is not
// a road named by its number alone ("Route 9", "Highway 101"), and its
// name after a leading number is more than one letter ("4e B", a school
// class).
func streetLike(s []byte) bool {
	if !slices.ContainsFunc(s, isDigit) {
		return false
	}
	first := s
	if k := bytes.IndexByte(s, ' '); k > 0 {
		first = s[:k]
	}
	if inFold(roadWords, first) {
		return false
	}
	if isDigit(s[0]) {
		rest := bytes.TrimSpace(s[len(first):])
		if len(rest) == 1 {
			return false
		}
	}
	return true
}

// listJoin: s joins two items of a list (", ", " and ", " und ", " et ",
// " y ", " or ").
func listJoin(s []byte) bool {
	switch string(s) {
	case ", ", " and ", " und ", " et ", " y ", " e ", " en ", " or ", " oder ", " ou ", " o ", "/", " / ":
		return true
	}
	return false
}

// businessName: s is two words or more, none a given name (of any list),
// the last an English common noun ("Water", "Stores", "Roofing"): a
// company's name rather than a person's.
func (d *Detector) businessName(s []byte) bool {
	words := bytes.Fields(s)
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		if d.names.Classes(w)&(ner.GFirst|ner.GFirstTop) != 0 || allUpper(w) {
			return false
		}
	}
	last := words[len(words)-1]
	return len(last) >= 4 && isAlpha(last[0]) && inFold(englishWords(), last)
}

// roadWords name a road by its number ("Route 9", "Highway 101").
var roadWords = wordSet(`route highway hwy interstate autobahn autopista autoroute exit`)

// inFold: w, folded to lower case (ASCII), is in m; without allocating.
func inFold(m map[string]bool, w []byte) bool {
	var buf [24]byte
	if len(w) > len(buf) {
		return false
	}
	for k, c := range w {
		buf[k] = fold(c)
	}
	return m[string(buf[:len(w)])]
}

// titleWord: w is capitalised, its second letter small ("Alfonso", not
// "VIN"), or a non-ASCII letter follows ("Ångström").
func titleWord(w []byte) bool {
	return len(w) >= 2 && isUpper(w[0]) && (isLower(w[1]) || w[1] >= 0x80)
}

// weekdays are weekdays' abbreviations, which the month list lacks ("Mon,
// Feb 3").
var weekdays = wordSet(`mon tue tues wed thu thur thurs fri sat sun`)

// countBefore: the word before i is a number or "next" ("two Business
// Days", "next Fiscal Year").
func countBefore(text []byte, i int) bool {
	k := i
	for k > 0 && text[k-1] == ' ' {
		k--
	}
	e := k
	for k > 0 && isAlnum(text[k-1]) {
		k--
	}
	if k == e || e == i {
		return false
	}
	w := bytes.ToLower(text[k:e])
	if isDigit(w[0]) {
		return true
	}
	switch string(w) {
	case "next", "last", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "few":
		return true
	}
	return false
}

//go:embed piidata/words_en.txt.gz
var englishWordsGz []byte

// englishWords is SCOWL's list of English words in lower case
// (piidata/NOTICE), read on first use.
var englishWords = sync.OnceValue(func() map[string]bool {
	zr, err := gzip.NewReader(bytes.NewReader(englishWordsGz))
	if err != nil {
		panic("content: piidata/words_en.txt.gz: " + err.Error())
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("content: piidata/words_en.txt.gz: " + err.Error())
	}
	m := make(map[string]bool, 42000)
	for _, w := range bytes.Fields(data) {
		m[string(w)] = true
	}
	return m
})

// particleOfName: the word at i is a particle before a capitalised word
// ("de Luca", "van Dijk"), which continues a name.
func particleOfName(text []byte, i int) bool {
	w := wordAt(text, i)
	n := i + len(w) + 1
	return particle(w) && n < len(text) && text[n-1] == ' ' && (isUpper(text[n]) || text[n] >= 0x80)
}

// germanNouns are endings that make a capitalised word a German common
// noun: abstract nouns (-ung, -heit, -keit, -schaft, -tät), agents and
// holders (-nehmer, -inhaber, -geber) and some frequent compounds' heads
// (-jahr, -wohnung, -wert, -abteilung). A surname ending so ("Hartung")
// is in the surname lists' common part or has a given name beside it.
var germanNouns = [...]string{"ung", "ungen", "heit", "keit", "schaft", "schaften", "tät", "nehmer", "nehmerin", "inhaber", "inhaberin",
	"geber", "geberin", "jahr", "wohnung", "wert", "abteilung", "bedingungen", "zeitraum", "vertrag", "ausweis", "zimmer", "flug", "fahrt"}

// germanNoun: w, one capitalised word of seven letters or more (or a
// hyphenated compound), ends in a German noun's ending.
func germanNoun(w []byte) bool {
	if len(w) < 7 || !isUpper(w[0]) {
		return false
	}
	for _, c := range w {
		if c == ' ' {
			return false
		}
	}
	for _, suf := range germanNouns {
		if hasSuffixFold(w, suf) && (len(w)-len(suf) >= 3) {
			return true
		}
	}
	return false
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
	k, e := wordJustBefore(text, i)
	if k == e || e-k > 16 {
		return false
	}
	return m.Classes(text[k:e])&c != 0
}

// wordJustBefore returns the bounds of the word one space (and perhaps a
// full stop) before i; k == e if there is none.
func wordJustBefore(text []byte, i int) (k, e int) {
	if i < 2 || text[i-1] != ' ' {
		return i, i
	}
	e = i - 1
	if text[e-1] == '.' {
		e--
	}
	k = e
	for k > 0 && (isAlpha(text[k-1]) || text[k-1] >= 0x80) {
		k--
	}
	return k, e
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
	k, e := wordJustBefore(text, i)
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
	return k == 0 || text[k-1] == '\n' || k < i && (text[k-1] == '.' || text[k-1] == '!' || text[k-1] == '?') ||
		k == i && text[k-1] == '"' && (k == 1 || text[k-2] == ' ' || text[k-2] == ':' || text[k-2] == '[') // a quoted text's first word
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
