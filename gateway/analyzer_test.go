package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// presidioServer speaks Presidio Analyzer's wire format (POST /analyze,
// {"text","language","entities","score_threshold"} in, a JSON array of
// {"entity_type","start","end","score"} out, offsets in code points). It
// reports each value of find (value → entity type) wherever it occurs,
// and keeps the requests it was sent.
type presidioServer struct {
	*httptest.Server
	mu    sync.Mutex
	texts []string
	types [][]string
}

func newPresidio(t *testing.T, find map[string]string, fail func(w http.ResponseWriter) bool) *presidioServer {
	ps := &presidioServer{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Text           string   `json:"text"`
			Language       string   `json:"language"`
			Entities       []string `json:"entities"`
			ScoreThreshold float64  `json:"score_threshold"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/analyze" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Language != "en" {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		ps.mu.Lock()
		ps.texts, ps.types = append(ps.texts, req.Text), append(ps.types, req.Entities)
		ps.mu.Unlock()
		if fail != nil && fail(w) {
			return
		}
		type result struct {
			EntityType string  `json:"entity_type"`
			Start      int     `json:"start"`
			End        int     `json:"end"`
			Score      float64 `json:"score"`
		}
		out := []result{}
		text := []rune(req.Text)
		for value, typ := range find {
			v := []rune(value)
			for i := 0; i+len(v) <= len(text); i++ {
				if string(text[i:i+len(v)]) == value {
					out = append(out, result{typ, i, i + len(v), 0.85})
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *presidioServer) sent() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]string(nil), ps.texts...)
}

func analyzerGateway(t *testing.T, url, onError string) *wardentest.Gateway {
	return wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(), Configure: func(c *config.Config) {
		c.Content = config.Content{
			Request:   config.ContentStage{PII: map[string]string{"person": "redact", "organization": "redact", "email": "redact", "credit_card": "block"}},
			Analyzers: []config.ContentAnalyzer{{Name: "presidio", Type: "presidio", URL: url, Timeout: config.Duration(200 * time.Millisecond), OnError: onError}},
		}
	}})
}

// TestAnalyzerMergesFindings: what a Presidio Analyzer finds joins
// Warden's own findings under the same actions: a name only it knows
// (after multi-byte text, so its code-point offsets differ from bytes)
// reaches the upstream as [PERSON_1], an organisation as
// [ORGANIZATION_1], Warden's own e-mail finding still applies, and a
// value it reports as a card blocks. The analyzer is sent the texts
// Warden screens, as the detectors read them, not the body or the key,
// with what Warden redacts itself overwritten; a request Warden blocks
// itself is not sent at all.
func TestAnalyzerMergesFindings(t *testing.T) {
	ps := newPresidio(t, map[string]string{"qzx vrellow": "PERSON", "bluefin ltd": "ORGANIZATION", "CARD-ALPHA-9": "CREDIT_CARD", "Köln": "LOCATION"}, nil)
	g := analyzerGateway(t, ps.URL, "")
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, admin)
	note := "Grüße aus Köln 👋🏽 — ｆｕｌｌ width, then qzx vrellow of bluefin ltd wrote to jane@example.com"
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", note, false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat: %s %s", res.Status, b)
	}
	got, _ := g.Upstream.LastRequest()
	body := string(got.Body)
	for _, leaked := range []string{"qzx", "vrellow", "bluefin", "jane@"} {
		if strings.Contains(body, leaked) {
			t.Errorf("the upstream received %q: %s", leaked, body)
		}
	}
	for _, want := range []string{"then [PERSON_1] of [ORGANIZATION_1] wrote to [EMAIL_1]", "Grüße aus Köln 👋🏽 — ｆｕｌｌ width"} {
		if !strings.Contains(body, want) {
			t.Errorf("the upstream's body lacks %q: %s", want, body)
		}
	}
	sent := ps.sent()
	if len(sent) != 1 || !strings.Contains(sent[0], "full width, then qzx vrellow") || strings.Contains(sent[0], admin) || strings.Contains(sent[0], `"model"`) ||
		strings.Contains(sent[0], "jane@") || !strings.Contains(sent[0], "wrote to ****************") {
		t.Errorf("the analyzer was sent %q", sent)
	}
	rec := log.released(t, res)
	if !strings.Contains(string(rec.Entry), `"entity":"person","action":"redact"`) {
		t.Errorf("record %s", rec.Entry)
	}

	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", "pay with CARD-ALPHA-9 now", false))
	if res.StatusCode != http.StatusForbidden || errorCode(b) != "content_blocked" || !strings.Contains(string(b), "pii.credit_card") || strings.Contains(string(b), "ALPHA") {
		t.Errorf("analyzer's card: %s %s", res.Status, b)
	}
	log.released(t, res)

	// What Warden blocks itself is never sent out: a card (or a key).
	before := len(ps.sent())
	res, b = send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", "qzx vrellow pays with 4111 1111 1111 1111", false))
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "pii.credit_card") || len(ps.sent()) != before {
		t.Errorf("Warden's own card: %s %s; the analyzer got %q", res.Status, b, ps.sent()[before:])
	}
	log.released(t, res)
}

// TestAnalyzerUnavailable: with on_error block (the default), an analyzer
// that fails (an error status, no answer in time, an answer that is not
// Presidio's, nothing listening) refuses the request with 503
// analyzer_unavailable before anything reaches the upstream, and the
// record says so; with on_error allow, the request proceeds with Warden's
// own findings and the record notes the analyzer skipped.
func TestAnalyzerUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail func(w http.ResponseWriter) bool
	}{
		{"status", func(w http.ResponseWriter) bool { http.Error(w, "boom", http.StatusInternalServerError); return true }},
		{"slow", func(w http.ResponseWriter) bool { time.Sleep(time.Second); return false }},
		{"malformed", func(w http.ResponseWriter) bool { w.Write([]byte(`{"entity_type":"PERSON"}`)); return true }},
		{"offsets past the text", func(w http.ResponseWriter) bool {
			w.Write([]byte(`[{"entity_type":"PERSON","start":0,"end":100000,"score":0.9}]`))
			return true
		}},
		{"down", nil},
	} {
		url := "http://127.0.0.1:1"
		if tt.fail != nil {
			url = newPresidio(t, nil, tt.fail).URL
		}
		for _, onError := range []string{"", "allow"} {
			g := analyzerGateway(t, url, onError)
			admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
			log := openAuditLog(t, g, admin)
			before := len(g.Upstream.Requests())
			res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, chatBody("gpt-test", "Qzx Vrellow wrote to jane@example.com", false))
			rec := log.released(t, res)
			if onError == "" {
				if res.StatusCode != http.StatusServiceUnavailable || errorCode(b) != "analyzer_unavailable" || strings.Contains(string(b), "Qzx") {
					t.Errorf("%s, block: %s %s", tt.name, res.Status, b)
				}
				if len(g.Upstream.Requests()) != before {
					t.Errorf("%s, block: the request reached the upstream", tt.name)
				}
				if !strings.Contains(strings.Join(rec.Reasons, ","), "content.analyzer.presidio") || !strings.Contains(string(rec.Entry), `"type":"analyzer","entity":"presidio","action":"unavailable"`) {
					t.Errorf("%s, block: record %s", tt.name, rec.Entry)
				}
				continue
			}
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s, allow: %s %s", tt.name, res.Status, b)
				continue
			}
			got, _ := g.Upstream.LastRequest()
			if strings.Contains(string(got.Body), "jane@") {
				t.Errorf("%s, allow: Warden's own finding was not applied: %s", tt.name, got.Body)
			}
			if !strings.Contains(string(rec.Entry), `"type":"analyzer","entity":"presidio","action":"skipped"`) {
				t.Errorf("%s, allow: record %s", tt.name, rec.Entry)
			}
		}
	}
}
