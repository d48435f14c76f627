package tokens

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/reqjson"
)

const (
	// exactBytes bounds the text one body has counted exactly (about
	// 7 ns a byte of English, on the request path); the rest is
	// extrapolated. The estimate only sizes a reservation that the
	// upstream's reported usage corrects, so 4 KiB of sample is enough.
	exactBytes = 4 << 10
	// maxSpaceRun bounds the whitespace counted at once: longer runs are
	// cut, at the cost of a token or so per cut. The tokenizer module's
	// matcher took time quadratic in the length of a run of mixed
	// whitespace (1 MiB of " \n" took minutes); split (split.go) is
	// linear, but the cuts stay so that counts are what they were.
	maxSpaceRun = 64
	// sparsest is the most bytes per token an extrapolation assumes, so that
	// a body cannot pad its counted part to lower the estimate of the rest.
	sparsest = 6
)

// counter adds up a body's tokens.
type counter struct {
	vocab   *vocab
	budget  int   // bytes of text left to count exactly
	fixed   int64 // tokens known without the tokenizer: framing, images, token arrays
	exact   int64 // tokens the tokenizer counted
	counted int64 // in bytes of text
	skipped int64 // bytes of text beyond the budget
}

func newCounter() *counter {
	return &counter{vocab: o200k(), budget: exactBytes}
}

func (c *counter) add(n int64) { c.fixed = sat(c.fixed + n) }

// total returns the estimate: the tokens counted, plus the text beyond the
// budget at the density of the text counted, and at least one token per
// sparsest bytes (English is about 4.5 bytes a token).
func (c *counter) total() int64 {
	t := sat(c.fixed + c.exact)
	if c.skipped > 0 {
		guess := (c.skipped + sparsest - 1) / sparsest
		if c.counted > 0 {
			guess = max(guess, mulDivUp(c.skipped, c.exact, c.counted))
		}
		t = sat(t + guess)
	}
	return t
}

// text counts the tokens in s.
func (c *counter) text(s string) {
	if len(s) > c.budget {
		cut := c.budget
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		c.skipped += int64(len(s) - cut)
		s = s[:cut]
	}
	c.budget -= len(s)
	c.counted += int64(len(s))
	for s != "" {
		seg := s[:segment(s)]
		c.exact += int64(c.vocab.count(seg))
		s = s[len(seg):]
	}
}

// segment returns the length of s's first segment: all of s, or up to and
// including the rune that makes a whitespace run maxSpaceRun bytes long.
func segment(s string) int {
	run := 0
	for i := 0; i < len(s); {
		// With no run under way, a run that reaches maxSpaceRun bytes
		// cannot end before an ASCII non-space maxSpaceRun-1 bytes ahead:
		// skip to it (text has few long runs).
		if p := i + maxSpaceRun - 1; run == 0 && p < len(s) && s[p] < utf8.RuneSelf && !asciiSpace(s[p]) {
			i = p + 1
			continue
		}
		b, size, space := s[i], 1, false
		if b < utf8.RuneSelf {
			space = asciiSpace(b)
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		i += size
		if !space {
			run = 0
			continue
		}
		if run += size; run >= maxSpaceRun {
			return i
		}
	}
	return len(s)
}

// asciiSpace is unicode.IsSpace for ASCII.
func asciiSpace(b byte) bool { return b == ' ' || '\t' <= b && b <= '\r' }

// json counts a JSON value's text (tool definitions and calls).
func (c *counter) json(raw json.RawMessage) {
	if present(raw) {
		c.text(string(raw))
	}
}

// message counts one chat message.
func (c *counter) message(m message) error {
	c.add(perMessage)
	c.text(m.Role)
	if m.Name != "" {
		c.text(m.Name)
		c.add(perName)
	}
	c.text(m.ToolCallID)
	c.json(m.ToolCalls)
	c.json(m.FunctionCall)
	if !present(m.Content) {
		return nil
	}
	switch m.Content[0] {
	case '"':
		s, err := unquote(m.Content)
		if err != nil {
			return err
		}
		c.text(s)
		return nil
	case '[':
		var parts []json.RawMessage
		if err := json.Unmarshal(m.Content, &parts); err != nil { // no names: each part is read by part
			return err
		}
		for _, p := range parts {
			if err := c.part(p); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("content is neither a string nor an array of parts")
}

// contentPart and imageURL are what an estimate reads of a message's part.
type contentPart struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Refusal  string          `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"`
}

type imageURL struct {
	Detail string `json:"detail"`
}

// part counts one part of a message's content.
func (c *counter) part(raw json.RawMessage) error {
	var p contentPart
	if err := reqjson.Unmarshal(raw, &p); err != nil {
		return err
	}
	switch p.Type {
	case "text", "refusal":
		c.text(p.Text)
		c.text(p.Refusal)
	case "image_url":
		var img imageURL
		// A bare URL string has no detail; a misspelt one is an error.
		if err := reqjson.Unmarshal(p.ImageURL, &img); errors.Is(err, reqjson.ErrCaseVariant) {
			return err
		}
		if img.Detail == "low" {
			c.add(lowImage)
		} else {
			c.add(imageTokens)
		}
	default:
		c.add(int64(len(raw)+bytesPerGuess-1) / bytesPerGuess)
	}
	return nil
}

// texts counts a completions prompt or an embeddings input: a string, an
// array of strings, an array of tokens, or an array of arrays of tokens. It
// returns how many prompts that is.
func (c *counter) texts(raw json.RawMessage) (int64, error) {
	if !present(raw) {
		return 0, nil
	}
	if raw[0] == '"' {
		s, err := unquote(raw)
		if err != nil {
			return 0, err
		}
		c.text(s)
		return 1, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return 0, errors.New("want a string or an array")
	}
	prompts := int64(0)
	for _, it := range items {
		switch it[0] {
		case '"':
			s, err := unquote(it)
			if err != nil {
				return 0, err
			}
			c.text(s)
			prompts++
		case '[':
			var toks []int64
			if err := json.Unmarshal(it, &toks); err != nil {
				return 0, err
			}
			c.add(int64(len(toks)))
			prompts++
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9': // a token of a single token array
			c.add(1)
			prompts = max(prompts, 1)
		default:
			return 0, errors.New("want strings, tokens, or arrays of tokens")
		}
	}
	return prompts, nil
}

// unquote returns the string a JSON string token holds, as json.Unmarshal
// would, without checking the document again: a token of valid UTF-8 with
// the common escapes (\n, \", \u00e9, ...) is read here; others (invalid
// UTF-8, which encoding/json makes U+FFFD; surrogates) are left to
// encoding/json.
func unquote(raw json.RawMessage) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		if s, ok := unescape(raw[1 : len(raw)-1]); ok {
			return s, nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// unescape returns the text of b, a JSON string between its quotes, if it
// is valid UTF-8 with no control character, no bare quote, and escapes
// other than \u of a surrogate; ok is false otherwise.
func unescape(b []byte) (s string, ok bool) {
	escapes, ascii := false, true
	for _, c := range b {
		if c < ' ' || c == '"' {
			return "", false
		}
		escapes = escapes || c == '\\'
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(b) { // an escape is ASCII, so b is valid if its text is
		return "", false
	}
	if !escapes {
		return string(b), true
	}
	var out strings.Builder
	out.Grow(len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out.WriteByte(b[i])
			continue
		}
		if i++; i >= len(b) {
			return "", false
		}
		switch c := b[i]; c {
		case '"', '\\', '/':
			out.WriteByte(c)
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r := rune(0)
			for k := 1; k <= 4; k++ {
				d := -1
				if i+k < len(b) {
					d = hexDigit(b[i+k])
				}
				if d < 0 {
					return "", false
				}
				r = r<<4 | rune(d)
			}
			if utf16.IsSurrogate(r) {
				return "", false
			}
			out.WriteRune(r)
			i += 4
		default:
			return "", false
		}
	}
	return out.String(), true
}

func hexDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// plainString reports whether b, between a JSON string's quotes, is its
// own text: valid UTF-8 with no escape, quote or control character.
func plainString(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c < ' ' || c == '"' || c == '\\' {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	return ascii || utf8.Valid(b)
}

// sat clamps an overflowed sum of non-negative numbers.
func sat(n int64) int64 {
	if n < 0 {
		return 1<<63 - 1
	}
	return n
}

// mulDivUp returns a*b/c rounded up, for a, b >= 0 and c > 0, in float64:
// an extrapolation needs no more precision.
func mulDivUp(a, b, c int64) int64 {
	f := float64(a) * float64(b) / float64(c)
	if f >= 1<<62 {
		return 1 << 62
	}
	n := int64(f)
	if float64(n) < f {
		n++
	}
	return n
}
