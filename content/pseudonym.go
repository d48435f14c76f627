package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Pseudonyms are the placeholders one request's pseudonymize action minted
// and the values they stand for: what puts the client's values back into
// the response. They live in memory for the request's life only: nothing
// prints, logs or serialises them (String and MarshalJSON say how many
// there are, never what), and no record, preview or sink is given them.
//
// Only placeholders minted here are restored: a model that invents
// "[PERSON_7]" gets nothing, and a placeholder the client sent literally
// is never minted (Session.Reserve), so it is never turned into a value.
type Pseudonyms struct {
	values  map[string][]byte // "[PERSON_1]" → "Jane Doe"
	longest int               // the longest placeholder, in bytes
}

// NewPseudonyms builds a mapping from placeholders to values, for tests
// of what restores: the gateway gets its own only from a Session.
func NewPseudonyms(m map[string]string) *Pseudonyms {
	ps := &Pseudonyms{values: map[string][]byte{}}
	for p, v := range m {
		ps.add(p, []byte(v))
	}
	return ps
}

// Len returns how many placeholders were minted.
func (ps *Pseudonyms) Len() int {
	if ps == nil {
		return 0
	}
	return len(ps.values)
}

// String says how many pseudonyms there are, never what they are.
func (ps *Pseudonyms) String() string { return fmt.Sprintf("content.Pseudonyms(%d)", ps.Len()) }

// GoString is String: %#v shows no value either.
func (ps *Pseudonyms) GoString() string { return ps.String() }

// errNotSerialisable: pseudonyms are never serialised.
var errNotSerialisable = errors.New("content: pseudonyms are not serialisable")

// MarshalJSON refuses: the mapping is never stored or shipped.
func (ps *Pseudonyms) MarshalJSON() ([]byte, error) { return nil, errNotSerialisable }

// add records that placeholder stands for value.
func (ps *Pseudonyms) add(placeholder string, value []byte) {
	ps.values[placeholder] = bytes.Clone(value)
	ps.longest = max(ps.longest, len(placeholder))
}

// Restore returns text with every placeholder minted here replaced by its
// value (text itself if there is none). With jsonText the text is JSON (a
// tool call's arguments) and placeholders stand inside its strings: values
// are written JSON-escaped (a quote as \", a newline as \n).
func (ps *Pseudonyms) Restore(text []byte, jsonText bool) []byte {
	if ps.Len() == 0 {
		return text
	}
	var out []byte
	last := 0
	for i := 0; i < len(text); {
		j := bytes.IndexByte(text[i:], '[')
		if j < 0 {
			break
		}
		i += j
		v, n := ps.at(text[i:])
		if n == 0 {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(text)+64)
		}
		out = append(out, text[last:i]...)
		out = appendValue(out, v, jsonText)
		i += n
		last = i
	}
	if out == nil {
		return text
	}
	return append(out, text[last:]...)
}

// at returns the value of the minted placeholder b starts with, and its
// length (0: none). A placeholder holds no '[': it ends at the first ']'.
func (ps *Pseudonyms) at(b []byte) ([]byte, int) {
	end := bytes.IndexByte(b[:min(len(b), ps.longest)], ']')
	if end < 0 {
		return nil, 0
	}
	v, ok := ps.values[string(b[:end+1])]
	if !ok {
		return nil, 0
	}
	return v, end + 1
}

// partial reports whether tail (which starts with '[' and holds no ']')
// could be the start of a minted placeholder: what a stream must hold.
func (ps *Pseudonyms) partial(tail []byte) bool {
	if len(tail) >= ps.longest {
		return false
	}
	for p := range ps.values {
		if len(p) > len(tail) && p[:len(tail)] == string(tail) {
			return true
		}
	}
	return false
}

// appendValue appends v, JSON-escaped for the inside of a string if
// jsonText.
func appendValue(out, v []byte, jsonText bool) []byte {
	if !jsonText {
		return append(out, v...)
	}
	q := appendJSONString(nil, v) // "...", escaped
	return append(out, q[1:len(q)-1]...)
}

// RestoreText restores the placeholders of one text that arrives in pieces
// (a streamed choice's content, a tool call's arguments). It holds back
// only what could still become a minted placeholder ("[PER" until "SON_1]"
// arrives, at most the longest placeholder's length): everything else is
// released at once.
type RestoreText struct {
	ps       *Pseudonyms
	jsonText bool
	pending  []byte
}

// Stream starts restoring a streamed text (JSON text with jsonText, as for
// Restore).
func (ps *Pseudonyms) Stream(jsonText bool) *RestoreText {
	return &RestoreText{ps: ps, jsonText: jsonText}
}

// Push adds piece and returns what can be released now, restored.
func (r *RestoreText) Push(piece []byte) []byte {
	if r.ps.Len() == 0 {
		return piece
	}
	data := piece
	if len(r.pending) > 0 {
		data = append(r.pending, piece...)
		r.pending = nil
	}
	cut := len(data)
	if k := bytes.LastIndexByte(data, '['); k >= 0 && bytes.IndexByte(data[k:], ']') < 0 && r.ps.partial(data[k:]) {
		cut = k
	}
	if cut < len(data) {
		r.pending = append([]byte(nil), data[cut:]...)
	}
	return r.ps.Restore(data[:cut], r.jsonText)
}

// Held reports how many bytes are held back.
func (r *RestoreText) Held() int { return len(r.pending) }

// Flush releases what is held: the text has ended (an unfinished
// placeholder goes out as it is).
func (r *RestoreText) Flush() []byte {
	p := r.pending
	r.pending = nil
	return p
}

// Reserve notes the placeholder-like tokens in text ("[PERSON_1]",
// "[email_2]", in any case): text the client sent that the model may
// repeat. The pseudonymize action never mints a reserved placeholder, so
// restoring never turns the client's own literal into another value. Call
// it on every string of a request, and its NFKC form, before filtering.
func (s *Session) Reserve(text []byte) {
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(text) && j-i <= maxPlaceholder && (isAlnum(text[j]) || text[j] == '_') {
			j++
		}
		if j < len(text) && text[j] == ']' && j > i+1 {
			if s.reserved == nil {
				s.reserved = map[string]bool{}
			}
			s.reserved[string(bytes.ToUpper(text[i:j+1]))] = true
		}
	}
}

// ReservePseudonyms makes the session (a response's) mint none of the
// placeholders ps holds, and rewrite none of them: a response rule's
// [PHONE_1] for a number the model wrote is never the request's
// [PHONE_1], and no rule reads "[PERSON_1]" as a name, so restoring,
// which comes last, gives the client exactly its own values.
func (s *Session) ReservePseudonyms(ps *Pseudonyms) {
	if ps.Len() == 0 {
		return
	}
	if s.reserved == nil {
		s.reserved = map[string]bool{}
	}
	for p := range ps.values {
		s.reserved[p] = true
	}
	s.protect = ps
}

// unprotected drops from found what overlaps a placeholder of ps in text:
// a response rule never rewrites the request's placeholders (the name
// model may read "[PERSON_1]" as a name), which restoring replaces last.
func (ps *Pseudonyms) unprotected(text []byte, found []Finding) []Finding {
	var spans [][2]int
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		if _, n := ps.at(text[i:]); n > 0 {
			spans = append(spans, [2]int{i, i + n})
			i += n - 1
		}
	}
	if len(spans) == 0 {
		return found
	}
	return slices.DeleteFunc(found, func(f Finding) bool {
		for _, sp := range spans {
			if f.Start < sp[1] && f.End > sp[0] {
				return true
			}
		}
		return false
	})
}

// maxPlaceholder bounds the tokens Reserve notes: longer than any tag and
// number.
const maxPlaceholder = 48

// Pseudonyms returns the placeholders the session's pseudonymize action
// minted (nil if none).
func (s *Session) Pseudonyms() *Pseudonyms { return s.pseudo }

// Pseudonymizes reports whether the policy pseudonymizes any entity.
func (p *Policy) Pseudonymizes() bool {
	if p == nil {
		return false
	}
	for _, a := range p.actions {
		if a == Pseudonymize {
			return true
		}
	}
	return false
}

// FilterJSON is Filter for text that is JSON (a tool call's arguments,
// its escapes read by UnescapeJSON): a pseudonymized value is remembered
// as the text it encodes ("O\"Brien" as O"Brien), so that it is restored
// right wherever the model writes its placeholder.
func (s *Session) FilterJSON(text []byte) []byte {
	s.jsonText = true
	defer func() { s.jsonText = false }()
	return s.Filter(text)
}

// pseudonym appends the placeholder that stands for value (the same value,
// the same placeholder, within the session), minting one that no text of
// the request holds literally (Reserve), and remembers raw, the value as
// written, for Pseudonyms.
func (s *Session) pseudonym(out []byte, e Entity, value, raw []byte) []byte {
	n, minted := s.number(e, value)
	ph := placeholder(entityTags[e], n)
	if minted {
		if s.pseudo == nil {
			s.pseudo = &Pseudonyms{values: map[string][]byte{}}
		}
		if s.jsonText {
			var dec string
			if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &dec) == nil {
				raw = []byte(dec)
			}
		}
		s.pseudo.add(ph, raw)
	}
	return append(out, ph...)
}

func placeholder(tag string, n int) string { return "[" + tag + "_" + strconv.Itoa(n) + "]" }
