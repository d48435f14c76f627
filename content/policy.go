package content

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DenyRule refuses (or redacts, or flags) text that matches a regular
// expression or contains one of a list of phrases.
type DenyRule struct {
	Name    string
	Action  Action // Block, Redact or Flag
	Pattern *regexp.Regexp
	Phrases []string
}

// Policy is what one direction (request or response) does with content:
// an action per entity, and deny rules. Build it once per configuration;
// it is safe for concurrent use.
type Policy struct {
	actions  [numEntities]Action
	detector *Detector
	encoded  *Detector // the entities whose action is block, sought in encoded candidates (encoded.go)
	deny     []*DenyRule
	phrases  *automaton
	phraseOf []*DenyRule
	longest  int // the longest deny phrase, in bytes
	hashKey  []byte

	injection     Action // Allow (off), Flag or Block
	shadow        bool   // record what injection: block would block, as "shadow", blocking nothing
	threshold     float64
	toolThreshold float64          // for texts of OriginTool
	sources       [numOrigins]bool // the origins screened
	guards        []Guard          // external injection screens (Session.Guard)

	include, exclude []Path // field rules

	analyzers []Analyzer // external analyzers (analyzer.go)
}

// PolicyOptions configure a policy.
type PolicyOptions struct {
	Actions      map[Entity]Action
	Deny         []*DenyRule
	PhoneRegions []string // national phone numbers are tried in these regions (default US)
	HashKey      []byte   // for Hash: a key only the KMS holds
	// Injection screening: Allow (off), Flag or Block, from a score of
	// InjectionThreshold (0: the default, content.InjectionThreshold);
	// texts a tool supplied from InjectionToolThreshold (0: the default,
	// content.InjectionToolThreshold). With InjectionShadow, what Block
	// would block is counted with action "shadow" and nothing is blocked
	// (rolling a policy out: Injection is then Block).
	Injection              Action
	InjectionShadow        bool
	InjectionThreshold     float64
	InjectionToolThreshold float64
	// InjectionSources are the origins screened (nil: every origin).
	InjectionSources []Origin
	// Guards are external injection screens, asked about the texts the
	// policy screened (Session.GuardTexts) when it screens at all.
	Guards []Guard
	// Field rules: with Include, only strings within one of those paths
	// are filtered; never strings within an Exclude path ("[]": any
	// array element).
	Include, Exclude []Path
	// Analyzers are external detectors whose findings join the
	// detectors' own (requests only: Session.Analyzed).
	Analyzers []Analyzer
}

// NewPolicy compiles a policy.
func NewPolicy(o PolicyOptions) *Policy {
	p := &Policy{deny: o.Deny, hashKey: o.HashKey, injection: o.Injection, threshold: o.InjectionThreshold, include: o.Include, exclude: o.Exclude, analyzers: o.Analyzers,
		toolThreshold: o.InjectionToolThreshold, shadow: o.InjectionShadow && o.Injection != Allow, guards: o.Guards}
	if p.threshold <= 0 {
		p.threshold = InjectionThreshold
	}
	if p.toolThreshold <= 0 {
		p.toolThreshold = InjectionToolThreshold
	}
	if o.InjectionSources == nil {
		for i := range p.sources {
			p.sources[i] = true
		}
	}
	for _, src := range o.InjectionSources {
		if src < numOrigins {
			p.sources[src] = true
		}
	}
	var on, blocked []Entity
	for e, a := range o.Actions {
		p.actions[e] = a
		if a != Allow {
			on = append(on, e)
		}
		if a == Block {
			blocked = append(blocked, e)
		}
	}
	if len(on) > 0 {
		p.detector = NewDetector(on, o.PhoneRegions)
	}
	if len(blocked) > 0 {
		p.encoded = NewDetector(blocked, o.PhoneRegions)
	}
	var pats [][]byte
	for _, r := range o.Deny {
		for _, ph := range r.Phrases {
			c := collapseSpace([]byte(ph))
			if len(c) == 0 {
				continue
			}
			pats = append(pats, c)
			p.phraseOf = append(p.phraseOf, r)
			p.longest = max(p.longest, len(ph))
		}
	}
	if len(pats) > 0 {
		p.phrases = newAutomaton(pats)
	}
	return p
}

// Active reports whether the policy can change or stop anything.
func (p *Policy) Active() bool {
	return p != nil && (p.detector != nil || len(p.deny) > 0 || p.injection != Allow)
}

// Screens reports whether the policy screens for prompt injection.
func (p *Policy) Screens() bool { return p != nil && p.injection != Allow }

// Skip reports whether the field rules leave the string at path alone.
func (p *Policy) Skip(path Path) bool {
	if p == nil {
		return false
	}
	for _, x := range p.exclude {
		if path.Match(x) {
			return true
		}
	}
	if len(p.include) == 0 {
		return false
	}
	for _, in := range p.include {
		if path.Match(in) {
			return false
		}
	}
	return true
}

// Skip reports whether the session's field rules leave path alone.
func (s *Session) Skip(path Path) bool { return s.p.Skip(path) }

// Screen scores text for prompt injection, if the policy screens texts
// of origin: a score from the origin's threshold (tool results have their
// own) is counted (type "injection", entity the strongest signal's
// category: override, reveal, jailbreak, ..., with the score and the
// origin) and, with Block, blocks; in shadow mode it is counted with
// action "shadow" and nothing is blocked. The scorer's scale is the
// thresholds' business only: Screen compares, and records the score.
func (s *Session) Screen(text []byte, origin Origin) {
	p := s.p
	if p == nil || p.injection == Allow || s.blocked != "" || !p.ScreensOrigin(origin) {
		return
	}
	if len(p.guards) > 0 {
		s.guardTexts = append(s.guardTexts, GuardText{Text: text, Origin: origin})
	}
	score, signals := ScoreInjection(text)
	if score < p.Threshold(origin) {
		return
	}
	top := InjectionSignal{Name: "other"}
	for i, sg := range signals {
		if i == 0 || sg.Score > top.Score {
			top = sg
		}
	}
	s.hits = append(s.hits, InjectionHit{Category: top.Name, Score: score, Origin: origin, Text: text})
	s.injection(top.Name, score, origin, "injection."+top.Name)
}

// InjectionHit is a text the policy's own screen scored an injection.
type InjectionHit struct {
	Category string
	Score    float64
	Origin   Origin
	Text     []byte // for `warden content test` to explain; never recorded
}

// Injections returns the texts the session's screen scored injections,
// in order.
func (s *Session) Injections() []InjectionHit { return s.hits }

// injection counts an injection of category found in a text of origin
// and acts as the policy says: blocks by rule with Block, records it as
// action "shadow" in shadow mode, or flags.
func (s *Session) injection(category string, score float64, origin Origin, rule string) {
	p := s.p
	action := p.injection.String()
	if p.shadow {
		action = "shadow"
	}
	s.countScored("injection", category, action, score, origin.String())
	if p.injection == Block && !p.shadow {
		s.blocked = rule
	}
}

// Origin is who supplied a text a model reads: the end user (user
// messages, prompts, documents in the request), a tool (tool and function
// results, tool_result blocks: where indirect injection comes from), or
// the application (system and developer messages).
type Origin uint8

// Origins.
const (
	OriginUser Origin = iota
	OriginTool
	OriginSystem
	numOrigins
)

var originNames = [numOrigins]string{"user", "tool", "system"}

func (o Origin) String() string {
	if o < numOrigins {
		return originNames[o]
	}
	return fmt.Sprintf("origin(%d)", o)
}

// ParseOrigin returns the origin named name (user, tool or system).
func ParseOrigin(name string) (Origin, bool) {
	for i, n := range originNames {
		if n == name {
			return Origin(i), true
		}
	}
	return 0, false
}

// OriginNames are the origins' names, in order.
func OriginNames() []string { return originNames[:] }

// InjectionToolThreshold is the default threshold for texts a tool
// supplied (tool results, where agents are hijacked).
//
// TODO(issue 16): the classifier's injection.go defines it (lower than
// InjectionThreshold); this stand-in goes at merge.
const InjectionToolThreshold = InjectionThreshold

// ScreensOrigin reports whether the policy screens texts of origin for
// injection.
func (p *Policy) ScreensOrigin(o Origin) bool {
	return p != nil && p.injection != Allow && o < numOrigins && p.sources[o]
}

// Threshold is the score from which a text of origin is an injection.
func (p *Policy) Threshold(o Origin) float64 {
	if o == OriginTool {
		return p.toolThreshold
	}
	return p.threshold
}

// Shadow reports whether injection screening runs in shadow mode.
func (p *Policy) Shadow() bool { return p != nil && p.shadow }

// A Guard is an injection screen outside Warden (content.guards: a
// service of Warden's documented shape, or Lakera Guard): asked about the
// texts a request's policy screened, its verdict is acted on as the
// policy's injection mode says. It is safe for concurrent use.
type Guard interface {
	// Name is the guard's name in configuration and records.
	Name() string
	// Check asks the guard about texts. It returns an error if the
	// guard cannot answer in time or answers what cannot be read.
	Check(ctx context.Context, texts []GuardText, meta GuardMeta) (GuardVerdict, error)
	// FailOpen reports whether a request proceeds when Check fails
	// (on_error: allow) rather than being refused (on_error: block).
	FailOpen() bool
}

// GuardText is a text screened, with its origin.
type GuardText struct {
	Text   []byte
	Origin Origin
}

// GuardMeta is what a guard is told about the request beside its texts.
type GuardMeta struct {
	Model     string
	RequestID string
}

// GuardVerdict is a guard's answer: whether it flagged the texts, in
// which category (a plain name; "" for none given), with which score
// (0 for none given), about a text of which origin (HasOrigin false when
// the guard judged the texts together).
type GuardVerdict struct {
	Flagged   bool
	Category  string
	Score     float64
	Origin    Origin
	HasOrigin bool
}

// Guards returns the policy's external injection screens: none unless it
// screens for injection.
func (p *Policy) Guards() []Guard {
	if p == nil || p.injection == Allow {
		return nil
	}
	return p.guards
}

// GuardTexts returns the texts the session screened, in order, with their
// origins (only when the policy has guards).
func (s *Session) GuardTexts() []GuardText { return s.guardTexts }

// Guard acts on guard's verdict as on the policy's own: a flagged verdict
// is counted (type "injection", entity the guard's category or "guard")
// and blocks by rule "guard.<name>" with Block.
func (s *Session) Guard(guard string, v GuardVerdict) {
	if !v.Flagged || s.blocked != "" || s.p == nil || s.p.injection == Allow {
		return
	}
	category := v.Category
	if !RuleName(category) {
		category = "guard"
	}
	origin := ""
	if v.HasOrigin {
		origin = v.Origin.String()
	}
	action := s.p.injection.String()
	if s.p.shadow {
		action = "shadow"
	}
	s.countScored("injection", category, action, v.Score, origin)
	if s.p.injection == Block && !s.p.shadow {
		s.blocked = "guard." + guard
	}
}

// Session applies a policy to the texts of one request (or one response):
// placeholders are numbered consistently across them ([EMAIL_1] is the
// same address everywhere in the request), and what was done is counted.
type Session struct {
	p       *Policy
	values  [numEntities]map[string]int
	counts  []Count
	blocked string
	found   []Finding

	// The pseudonymize action's: placeholders minted so far per entity,
	// the placeholders the request's own text holds (Reserve), the
	// mapping back (Pseudonyms), and whether the text filtered now is
	// JSON (FilterJSON).
	next     [numEntities]int
	reserved map[string]bool
	pseudo   *Pseudonyms
	protect  *Pseudonyms // a response's: the request's placeholders, which no rule rewrites
	jsonText bool

	guardTexts []GuardText    // the texts screened, for the policy's guards
	hits       []InjectionHit // the texts scored injections

	external  [][]Span // what external analyzers found, text by text (Analyzed)
	nfiltered int      // how many texts Filter has been given
	current   int      // the index of the text Filter is at, or -1
}

// Count is how often an action was taken on one entity or rule.
type Count struct {
	Type   string // "pii", "deny", "sanitize", "injection", ...
	Entity string // the entity, the deny rule's name, or the injection's category
	Action string
	N      int
	// Injections: the highest score (rounded to 2 decimals) and the
	// origin of the texts counted ("" if not known).
	Score  float64 `json:",omitempty"`
	Origin string  `json:",omitempty"`
}

// NewSession starts applying p.
func (p *Policy) NewSession() *Session { return &Session{p: p, current: -1} }

// Block blocks the session by rule (one of the caller's own, such as
// content that cannot be read), unless a rule blocked already.
func (s *Session) Block(rule string) {
	if s.blocked == "" {
		s.blocked = rule
		s.counts = append(s.counts, Count{Type: "policy", Entity: rule, Action: Block.String(), N: 1})
	}
}

// Blocked returns the name of the rule that blocked ("pii.credit_card",
// "deny.model-dump"), or "".
// Forbid applies the policy to text that cannot be rewritten (the keys
// of a JSON object): anything a rule would replace or block there blocks
// instead, and the rule is returned ("" if nothing). Flags count as
// usual.
func (s *Session) Forbid(text []byte) string {
	p := s.p
	if !p.Active() || s.blocked != "" || len(text) == 0 {
		return s.blocked
	}
	stripped, _ := Strip(text)
	view := nfkc(stripped)
	s.found = s.find(view, s.found[:0])
	for _, f := range s.found {
		typ, name, a := s.action(f)
		switch a {
		case Allow:
		case Flag:
			s.count(typ, name, a)
		default:
			s.blocked = typ + "." + name
			s.count(typ, name, Block)
			return s.blocked
		}
	}
	return ""
}

func (s *Session) Blocked() string { return s.blocked }

// Counts returns what was done, in the order first done.
func (s *Session) Counts() []Count { return s.counts }

func (s *Session) count(typ, entity string, a Action) {
	for i := range s.counts {
		c := &s.counts[i]
		if c.Type == typ && c.Entity == entity && c.Action == a.String() {
			c.N++
			return
		}
	}
	s.counts = append(s.counts, Count{Type: typ, Entity: entity, Action: a.String(), N: 1})
}

// countScored counts an injection: one count per category, action and
// origin, with the highest score seen.
func (s *Session) countScored(typ, entity, action string, score float64, origin string) {
	score = RoundScore(score)
	for i := range s.counts {
		c := &s.counts[i]
		if c.Type == typ && c.Entity == entity && c.Action == action && c.Origin == origin {
			c.N++
			c.Score = max(c.Score, score)
			return
		}
	}
	s.counts = append(s.counts, Count{Type: typ, Entity: entity, Action: action, N: 1, Score: score, Origin: origin})
}

// RoundScore rounds an injection score to 2 decimals, as records carry
// it (a score that is not a finite number, or negative, is 0).
func RoundScore(f float64) float64 {
	if math.IsNaN(f) || f <= 0 {
		return 0
	}
	if math.IsInf(f, 1) || f > 1e6 {
		return 1e6
	}
	return math.Round(f*100) / 100
}

// CountSanitized records that n invisible characters were removed.
func (s *Session) CountSanitized(n int) {
	if n > 0 {
		for i := range s.counts {
			if s.counts[i].Type == "sanitize" {
				s.counts[i].N += n
				return
			}
		}
		s.counts = append(s.counts, Count{Type: "sanitize", Entity: "invisible", Action: "strip", N: n})
	}
}

// Filter strips text of invisible characters and applies the policy to
// its NFKC form (Sanitize): what the gateway does to every string of
// content. Replacements are written into the stripped text, not into its
// normal form: the rest keeps its forms ("x²", "H₂O"), and a full-width
// quote in a tool call's arguments stays a full-width quote rather than
// becoming one that ends a JSON string.
func (s *Session) Filter(text []byte) []byte {
	stripped, n := Strip(text)
	s.CountSanitized(n)
	if s.external != nil {
		s.current = s.nfiltered
		s.nfiltered++
		defer func() { s.current = -1 }()
	}
	return s.filterFrom(stripped, 0)
}

// filterFrom filters stripped[from:], reading stripped[:from] (text
// released before) as its context: findings there are not acted on again.
func (s *Session) filterFrom(stripped []byte, from int) []byte {
	view, starts := nfkcView(stripped)
	return s.apply(view, stripped, starts, from)
}

// Apply applies the policy to text and returns the text to use instead
// (text itself if nothing changed). Once a rule blocks, Blocked says which
// and the rest of the text is not looked at.
func (s *Session) Apply(text []byte) []byte { return s.apply(text, text, nil, 0) }

// apply finds what the policy acts on in view and writes the replacements
// into raw[from:], which it returns; view is raw's NFKC form, and starts
// maps view offsets to raw (nil: view is raw). raw[:from] is context only:
// what lies wholly within it is not acted on (a value that runs on past it
// is replaced from there). A finding that starts or ends inside a
// character that normalisation expanded (a ligature) covers the whole of it.
func (s *Session) apply(view, raw []byte, starts [][2]int, from int) []byte {
	p := s.p
	if !p.Active() || s.blocked != "" {
		return raw[from:]
	}
	s.found = s.find(view, s.found[:0])
	if from > 0 {
		s.found = slices.DeleteFunc(s.found, func(f Finding) bool {
			_, end := rawSpan(starts, f.Start, f.End, len(view), len(raw))
			return end <= from
		})
	}
	// A block wins whatever it overlaps: checked before overlaps are
	// resolved, deny rules first.
	for pass := range 2 {
		for _, f := range s.found {
			if (pass == 0) != (f.Kind == KindDeny) {
				continue
			}
			if typ, name, a := s.action(f); a == Block {
				s.blocked = typ + "." + name
				s.count(typ, name, Block)
				return raw[from:]
			}
		}
	}
	s.found = resolve(s.found, 0)
	var out []byte
	last := from
	for _, f := range s.found {
		typ, name, a := s.action(f)
		switch a {
		case Allow:
			continue
		case Flag:
			s.count(typ, name, a)
			continue
		}
		s.count(typ, name, a)
		if out == nil {
			out = make([]byte, 0, len(raw)-from+16)
		}
		start, end := rawSpan(starts, f.Start, f.End, len(view), len(raw))
		start = max(start, last)
		out = append(out, raw[last:start]...)
		if a == Pseudonymize && f.Kind != KindDeny {
			out = s.pseudonym(out, f.Entity, view[f.Start:f.End], raw[start:max(end, start)])
		} else {
			out = s.replacement(out, f, a, view[f.Start:f.End])
		}
		last = max(end, start)
	}
	if out == nil {
		return raw[from:]
	}
	return append(out, raw[last:]...)
}

// rawSpan maps [start, end) of a view (of viewLen bytes) to raw (of n),
// widened to whole segments: from the start of the segment holding start
// to the start of the first segment at or past end.
func rawSpan(starts [][2]int, start, end, viewLen, n int) (int, int) {
	if starts == nil {
		return start, end
	}
	rs, re := 0, n
	for _, sg := range starts {
		if sg[0] <= start {
			rs = sg[1]
		}
		if sg[0] >= end {
			re = sg[1]
			break
		}
	}
	if end >= viewLen {
		re = n
	}
	return rs, re
}

// action is what the policy does with f, and the type and name it is
// counted under.
func (s *Session) action(f Finding) (typ, name string, a Action) {
	if f.Kind == KindDeny {
		return "deny", f.Rule, f.deny.Action
	}
	return "pii", entityNames[f.Entity], s.p.actions[f.Entity]
}

// find appends the deny-rule matches and detector findings in text to dst
// (overlapping: resolve orders them and drops overlaps).
func (s *Session) find(text []byte, dst []Finding) []Finding {
	p := s.p
	for _, r := range p.deny {
		if r.Pattern == nil {
			continue
		}
		for _, m := range r.Pattern.FindAllIndex(text, -1) {
			dst = append(dst, Finding{Start: m[0], End: m[1], Kind: KindDeny, Rule: r.Name, deny: r})
		}
	}
	p.phrases.eachSpaced(text, func(k, at, end int) bool {
		if wordBefore(text, at) && wordAfter(text, at) || wordAfter(text, end) && wordBefore(text, end) {
			return true // inside a longer word
		}
		r := p.phraseOf[k]
		dst = append(dst, Finding{Start: at, End: end, Kind: KindDeny, Rule: r.Name, deny: r})
		return true
	})
	if p.detector != nil {
		dst = p.detector.Find(text, dst)
	}
	dst = s.externalFindings(text, dst)
	if p.encoded != nil {
		// A blocked value written in base64, escapes or split apart: a
		// finding spanning the candidate, which blocks.
		dst = findEncoded(p.encoded, text, dst)
	}
	if s.protect.Len() > 0 {
		dst = s.protect.unprotected(text, dst)
	}
	return dst
}

// replacement appends what stands for value.
func (s *Session) replacement(out []byte, f Finding, a Action, value []byte) []byte {
	if f.Kind == KindDeny {
		return append(append(append(out, "[DENIED:"...), f.Rule...), ']')
	}
	tag := entityTags[f.Entity]
	switch a {
	case Mask:
		keep := 0
		for i := len(value) - 1; i >= 0 && keep < 4; i-- {
			if isAlnum(value[i]) {
				keep++
			}
		}
		left, hide := 0, countAlnum(value)-keep
		for _, c := range value {
			if isAlnum(c) && left < hide {
				out = append(out, '*')
				left++
			} else {
				out = append(out, c)
			}
		}
		return out
	case Hash:
		m := hmac.New(sha256.New, s.p.hashKey)
		m.Write(value)
		sum := m.Sum(nil)
		out = append(append(out, '['), tag...)
		out = append(out, ':')
		out = hex.AppendEncode(out, sum[:8])
		return append(out, ']')
	}
	n, _ := s.number(f.Entity, value)
	out = append(append(out, '['), tag...)
	out = append(out, '_')
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, ']')
}

// number returns the number of value's placeholder (the same value, the
// same number, within the session), and whether it is new: numbers are
// given in order, past any placeholder the session must not mint
// (Reserve, ReservePseudonyms).
func (s *Session) number(e Entity, value []byte) (int, bool) {
	m := s.values[e]
	if m == nil {
		m = map[string]int{}
		s.values[e] = m
	}
	if n, ok := m[string(value)]; ok {
		return n, false
	}
	tag := entityTags[e]
	for {
		s.next[e]++
		if !s.reserved[placeholder(tag, s.next[e])] {
			break
		}
	}
	m[string(value)] = s.next[e]
	return s.next[e], true
}

func countAlnum(b []byte) int {
	n := 0
	for _, c := range b {
		if isAlnum(c) {
			n++
		}
	}
	return n
}

// BlockedMessage is the client's message for a block by rule: it names the
// rule, never the content.
func BlockedMessage(rule string) string {
	return fmt.Sprintf("the content was blocked by rule %s", rule)
}

// RuleName checks a deny rule's name: it appears in errors, records and
// placeholders, so it is kept plain.
func RuleName(name string) bool {
	return name != "" && len(name) <= 64 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == ""
}
