package presidio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/content"
)

// fakePresidio speaks Presidio Analyzer's wire format: POST /analyze with
// {"text", "language", "entities", "score_threshold"}, answering a JSON
// array of {"entity_type", "start", "end", "score", ...} with offsets in
// code points (Python's str indices). It finds the words of find.
type fakePresidio struct {
	find map[string]string // value → entity type
	last request
}

func (f *fakePresidio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/analyze" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var req request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Language == "" {
		http.Error(w, `{"error": "No text provided"}`, http.StatusBadRequest)
		return
	}
	f.last = req
	type res struct {
		EntityType   string         `json:"entity_type"`
		Start        int            `json:"start"`
		End          int            `json:"end"`
		Score        float64        `json:"score"`
		AnalysisExpl any            `json:"analysis_explanation"`
		Meta         map[string]any `json:"recognition_metadata"`
	}
	out := []res{}
	text := []rune(req.Text)
	for value, typ := range f.find {
		if len(req.Entities) > 0 && !contains(req.Entities, typ) {
			continue
		}
		v := []rune(value)
		for i := 0; i+len(v) <= len(text); i++ {
			if string(text[i:i+len(v)]) == value {
				out = append(out, res{EntityType: typ, Start: i, End: i + len(v), Score: 0.85, Meta: map[string]any{"recognizer_name": "SpacyRecognizer"}})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestAnalyzerCodePoints: offsets in code points become byte offsets of
// the right text, with multi-byte characters before the value, in an
// earlier text and in the value itself.
func TestAnalyzerCodePoints(t *testing.T) {
	fp := &fakePresidio{find: map[string]string{"Zoë Ångström": "PERSON", "Köln": "LOCATION", "a@b.io": "EMAIL_ADDRESS", "NRPvalue": "NRP"}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	c := New(Options{Name: "p", URL: srv.URL + "/"})
	texts := [][]byte{[]byte("Grüße 👋🏽 from Zoë Ångström"), []byte("日本語 then Köln, mail a@b.io NRPvalue")}
	got, err := c.Analyze(context.Background(), texts, []content.Entity{content.Person, content.Location, content.Email})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]content.Entity{}
	for i, spans := range got {
		for _, sp := range spans {
			seen[string(texts[i][sp.Start:sp.End])] = sp.Entity
		}
	}
	want := map[string]content.Entity{"Zoë Ångström": content.Person, "Köln": content.Location, "a@b.io": content.Email}
	if len(seen) != len(want) {
		t.Fatalf("spans %v, want %v", seen, want)
	}
	for v, e := range want {
		if seen[v] != e {
			t.Errorf("%q: %v, want %v (all: %v)", v, seen[v], e, seen)
		}
	}
	if fp.last.Language != "en" || fp.last.ScoreThreshold != 0.5 || !contains(fp.last.Entities, "PERSON") || contains(fp.last.Entities, "CREDIT_CARD") {
		t.Errorf("request %+v: want en, 0.5, only the wanted types", fp.last)
	}
	// Nothing wanted that the analyzer maps: nothing is sent.
	fp.last = request{}
	if got, err := c.Analyze(context.Background(), texts, []content.Entity{content.Secret}); err != nil || got != nil || fp.last.Text != "" {
		t.Errorf("unwanted: %v %v, sent %q", got, err, fp.last.Text)
	}
}

// TestAnalyzerErrors: an unreachable analyzer, an error status, a slow
// one, a redirect and answers that are not Presidio's all fail, and the
// error never carries the text.
func TestAnalyzerErrors(t *testing.T) {
	secret := "Jane Secretname"
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"status", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte("[]"))
		}},
		{"not json", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"object", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"error":"x"}`)) }},
		{"past the end", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"entity_type":"PERSON","start":0,"end":9999,"score":0.9}]`))
		}},
		{"negative", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"entity_type":"PERSON","start":-1,"end":2,"score":0.9}]`))
		}},
		{"no offsets", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`[{"entity_type":"PERSON","score":0.9}]`))
		}},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.invalid/analyze", http.StatusTemporaryRedirect)
		}},
		{"null", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`null`)) }},
	} {
		srv := httptest.NewServer(tt.handler)
		c := New(Options{Name: "p", URL: srv.URL, Timeout: 100 * time.Millisecond})
		_, err := c.Analyze(context.Background(), [][]byte{[]byte("hello " + secret)}, []content.Entity{content.Person})
		if err == nil {
			t.Errorf("%s: no error", tt.name)
		} else if strings.Contains(err.Error(), "Secretname") {
			t.Errorf("%s: the error carries the text: %v", tt.name, err)
		}
		srv.Close()
	}
	c := New(Options{Name: "p", URL: "http://127.0.0.1:1", Timeout: 100 * time.Millisecond})
	if _, err := c.Analyze(context.Background(), [][]byte{[]byte(secret)}, []content.Entity{content.Person}); err == nil {
		t.Error("unreachable: no error")
	}
	// An empty list is an answer.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]\n")) }))
	defer srv.Close()
	if got, err := New(Options{Name: "p", URL: srv.URL}).Analyze(context.Background(), [][]byte{[]byte("x")}, []content.Entity{content.Person}); err != nil || len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("empty answer: %v %v", got, err)
	}
}

// TestAnalyzerSpansClipped: a result running into the gap or the next
// text is cut at its text's end; one in the gap, of an unmapped type or
// under the threshold is dropped.
func TestAnalyzerSpansClipped(t *testing.T) {
	c := New(Options{Name: "p", URL: "http://x"})
	joined, starts := join([][]byte{[]byte("ab é"), []byte("cd")})
	i := func(n int) *int { return &n }
	f := func(x float64) *float64 { return &x }
	got, err := c.spans(joined, starts, []result{
		{EntityType: "PERSON", Start: i(3), End: i(7), Score: f(0.9)},   // "é\n\nc": cut to "é"
		{EntityType: "PERSON", Start: i(4), End: i(6), Score: f(0.9)},   // the gap
		{EntityType: "NRP", Start: i(0), End: i(2), Score: f(0.9)},      // unmapped
		{EntityType: "PERSON", Start: i(0), End: i(2), Score: f(0.1)},   // under the threshold
		{EntityType: "LOCATION", Start: i(6), End: i(8), Score: f(0.6)}, // "cd"
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 1 || got[0][0] != (content.Span{Start: 3, End: 5, Entity: content.Person}) ||
		len(got[1]) != 1 || got[1][0] != (content.Span{Start: 0, End: 2, Entity: content.Location}) {
		t.Fatalf("spans %v", got)
	}
}

// FuzzAnalyzerSpans: whatever offsets an analyzer answers, the spans
// returned lie within their texts on character boundaries, or the answer
// is refused.
func FuzzAnalyzerSpans(f *testing.F) {
	f.Add("Zoë\x00日本", 1, 3, 0, 9)
	f.Add("ab", 0, 2, 1, 1)
	c := New(Options{Name: "p", URL: "http://x", ScoreThreshold: 0.01})
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int) {
		texts := [][]byte{}
		for _, p := range strings.Split(text, "\x00") {
			texts = append(texts, []byte(strings.ToValidUTF8(p, "?")))
		}
		joined, starts := join(texts)
		sc := 0.9
		got, err := c.spans(joined, starts, []result{{EntityType: "PERSON", Start: &s1, End: &e1, Score: &sc}, {EntityType: "URL", Start: &s2, End: &e2, Score: &sc}})
		if err != nil {
			return
		}
		for k, spans := range got {
			for _, sp := range spans {
				txt := texts[k]
				if sp.Start < 0 || sp.End > len(txt) || sp.Start >= sp.End || !strings.HasPrefix(string(txt[sp.Start:]), string([]rune(string(txt[sp.Start:]))[0])) {
					t.Fatalf("span %+v of %q", sp, txt)
				}
			}
		}
	})
}
