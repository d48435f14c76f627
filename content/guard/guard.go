// Package guard asks external injection screens (content.guards) for a
// second opinion on the texts a request's policy screened for prompt
// injection: a service speaking Warden's own JSON shape (type http,
// docs/content.md "External guards") or Lakera Guard's public API (type
// lakera). A guard's verdict is acted on as the policy's injection mode
// says. Nothing here logs; errors never carry the texts sent, the
// answer's content or the API key.
package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/sidecar"
)

// Options configure a guard.
type Options struct {
	Name string // the guard's name (content.guards[].name)
	// URL: type http, the endpoint posted to; type lakera, the base URL
	// (default https://api.lakera.ai; requests go to {url}/v2/guard).
	URL     string
	APIKey  string        // sent as Authorization: Bearer, if set
	KeyErr  error         // the api_key reference could not be read: every check fails
	Timeout time.Duration // per request (default 2s)
	// FailOpen: on_error allow (a request proceeds when the guard fails).
	FailOpen bool
	// Transport carries the requests (default: a transport of its own
	// that takes the proxy from the environment).
	Transport http.RoundTripper
}

// Limits.
const (
	MaxAnswer   = 1 << 20 // bytes of an answer read
	defaultWait = 2 * time.Second
	lakeraURL   = "https://api.lakera.ai"
)

// client is what both types share: the options and a sidecar client.
type client struct {
	o    Options
	post *sidecar.Client
}

func newClient(o Options) client {
	if o.Timeout <= 0 {
		o.Timeout = defaultWait
	}
	return client{o: o, post: sidecar.New("guard "+o.Name, o.Timeout, MaxAnswer, o.Transport)}
}

// Name is the guard's name.
func (c *client) Name() string { return c.o.Name }

// FailOpen reports on_error: allow.
func (c *client) FailOpen() bool { return c.o.FailOpen }

// send posts body to url with the guard's api_key, if any, and returns
// the answer (sidecar.Client.Post).
func (c *client) send(ctx context.Context, url string, body []byte) ([]byte, error) {
	if c.o.KeyErr != nil {
		return nil, fmt.Errorf("guard %s: its api_key cannot be read", c.o.Name)
	}
	var h http.Header
	if c.o.APIKey != "" {
		h = http.Header{"Authorization": {"Bearer " + c.o.APIKey}}
	}
	return c.post.Post(ctx, url, h, body)
}

// HTTP is a guard of type http, speaking Warden's guard shape. It
// implements content.Guard and is safe for concurrent use.
type HTTP struct{ client }

// NewHTTP returns a guard of type http (the options validated by config).
func NewHTTP(o Options) *HTTP { return &HTTP{newClient(o)} }

// Request is what a guard of type http is sent: the texts screened, in
// the request's order, each with its origin (user, tool, system), the
// model asked for and Warden's request id.
type Request struct {
	RequestID string        `json:"request_id,omitempty"`
	Model     string        `json:"model,omitempty"`
	Texts     []RequestText `json:"texts"`
}

// RequestText is one text of a Request.
type RequestText struct {
	Text   string `json:"text"`
	Origin string `json:"origin"`
}

// Verdict is a guard's answer (type http): flagged (required) says
// whether the texts, together, are an injection; category and score
// (0 to 1) are optional. Results, optional, judge texts one by one by
// their index in the request: a flagged result makes the verdict flagged
// whatever flagged says, and gives its text's origin.
type Verdict struct {
	Flagged  *bool    `json:"flagged"`
	Category string   `json:"category"`
	Score    *float64 `json:"score"`
	Results  []Result `json:"results"`
}

// Result is a verdict on one text.
type Result struct {
	Index    *int     `json:"index"`
	Flagged  *bool    `json:"flagged"`
	Category string   `json:"category"`
	Score    *float64 `json:"score"`
}

// Check posts the texts to the guard's URL and reads its verdict.
func (g *HTTP) Check(ctx context.Context, texts []content.GuardText, meta content.GuardMeta) (content.GuardVerdict, error) {
	if len(texts) == 0 {
		return content.GuardVerdict{}, nil
	}
	req := Request{RequestID: meta.RequestID, Model: meta.Model, Texts: make([]RequestText, len(texts))}
	for i, t := range texts {
		req.Texts[i] = RequestText{Text: string(t.Text), Origin: t.Origin.String()}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return content.GuardVerdict{}, err
	}
	raw, err := g.send(ctx, g.o.URL, body)
	if err != nil {
		return content.GuardVerdict{}, err
	}
	v, err := ParseVerdict(raw, texts)
	if err != nil {
		return content.GuardVerdict{}, fmt.Errorf("guard %s: %w", g.o.Name, err)
	}
	return v, nil
}

// ErrMalformed is the error of an answer that is not a verdict.
var ErrMalformed = errors.New("the answer is not a verdict")

// ParseVerdict reads a type http guard's answer about texts: a JSON
// object with flagged, and optionally category, score and results. A
// score outside [0, 1], a result without a valid index or flagged, or a
// missing flagged makes it malformed (ErrMalformed): a guard that answers
// what cannot be read has not screened the request.
func ParseVerdict(raw []byte, texts []content.GuardText) (content.GuardVerdict, error) {
	var v Verdict
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&v); err != nil || v.Flagged == nil || dec.More() {
		return content.GuardVerdict{}, ErrMalformed
	}
	if !validScore(v.Score) {
		return content.GuardVerdict{}, ErrMalformed
	}
	out := content.GuardVerdict{Flagged: *v.Flagged}
	best := -1
	for k, r := range v.Results {
		if r.Index == nil || *r.Index < 0 || *r.Index >= len(texts) || r.Flagged == nil || !validScore(r.Score) {
			return content.GuardVerdict{}, ErrMalformed
		}
		if *r.Flagged && (best < 0 || score(r.Score) > score(v.Results[best].Score)) {
			best = k
		}
	}
	if best >= 0 {
		r := v.Results[best]
		return content.GuardVerdict{Flagged: true, Category: Category(r.Category), Score: score(r.Score), Origin: texts[*r.Index].Origin, HasOrigin: true}, nil
	}
	if out.Flagged {
		out.Category, out.Score = Category(v.Category), score(v.Score)
		out.Origin, out.HasOrigin = sameOrigin(texts)
	}
	return out, nil
}

func validScore(s *float64) bool { return s == nil || *s >= 0 && *s <= 1 }

func score(s *float64) float64 {
	if s == nil {
		return 0
	}
	return *s
}

// sameOrigin returns the texts' origin if they all have one.
func sameOrigin(texts []content.GuardText) (content.Origin, bool) {
	if len(texts) == 0 {
		return 0, false
	}
	for _, t := range texts[1:] {
		if t.Origin != texts[0].Origin {
			return 0, false
		}
	}
	return texts[0].Origin, true
}

// Category makes a guard's category a plain name for records: lower case,
// letters, digits, '_', '-' and '.' ('/' and spaces become '.' and '_'),
// at most 64 bytes; "" when nothing is left (the record then says
// "guard").
func Category(c string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(c) {
		if b.Len() >= 64 {
			break
		}
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		case r == '/':
			b.WriteByte('.')
		case r == ' ':
			b.WriteByte('_')
		}
	}
	return b.String()
}
