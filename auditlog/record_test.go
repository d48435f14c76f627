package auditlog

import (
	"bytes"
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

// TestRecordJSON: the documented field order (docs/audit.md), every field present, nulls where a
// field does not apply, fixed-width times, 0.1 ms latencies, no HTML
// escaping; and the index attached beside the fields when shown.
func TestRecordJSON(t *testing.T) {
	b, err := sampleRecord().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"aud_0123","time":"2026-05-01T12:00:00.123Z","kind":"request",` +
		`"principal":{"id":"alice","type":"oidc","key_id":null,"groups":["legal"],"issued_by":null,"issued_in":null},"source_ip":"203.0.113.7",` +
		`"endpoint":"chat.completions","model":{"name":"m","version":"v1","digest":null},"namespace":null,` +
		`"classification":null,"decision":"allow","reasons":["policy.allowed_by_role"],"prompt_hash":null,` +
		`"response_hash":null,"tokens":{"prompt":3,"completion":4},"latency_ms":{"total":1843.2,"upstream":0.1},` +
		`"status":200,"filters":[],"stream":true,"request_id":"req_1","error":null,"admin":null,"forwarded_hash":null,"route":null}`
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

// FuzzRecordEncoding: the hand-written encoder writes exactly what
// encoding/json writes for a record (HTML escaping off), whatever its
// strings hold: quotes, control characters, invalid UTF-8, U+2028.
func FuzzRecordEncoding(f *testing.F) {
	f.Add("aud_1", "alice", "<script>&", "a\"b\\c\n\x01\u2028\xff", int64(3), int64(-1), 200, true, 1843249)
	f.Add("", "", "", "", int64(0), int64(0), 0, false, 0)
	f.Fuzz(func(t *testing.T, id, principal, model, text string, p, c int64, status int, stream bool, micros int) {
		r := &Record{
			ID: id, Time: Time(time.UnixMilli(int64(micros))), Kind: text,
			Principal: &Principal{ID: principal, Type: text, KeyID: Opt(text), Groups: []string{text, model}},
			SourceIP:  Opt(model), Endpoint: Opt(text),
			Model:    &Model{Name: model, Version: Opt(text), Digest: Opt(principal)},
			Decision: text, Reasons: []string{text},
			PromptHash: Opt(id), Tokens: &Tokens{Prompt: p, Completion: c},
			LatencyMS: &Latency{Total: Millis(time.Duration(micros) * time.Microsecond), Upstream: Millis(micros)},
			Status:    status, Stream: stream, RequestID: Opt(principal),
			Filters: []Filter{{Stage: text, Type: model, Entity: id, Action: principal, Count: status}},
			Error:   &ErrorInfo{Type: text, Code: model}, Admin: &Admin{Action: text, Target: Opt(model), Detail: Opt(id)},
			ForwardedHash: Opt(principal), Route: Opt(text),
		}
		if stream {
			r.Principal, r.Model, r.Tokens, r.LatencyMS, r.Error, r.Admin, r.Filters = nil, nil, nil, nil, nil, nil, nil
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		ref := *r
		if ref.Filters == nil {
			ref.Filters = []Filter{}
		}
		if ref.Reasons == nil {
			ref.Reasons = []string{}
		}
		if err := enc.Encode(&ref); err != nil {
			t.Fatal(err)
		}
		got := appendRecord(nil, r)
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("encoder\n%s\nencoding/json\n%s", got, w)
		}
	})
}

func BenchmarkRecordMarshal(b *testing.B) {
	r := sampleRecord()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
