package content

import "context"

// An Analyzer is a detector outside Warden (content.analyzers: a Presidio
// Analyzer) whose findings join the detectors' own, so that the policy's
// actions apply to them as to any finding. It is safe for concurrent use.
type Analyzer interface {
	// Name is the analyzer's name in configuration and records.
	Name() string
	// Analyze returns, for each of texts, the spans found in it (byte
	// offsets into that text) of the entities in want; it may return
	// spans of others, which are ignored. It returns an error if the
	// analyzer cannot answer in time or answers what cannot be read.
	Analyze(ctx context.Context, texts [][]byte, want []Entity) ([][]Span, error)
	// FailOpen reports whether a request proceeds with Warden's own
	// findings when Analyze fails (on_error: allow) rather than being
	// refused (on_error: block).
	FailOpen() bool
}

// Span is a value an analyzer found: text[Start:End] is of Entity.
type Span struct {
	Start, End int
	Entity     Entity
}

// Analyzers returns the external analyzers that screen the texts this
// policy filters (requests only; nil for responses).
func (p *Policy) Analyzers() []Analyzer {
	if p == nil || p.detector == nil {
		return nil
	}
	return p.analyzers
}

// Acting returns the entities the policy acts on (an action other than
// allow): what an analyzer is asked for.
func (p *Policy) Acting() []Entity {
	var out []Entity
	for e := range numEntities {
		if p != nil && p.actions[e] != Allow {
			out = append(out, e)
		}
	}
	return out
}

// View returns text as the detectors read it: stripped of invisible
// characters and normalised (NFKC). Spans given to Analyzed are offsets
// into it.
func View(text []byte) []byte {
	stripped, _ := Strip(text)
	return nfkc(stripped)
}

// ForAnalyzer returns text's View as an external analyzer may see it:
// what the policy's own detectors and deny rules redact, mask or hash
// there is overwritten byte for byte with '*' (so offsets are unchanged,
// and a secret or card is never sent out), and blocked reports whether a
// rule of the policy blocks the text anyway (then nothing need be sent).
func (s *Session) ForAnalyzer(text []byte) (view []byte, blocked bool) {
	v := View(text)
	if !s.p.Active() {
		return v, false
	}
	s.found = s.find(v, s.found[:0])
	copied := false
	for _, f := range s.found {
		switch _, _, a := s.action(f); a {
		case Allow, Flag:
		case Block:
			return nil, true
		default:
			if !copied {
				v, copied = append([]byte(nil), v...), true
			}
			for i := f.Start; i < f.End; i++ {
				v[i] = '*'
			}
		}
	}
	return v, false
}

// Analyzed gives the session what external analyzers found: spans[i] are
// the spans in the View of the i-th text the session filters (in the
// order Filter is called), which join the detectors' findings there.
// Spans outside the text, or not on character boundaries, are dropped.
func (s *Session) Analyzed(spans [][]Span) {
	s.external = spans
	s.nfiltered = 0
}

// externalFindings appends the analyzers' spans in view (the text Filter
// is at) to dst, of the entities the policy acts on.
func (s *Session) externalFindings(view []byte, dst []Finding) []Finding {
	if s.current < 0 || s.current >= len(s.external) {
		return dst
	}
	for _, sp := range s.external[s.current] {
		if sp.Entity >= numEntities || s.p.actions[sp.Entity] == Allow || sp.Start < 0 || sp.End > len(view) || sp.Start >= sp.End ||
			!runeStart(view, sp.Start) || !runeStart(view, sp.End) {
			continue
		}
		dst = append(dst, pii(sp.Start, sp.End, sp.Entity))
	}
	return dst
}

// runeStart reports whether offset i of text begins a character (or is
// its end).
func runeStart(text []byte, i int) bool {
	return i == len(text) || text[i]&0xC0 != 0x80
}
