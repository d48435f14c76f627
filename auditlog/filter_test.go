package auditlog

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// FuzzFilterScore: an injection filter's score and origin are written
// exactly as encoding/json writes them (omitted when empty), whatever the
// score.
func FuzzFilterScore(f *testing.F) {
	for _, s := range []float64{0, 0.5, 0.93, 1, 2.75, 1e-7, 1e21, 123456.78, -0.25} {
		f.Add(s, "tool")
	}
	f.Add(0.0, "")
	f.Fuzz(func(t *testing.T, score float64, origin string) {
		if math.IsNaN(score) || math.IsInf(score, 0) {
			return // never recorded (content.RoundScore)
		}
		r := &Record{ID: "aud_1", Kind: "request", Decision: "allow", Reasons: []string{},
			Filters: []Filter{{Stage: "request", Type: "injection", Entity: "override", Action: "block", Count: 1, Score: score, Origin: origin}}}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if got, w := appendRecord(nil, r), bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("encoder\n%s\nencoding/json\n%s", got, w)
		}
	})
}

// TestFilterOldShape: a filter without score and origin encodes as
// records did before those fields existed, so old records hash alike.
func TestFilterOldShape(t *testing.T) {
	r := &Record{ID: "aud_1", Kind: "request", Decision: "allow", Reasons: []string{},
		Filters: []Filter{{Stage: "request", Type: "pii", Entity: "email", Action: "redact", Count: 2}}}
	got := appendRecord(nil, r)
	if !bytes.Contains(got, []byte(`"filters":[{"stage":"request","type":"pii","entity":"email","action":"redact","count":2}]`)) {
		t.Fatalf("%s", got)
	}
	r.Filters[0] = Filter{Stage: "request", Type: "injection", Entity: "indirect", Action: "shadow", Count: 1, Score: 0.87, Origin: "tool"}
	if got := appendRecord(nil, r); !bytes.Contains(got, []byte(`{"stage":"request","type":"injection","entity":"indirect","action":"shadow","count":1,"score":0.87,"origin":"tool"}`)) {
		t.Fatalf("%s", got)
	}
}
