package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/content"
)

// Lakera is a guard of type lakera: Lakera Guard's screening endpoint
// (POST {url}/v2/guard). It implements content.Guard and is safe for
// concurrent use.
type Lakera struct{ client }

// NewLakera returns a guard of type lakera (the options validated by
// config).
func NewLakera(o Options) *Lakera {
	if o.URL == "" {
		o.URL = lakeraURL
	}
	o.URL = strings.TrimRight(o.URL, "/")
	return &Lakera{newClient(o)}
}

// lakeraRequest is Lakera Guard's request: OpenAI-style messages, and a
// breakdown by detector asked for (its category).
type lakeraRequest struct {
	Messages  []lakeraMessage `json:"messages"`
	Breakdown bool            `json:"breakdown"`
}

type lakeraMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// lakeraAnswer is what is read of Lakera Guard's answer: flagged, and
// which detectors found something.
type lakeraAnswer struct {
	Flagged   *bool `json:"flagged"`
	Breakdown []struct {
		DetectorType string `json:"detector_type"`
		Detected     bool   `json:"detected"`
	} `json:"breakdown"`
}

// lakeraRoles are the roles Lakera is sent for each origin.
var lakeraRoles = map[content.Origin]string{content.OriginUser: "user", content.OriginTool: "tool", content.OriginSystem: "system"}

// Check sends the texts as messages, in the request's order, each with
// its origin's role, and reads the verdict. Lakera judges the messages
// together (by the project's policy): the verdict has an origin only
// when every text has the same.
func (g *Lakera) Check(ctx context.Context, texts []content.GuardText, _ content.GuardMeta) (content.GuardVerdict, error) {
	if len(texts) == 0 {
		return content.GuardVerdict{}, nil
	}
	req := lakeraRequest{Breakdown: true, Messages: make([]lakeraMessage, len(texts))}
	for i, t := range texts {
		req.Messages[i] = lakeraMessage{Role: lakeraRoles[t.Origin], Content: string(t.Text)}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return content.GuardVerdict{}, err
	}
	raw, err := g.send(ctx, g.o.URL+"/v2/guard", body)
	if err != nil {
		return content.GuardVerdict{}, err
	}
	v, err := ParseLakera(raw, texts)
	if err != nil {
		return content.GuardVerdict{}, fmt.Errorf("guard %s: %w", g.o.Name, err)
	}
	return v, nil
}

// ParseLakera reads Lakera Guard's answer about texts: an object with
// flagged (required); the category is the first detector in the
// breakdown that detected something (prompt_attack, moderated_content/
// hate as moderated_content.hate, ...). Lakera gives no score.
func ParseLakera(raw []byte, texts []content.GuardText) (content.GuardVerdict, error) {
	var a lakeraAnswer
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&a); err != nil || a.Flagged == nil || dec.More() {
		return content.GuardVerdict{}, ErrMalformed
	}
	if !*a.Flagged {
		return content.GuardVerdict{}, nil
	}
	v := content.GuardVerdict{Flagged: true}
	for _, d := range a.Breakdown {
		if d.Detected {
			v.Category = Category(d.DetectorType)
			break
		}
	}
	v.Origin, v.HasOrigin = sameOrigin(texts)
	return v, nil
}
