package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseTraceparent(t *testing.T) {
	const good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	c, ok := ParseTraceparent(good)
	if !ok || !c.Sampled || c.Traceparent() != good {
		t.Fatalf("%s: %+v %v (%s)", good, c, ok, c.Traceparent())
	}
	if c, ok := ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"); !ok || c.Sampled {
		t.Errorf("not sampled: %+v %v", c, ok)
	}
	// A later version may add fields after a dash.
	if _, ok := ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"); !ok {
		t.Error("a future version with more fields is read")
	}
	for _, bad := range []string{
		"",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",   // version 00 has no more fields
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",         // upper case
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",         // zero trace id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",         // zero span id
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // version ff
		"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",         // dashes misplaced
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",         // flags not hex
		"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",         // separators
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",        // no dash before more
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX: y", // header injection
	} {
		if c, ok := ParseTraceparent(bad); ok {
			t.Errorf("%q accepted: %+v", bad, c)
		}
	}
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Fuzz(func(t *testing.T, h string) {
		c, ok := ParseTraceparent(h)
		if !ok {
			return
		}
		// What is accepted is valid and formats to a version-00 header that
		// reads back the same.
		again, ok := ParseTraceparent(c.Traceparent())
		if !c.Valid() || !ok || again != c {
			t.Fatalf("%q: %+v, formatted %q reads %+v %v", h, c, c.Traceparent(), again, ok)
		}
	})
}

func TestIDs(t *testing.T) {
	root := NewRoot()
	child := root.Child()
	if !root.Valid() || !child.Valid() || child.TraceID != root.TraceID || child.SpanID == root.SpanID || !child.Sampled {
		t.Fatalf("root %+v child %+v", root, child)
	}
	if NewRoot().TraceID == root.TraceID {
		t.Error("two roots share a trace id")
	}
}

// collector is an OTLP/HTTP endpoint that keeps what it is sent.
type collector struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	status  int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST /v1/traces with JSON", http.StatusBadRequest)
		return
	}
	c.bodies, c.headers = append(c.bodies, b), append(c.headers, r.Header.Clone())
	if c.status != 0 {
		w.WriteHeader(c.status)
	}
}

func TestExporter(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	e, err := New(Options{Endpoint: srv.URL, Headers: map[string]string{"Authorization": "Bearer t0ken"}, Version: "v1.2.3", Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	root := NewRoot()
	start := time.Unix(1767225600, 5)
	e.Export(Span{Name: "chat m", Kind: KindServer, Context: root, Start: start, End: start.Add(time.Millisecond),
		Attrs: []Attr{String("gen_ai.operation.name", "chat"), Int("gen_ai.usage.input_tokens", 14)}, Error: "upstream_timeout"},
		Span{Name: "chat up", Kind: KindClient, Context: root.Child(), Parent: root.SpanID, Start: start, End: start})
	if err := e.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sent, failed, dropped := e.Counts(); sent != 2 || failed != 0 || dropped != 0 || len(col.bodies) != 1 {
		t.Fatalf("sent %d failed %d dropped %d, %d posts", sent, failed, dropped, len(col.bodies))
	}
	if col.headers[0].Get("Authorization") != "Bearer t0ken" {
		t.Error("headers not sent")
	}
	var req struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []struct {
					Key   string
					Value map[string]any
				}
			}
			ScopeSpans []struct {
				Spans []struct {
					TraceID, SpanID, ParentSpanID, Name string
					Kind                                int
					StartTimeUnixNano, EndTimeUnixNano  string
					Attributes                          []struct {
						Key   string
						Value map[string]any
					}
					Status struct {
						Code    int
						Message string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(col.bodies[0], &req); err != nil {
		t.Fatal(err)
	}
	rs := req.ResourceSpans[0]
	spans := rs.ScopeSpans[0].Spans
	if rs.Resource.Attributes[0].Key != "service.name" || rs.Resource.Attributes[0].Value["stringValue"] != "warden" || len(spans) != 2 {
		t.Fatalf("%s", col.bodies[0])
	}
	s := spans[0]
	if s.TraceID != strings.Split(root.Traceparent(), "-")[1] || s.Kind != KindServer || s.StartTimeUnixNano != "1767225600000000005" ||
		s.EndTimeUnixNano != "1767225600001000005" || s.Status.Code != 2 || s.Status.Message != "upstream_timeout" || s.ParentSpanID != "" {
		t.Errorf("server span %+v", s)
	}
	if a := s.Attributes[1]; a.Key != "gen_ai.usage.input_tokens" || a.Value["intValue"] != "14" {
		t.Errorf("int attribute %+v", a)
	}
	if c := spans[1]; c.ParentSpanID != s.SpanID || c.Kind != KindClient || c.Status.Code != 0 {
		t.Errorf("client span %+v", c)
	}
}

// TestExporterNeverBlocks: with the collector failing and the queue full,
// Export returns at once, and what could not go is counted.
func TestExporterNeverBlocks(t *testing.T) {
	col := &collector{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(col)
	defer srv.Close()
	e, err := New(Options{Endpoint: srv.URL + "/v1/traces", QueueSize: 4, BatchSize: 2, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	span := Span{Name: "x", Context: NewRoot(), Start: time.Now(), End: time.Now()}
	done := make(chan struct{})
	go func() {
		for range 1000 {
			e.Export(span)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Export blocked")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.Close(ctx)
	sent, failed, dropped := e.Counts()
	if sent != 0 || failed+dropped != 1000 || dropped == 0 || failed == 0 {
		t.Errorf("sent %d failed %d dropped %d", sent, failed, dropped)
	}
	if _, err := New(Options{Endpoint: "otel-collector:4318"}); err == nil {
		t.Error("an endpoint without a scheme is refused")
	}
}
