package auditlog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleRecord() *Record {
	return &Record{
		ID: "aud_0123", Time: Time(time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)), Kind: KindRequest,
		Principal: &Principal{ID: "alice", Type: "oidc", Groups: []string{"legal"}},
		SourceIP:  "203.0.113.7", Endpoint: "chat.completions",
		Model:    &Model{Name: "m", Version: "v1"},
		Decision: DecisionAllow, Reasons: []string{"policy.allowed_by_role"},
		Tokens:    &Tokens{Prompt: 3, Completion: 4},
		LatencyMS: &Latency{Total: Millis(1843249 * time.Microsecond), Upstream: Millis(50 * time.Microsecond)},
		Status:    200, Stream: true, RequestID: "req_1",
	}
}

// TestRecordJSON: SPEC field order, every field present, nulls where a
// field does not apply, fixed-width times, 0.1 ms latencies, no HTML
// escaping; and the index attached beside the fields when shown.
func TestRecordJSON(t *testing.T) {
	b, err := sampleRecord().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"aud_0123","time":"2026-05-01T12:00:00.123Z","kind":"request",` +
		`"principal":{"id":"alice","type":"oidc","key_id":null,"groups":["legal"]},"source_ip":"203.0.113.7",` +
		`"endpoint":"chat.completions","model":{"name":"m","version":"v1","digest":null},"namespace":null,` +
		`"classification":null,"decision":"allow","reasons":["policy.allowed_by_role"],"prompt_hash":null,` +
		`"response_hash":null,"tokens":{"prompt":3,"completion":4},"latency_ms":{"total":1843.2,"upstream":0.1},` +
		`"status":200,"filters":[],"stream":true,"request_id":"req_1","error":null,"admin":null}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	r := &Record{ID: "x", Kind: KindAdmin, Admin: &Admin{Action: "a<b>"}}
	b, _ = r.Marshal()
	if !strings.Contains(string(b), `"principal":null`) || !strings.Contains(string(b), `"reasons":[]`) || !strings.Contains(string(b), `"a<b>"`) {
		t.Fatalf("got %s", b)
	}
	shown, err := json.Marshal(Indexed{Index: 9, Origin: "o", Entry: b})
	if err != nil || !strings.HasPrefix(string(shown), `{"index":9,"origin":"o","id":"x",`) || !json.Valid(shown) {
		t.Fatalf("indexed: %s %v", shown, err)
	}
}

// TestRecordCaps: long lists are cut, and the cut is said.
func TestRecordCaps(t *testing.T) {
	r := sampleRecord()
	r.Principal.Groups = make([]string, 1000)
	for i := range r.Principal.Groups {
		r.Principal.Groups[i] = strings.Repeat("g", 50)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Principal.Groups) != 64 || back.Reasons[len(back.Reasons)-1] != "audit.truncated" {
		t.Fatalf("groups %d, reasons %v", len(back.Principal.Groups), back.Reasons)
	}
	r.Principal.Groups = []string{strings.Repeat("g", 70000)}
	if _, err := r.Marshal(); err != ErrTooLarge {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

// FuzzRow: any entry either parses into a search row or is refused;
// a record's own JSON always parses, with its fields.
func FuzzRow(f *testing.F) {
	b, _ := sampleRecord().Marshal()
	f.Add(b)
	f.Add([]byte(`{"id":""}`))
	f.Add([]byte(`{"id":"x","time":"not a time"}`))
	f.Fuzz(func(t *testing.T, entry []byte) {
		row, err := Row("o", 1, entry)
		if err == nil && (row.ID == "" || row.Origin != "o" || string(row.Entry) != string(entry)) {
			t.Fatalf("row %+v from %q", row, entry)
		}
	})
}
