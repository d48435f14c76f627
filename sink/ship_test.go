package sink

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testLog is a real audit log holding n records.
func testLog(t *testing.T, n int) (*auditlog.Log, *store.DB) {
	t.Helper()
	skey, _, _ := note.GenerateKey(rand.Reader, "sink.test/audit")
	signer, _ := note.NewSigner(skey)
	ctx := context.Background()
	l, err := auditlog.Open(ctx, auditlog.LogOptions{Dir: filepath.Join(t.TempDir(), "log"), Signer: signer, CheckpointInterval: 100 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(ctx) })
	appendRecords(t, l, 0, n)
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return l, db
}

func appendRecords(t *testing.T, l *auditlog.Log, from, n int) {
	t.Helper()
	var ps []*auditlog.Pending
	for i := from; i < from+n; i++ {
		ps = append(ps, l.Append([]byte(fmt.Sprintf(`{"id":"aud_%d","time":"2026-11-22T10:00:00Z","kind":"request"}`, i))))
	}
	for _, p := range ps {
		if _, err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if size, _ := l.Reader().IntegratedSize(context.Background()); size >= uint64(from+n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("records not integrated")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hec is a Splunk HTTP Event Collector as far as Warden uses it: token
// auth, events as concatenated JSON objects, {"text":"Success","code":0},
// and 503 {"text":"Server is busy","code":9} while down.
type hec struct {
	mu     sync.Mutex
	down   atomic.Bool
	events []map[string]any
}

func (h *hec) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/services/collector/event" || r.Header.Get("Authorization") != "Splunk tok-123" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"text":"Invalid token","code":4}`)
		return
	}
	if h.down.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"text":"Server is busy","code":9}`)
		return
	}
	dec := json.NewDecoder(r.Body)
	var got []map[string]any
	for {
		var ev map[string]any
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"text":"Invalid data format","code":6}`)
			return
		}
		if _, ok := ev["event"]; !ok {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"text":"Event field is required","code":12}`)
			return
		}
		got = append(got, ev)
	}
	h.mu.Lock()
	h.events = append(h.events, got...)
	h.mu.Unlock()
	io.WriteString(w, `{"text":"Success","code":0}`)
}

// records returns the leaf indexes of the records received, de-duplicated
// by index, in order of first arrival, and how many arrived in all.
func (h *hec) records() ([]uint64, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[uint64]bool{}
	var order []uint64
	n := 0
	for _, ev := range h.events {
		f := ev["fields"].(map[string]any)
		if f["warden_kind"] != "record" {
			continue
		}
		n++
		idx := uint64(f["warden_index"].(float64))
		if !seen[idx] {
			seen[idx] = true
			order = append(order, idx)
		}
	}
	return order, n
}

func (h *hec) checkpoints() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ev := range h.events {
		if ev["fields"].(map[string]any)["warden_kind"] == "checkpoint" {
			n++
		}
	}
	return n
}

// TestShipThroughOutage: a Splunk HEC that is down for a while under
// appends, then back: every record arrives exactly once after
// de-duplication, in log order; a shipper restarted on the same store
// resumes from the cursor; checkpoints are shipped; the lag reaches 0.
func TestShipThroughOutage(t *testing.T) {
	l, db := testLog(t, 700)
	h := &hec{}
	h.down.Store(true)
	srv := httptest.NewServer(h)
	defer srv.Close()
	newShipper := func() *Shipper {
		return &Shipper{Sink: &SplunkHEC{SinkName: "splunk", URL: srv.URL + "/services/collector/event", Token: "tok-123"},
			Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet, Batch: 128}
	}
	ctx := context.Background()
	s := newShipper()
	if _, err := s.ShipOnce(ctx); err == nil || !strings.Contains(err.Error(), "Server is busy") {
		t.Fatalf("shipping to a receiver that is down: %v", err)
	}
	if c, _ := db.GetSinkCursor(ctx, "splunk", "sink.test/audit"); c.Next != 0 || !strings.Contains(c.LastError, "HTTP 503") {
		t.Fatalf("cursor after a failure: %+v", c)
	}
	appendRecords(t, l, 700, 300)
	h.down.Store(false)
	if n, err := s.ShipOnce(ctx); err != nil || n != 1000 {
		t.Fatalf("after the outage: shipped %d: %v", n, err)
	}
	// The receiver fails part way: the batch in flight is sent again.
	appendRecords(t, l, 1000, 300)
	calls := 0
	flaky := &SplunkHEC{SinkName: "splunk", URL: srv.URL + "/services/collector/event", Token: "tok-123",
		Client: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			calls++
			res, err := http.DefaultTransport.RoundTrip(r)
			if calls == 2 { // delivered, but the answer is lost
				res.Body.Close()
				return nil, fmt.Errorf("connection reset")
			}
			return res, err
		})}}
	s2 := newShipper()
	s2.Sink = flaky
	if _, err := s2.ShipOnce(ctx); err == nil {
		t.Fatal("a lost answer went unnoticed")
	}
	s3 := newShipper() // a restart
	if _, err := s3.ShipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	order, total := h.records()
	if len(order) != 1300 {
		t.Fatalf("%d distinct records of 1300", len(order))
	}
	for i, idx := range order {
		if idx != uint64(i) {
			t.Fatalf("record %d arrived in place %d", idx, i)
		}
	}
	if total == 1300 || total > 1300+128 {
		t.Fatalf("%d arrivals: want the lost batch (at most 128) sent again", total)
	}
	if s3.Lag() != 0 {
		t.Fatalf("lag %d", s3.Lag())
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.checkpoints() == 0 && time.Now().Before(deadline) {
		time.Sleep(60 * time.Millisecond)
		s3.ShipOnce(ctx)
	}
	if h.checkpoints() == 0 {
		t.Fatal("no checkpoint shipped")
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// bulk is Elasticsearch's _bulk as far as Warden uses it: NDJSON action
// and source lines, per-item results, "errors": true when any item fails.
type bulk struct {
	mu       sync.Mutex
	docs     map[string]json.RawMessage
	rejectID string // an _id refused once with 429
}

func (b *bulk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Header.Get("Authorization") != "ApiKey k3y" || r.Header.Get("Content-Type") != "application/x-ndjson" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	var items []map[string]any
	errs := false
	b.mu.Lock()
	for sc.Scan() {
		var action struct {
			Index struct {
				Index string `json:"_index"`
				ID    string `json:"_id"`
			} `json:"index"`
		}
		json.Unmarshal(sc.Bytes(), &action)
		if !sc.Scan() {
			break
		}
		id := action.Index.ID
		if id == b.rejectID {
			b.rejectID = ""
			errs = true
			items = append(items, map[string]any{"index": map[string]any{"_id": id, "status": 429,
				"error": map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected"}}})
			continue
		}
		b.docs[id] = append(json.RawMessage(nil), sc.Bytes()...)
		items = append(items, map[string]any{"index": map[string]any{"_id": id, "status": 201}})
	}
	b.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": errs, "items": items})
}

// TestElasticsearchItemErrors: an item refused inside a successful _bulk
// answer fails the batch, which is sent again; ids make it idempotent.
func TestElasticsearchItemErrors(t *testing.T) {
	l, db := testLog(t, 300)
	b := &bulk{docs: map[string]json.RawMessage{}, rejectID: "sink.test/audit/42"}
	srv := httptest.NewServer(b)
	defer srv.Close()
	s := &Shipper{Sink: &Elasticsearch{SinkName: "es", URL: srv.URL, APIKey: "k3y"}, Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet, Batch: 100}
	ctx := context.Background()
	if _, err := s.ShipOnce(ctx); err == nil || !strings.Contains(err.Error(), "index 42") {
		t.Fatalf("an item refused: %v", err)
	}
	if _, err := s.ShipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range 300 {
		if _, ok := b.docs[fmt.Sprintf("sink.test/audit/%d", i)]; !ok {
			t.Fatalf("record %d missing", i)
		}
	}
	var doc map[string]any
	json.Unmarshal(b.docs["sink.test/audit/7"], &doc)
	if doc["index"] != float64(7) || doc["origin"] != "sink.test/audit" || doc["id"] != "aud_7" {
		t.Fatalf("document: %v", doc)
	}
}

// TestFileSink: JSON lines with the index beside the record, rotated by
// size; a webhook gets batches, signed.
func TestFileSink(t *testing.T) {
	l, db := testLog(t, 50)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s := &Shipper{Sink: &File{SinkName: "file", Path: path, MaxSize: 2000}, Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet, Batch: 10}
	if _, err := s.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Sink.Close()
	files, _ := filepath.Glob(path + "*")
	if len(files) < 2 {
		t.Fatalf("not rotated: %v", files)
	}
	var all bytes.Buffer
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	if n := strings.Count(all.String(), `"origin":"sink.test/audit"`); n < 50 {
		t.Fatalf("%d records in the files", n)
	}
}

// TestSplunkAck: with indexer acknowledgement, a batch counts as shipped
// only once the ack endpoint says it is indexed; a batch never
// acknowledged is sent again.
func TestSplunkAck(t *testing.T) {
	var mu sync.Mutex
	nextAck := int64(0)
	indexed := map[int64]bool{}
	lose := true // the first batch is never indexed
	got := map[float64]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Splunk-Request-Channel") == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"text":"Data channel is missing","code":10}`)
			return
		}
		switch r.URL.Path {
		case "/services/collector/event":
			dec := json.NewDecoder(r.Body)
			for {
				var ev struct{ Fields map[string]any }
				if dec.Decode(&ev) != nil {
					break
				}
				if ev.Fields["warden_kind"] == "record" {
					got[ev.Fields["warden_index"].(float64)]++
				}
			}
			id := nextAck
			nextAck++
			indexed[id] = !lose
			lose = false
			fmt.Fprintf(w, `{"text":"Success","code":0,"ackId":%d}`, id)
		case "/services/collector/ack":
			var req struct{ Acks []int64 }
			json.NewDecoder(r.Body).Decode(&req)
			out := map[string]bool{}
			for _, id := range req.Acks {
				out[fmt.Sprint(id)] = indexed[id]
			}
			json.NewEncoder(w).Encode(map[string]any{"acks": out})
		}
	}))
	defer srv.Close()
	l, db := testLog(t, 100)
	s := &Shipper{Sink: &SplunkHEC{SinkName: "splunk", URL: srv.URL + "/services/collector/event", Token: "t", Ack: true, AckTimeout: 300 * time.Millisecond},
		Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet}
	ctx := context.Background()
	if _, err := s.ShipOnce(ctx); err == nil || !strings.Contains(err.Error(), "not acknowledged") {
		t.Fatalf("an unacknowledged batch: %v", err)
	}
	if c, _ := db.GetSinkCursor(ctx, "splunk", "sink.test/audit"); c.Next != 0 {
		t.Fatalf("the cursor moved past an unacknowledged batch: %d", c.Next)
	}
	if _, err := s.ShipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 100 || got[0] != 2 {
		t.Fatalf("%d records, record 0 sent %d times", len(got), got[0])
	}
}

// TestUnconfirmedIsNotDelivered: an answer that does not confirm delivery
// fails the batch: a 200 that is not HEC's JSON (a proxy's page), and a
// redirect (followed, it would turn the POST into a GET of a login page
// whose 200 would pass for a delivery).
func TestUnconfirmedIsNotDelivered(t *testing.T) {
	ctx := context.Background()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			io.WriteString(w, `{"code":0,"text":"welcome"}`)
			return
		}
		if r.URL.Query().Get("redirect") != "" {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>maintenance</html>")
	}))
	defer page.Close()
	ev := []Event{{Kind: "record", Origin: "o", Index: 1, Time: time.Now(), Body: []byte(`{"id":"aud_1"}`)}}
	for name, s := range map[string]Sink{
		"HEC, a page":         &SplunkHEC{SinkName: "s", URL: page.URL + "/services/collector/event", Token: "t"},
		"HEC, redirected":     &SplunkHEC{SinkName: "s", URL: page.URL + "/services/collector/event?redirect=1", Token: "t"},
		"webhook, redirected": &Webhook{SinkName: "w", URL: page.URL + "/hook?redirect=1"},
	} {
		if err := s.Send(ctx, ev); err == nil {
			t.Errorf("%s: counted as delivered", name)
		}
	}
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes
	s := oneLine(errors.New("a\nb\t" + long + "\xff"))
	if !utf8.ValidString(s) || len(s) > 500 || !strings.HasPrefix(s, "a b é") {
		t.Fatalf("%q (%d bytes)", s, len(s))
	}
}
