// Package presidio calls a Microsoft Presidio Analyzer (POST /analyze) as
// an external analyzer of the content policy (content.analyzers, type
// presidio): what it finds joins Warden's own findings, mapped from
// Presidio's entity types to Warden's entities, so the policy's actions
// apply to it. Nothing here logs; errors never carry the text sent.
package presidio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/sidecar"
)

// Entities maps the Presidio entity types Warden understands to its own
// entities (docs/content.md, "External analyzers"). Types not listed
// (NRP, CRYPTO, US_ITIN, UK_NINO, the Indian and Australian ids, ...)
// have no Warden entity: they are neither asked for nor acted on.
var Entities = map[string]content.Entity{
	"PERSON":            content.Person,
	"LOCATION":          content.Location,
	"ORGANIZATION":      content.Organization,
	"EMAIL_ADDRESS":     content.Email,
	"PHONE_NUMBER":      content.Phone,
	"CREDIT_CARD":       content.CreditCard,
	"US_SSN":            content.USSSN,
	"IBAN_CODE":         content.IBAN,
	"IP_ADDRESS":        content.IPAddress,
	"DATE_TIME":         content.Date,
	"URL":               content.URL,
	"DOMAIN_NAME":       content.Domain,
	"US_DRIVER_LICENSE": content.USDriverLicense,
	"US_PASSPORT":       content.Passport,
	"US_BANK_NUMBER":    content.AccountNumber,
	"UK_NHS":            content.UKNHSNumber,
	"MEDICAL_LICENSE":   content.DEANumber, // Presidio's recogniser finds DEA certificate numbers
	"ES_NIF":            content.ESDNI,
	"IT_FISCAL_CODE":    content.ITFiscalCode,
	"PL_PESEL":          content.PLPESEL,
}

// EntityTypes returns the Presidio entity types of Entities, sorted.
func EntityTypes() []string {
	out := make([]string, 0, len(Entities))
	for t := range Entities {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Options configure a client.
type Options struct {
	Name     string   // the analyzer's name (content.analyzers[].name)
	URL      string   // the analyzer's base URL: requests go to URL + "/analyze"
	Entities []string // Presidio types to ask for (default: all of Entities)
	Language string   // default "en"
	// ScoreThreshold: spans scored below it are not used (default 0.5).
	ScoreThreshold float64
	Timeout        time.Duration // per request (default 2s)
	FailOpen       bool          // on_error: allow
	// Transport carries the requests (default: a transport of its own
	// that takes the proxy from the environment).
	Transport http.RoundTripper
}

// Client is one Presidio Analyzer. It implements content.Analyzer and is
// safe for concurrent use.
type Client struct {
	o    Options
	http *sidecar.Client
}

// Limits.
const (
	maxAnswer   = 8 << 20 // bytes of an answer read
	textGap     = "\n\n"  // between the texts of one request
	defaultWait = 2 * time.Second
)

// New returns a client (the options validated by config).
func New(o Options) *Client {
	if o.Language == "" {
		o.Language = "en"
	}
	if o.ScoreThreshold == 0 {
		o.ScoreThreshold = 0.5
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultWait
	}
	if len(o.Entities) == 0 {
		o.Entities = EntityTypes()
	}
	o.URL = strings.TrimRight(o.URL, "/")
	return &Client{o: o, http: sidecar.New("presidio "+o.Name, o.Timeout, maxAnswer, o.Transport)}
}

// Name is the analyzer's name.
func (c *Client) Name() string { return c.o.Name }

// FailOpen reports on_error: allow.
func (c *Client) FailOpen() bool { return c.o.FailOpen }

// request is Presidio's AnalyzerRequest.
type request struct {
	Text           string   `json:"text"`
	Language       string   `json:"language"`
	Entities       []string `json:"entities"`
	ScoreThreshold float64  `json:"score_threshold"`
}

// result is one of Presidio's RecognizerResults: start and end count
// Unicode code points, not bytes.
type result struct {
	EntityType string   `json:"entity_type"`
	Start      *int     `json:"start"`
	End        *int     `json:"end"`
	Score      *float64 `json:"score"`
}

// Analyze sends texts (joined by a blank line) to POST {url}/analyze in
// one request, asking for the configured types whose Warden entity is in
// want, and returns the spans found in each text, in bytes. Nothing is
// sent when no type is wanted.
func (c *Client) Analyze(ctx context.Context, texts [][]byte, want []content.Entity) ([][]content.Span, error) {
	types := c.types(want)
	if len(types) == 0 || len(texts) == 0 {
		return nil, nil
	}
	joined, starts := join(texts)
	body, err := json.Marshal(request{Text: string(joined), Language: c.o.Language, Entities: types, ScoreThreshold: c.o.ScoreThreshold})
	if err != nil {
		return nil, err
	}
	results, err := c.post(ctx, body)
	if err != nil {
		return nil, err
	}
	return c.spans(joined, starts, results)
}

// types are the configured Presidio types whose entity is wanted.
func (c *Client) types(want []content.Entity) []string {
	var out []string
	for _, t := range c.o.Entities {
		if e, ok := Entities[t]; ok && slices.Contains(want, e) {
			out = append(out, t)
		}
	}
	return out
}

// join returns the texts joined by textGap and where each starts.
func join(texts [][]byte) ([]byte, []int) {
	var b bytes.Buffer
	starts := make([]int, len(texts))
	for i, t := range texts {
		if i > 0 {
			b.WriteString(textGap)
		}
		starts[i] = b.Len()
		b.Write(t)
	}
	return b.Bytes(), starts
}

// post sends the request and reads the answer: 200 and a JSON array, or
// an error that says what went wrong without the text.
func (c *Client) post(ctx context.Context, body []byte) ([]result, error) {
	raw, err := c.http.Post(ctx, c.o.URL+"/analyze", nil, body)
	if err != nil {
		return nil, err
	}
	var results []result
	if err := json.Unmarshal(raw, &results); err != nil || results == nil && !bytes.Equal(bytes.TrimSpace(raw), []byte("[]")) {
		return nil, fmt.Errorf("presidio %s: the answer is not a list of results", c.o.Name)
	}
	return results, nil
}

// spans converts results (code points into joined) into byte spans of
// each text, as Warden entities: a result of a type Warden does not map,
// or scored under the threshold, is left out; one that runs past its text
// (into the gap or the next text) is cut at the text's end; one whose
// offsets are not in the text makes the answer malformed.
func (c *Client) spans(joined []byte, starts []int, results []result) ([][]content.Span, error) {
	runes := utf8.RuneCount(joined)
	var cps []int
	for _, r := range results {
		if r.Start == nil || r.End == nil || r.Score == nil || *r.Start < 0 || *r.End > runes || *r.Start >= *r.End {
			return nil, fmt.Errorf("presidio %s: a result's offsets are not within the text", c.o.Name)
		}
		cps = append(cps, *r.Start, *r.End)
	}
	byteAt := byteOffsets(joined, cps)
	out := make([][]content.Span, len(starts))
	for _, r := range results {
		e, ok := Entities[r.EntityType]
		if !ok || *r.Score < c.o.ScoreThreshold {
			continue
		}
		bs, be := byteAt[*r.Start], byteAt[*r.End]
		k, _ := slices.BinarySearch(starts, bs+1)
		k-- // the text holding bs
		if k < 0 {
			continue
		}
		end := len(joined)
		if k+1 < len(starts) {
			end = starts[k+1] - len(textGap)
		}
		if bs >= end {
			continue // in the gap between two texts
		}
		out[k] = append(out[k], content.Span{Start: bs - starts[k], End: min(be, end) - starts[k], Entity: e})
	}
	return out, nil
}

// byteOffsets maps each code-point offset in cps to its byte offset in
// text, in one pass.
func byteOffsets(text []byte, cps []int) map[int]int {
	sorted := slices.Clone(cps)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	out := make(map[int]int, len(sorted))
	cp, b := 0, 0
	for _, want := range sorted {
		for cp < want && b < len(text) {
			_, size := utf8.DecodeRune(text[b:])
			b += size
			cp++
		}
		out[want] = b
	}
	return out
}
