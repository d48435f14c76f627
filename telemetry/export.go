package telemetry

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure an Exporter.
type Options struct {
	// Endpoint is the collector's base URL (spans go to Endpoint +
	// "/v1/traces", as OTEL_EXPORTER_OTLP_ENDPOINT means it), or the full
	// URL if it already ends in "/v1/traces".
	Endpoint string
	Headers  map[string]string // sent with every export (e.g. an authorization)
	Timeout  time.Duration     // per export; default 10s
	Service  string            // service.name; default "warden"
	Version  string            // service.version
	Client   *http.Client      // default: a client with Timeout
	// QueueSize bounds the spans waiting for export (default 8192); past
	// it, spans are dropped and counted. BatchSize (default 512) and
	// Interval (default 2s) decide when a batch goes.
	QueueSize int
	BatchSize int
	Interval  time.Duration
	Logger    *slog.Logger
}

// Exporter sends spans to an OTLP/HTTP collector in the background. Export
// never blocks; a collector that is down or slow costs dropped spans
// (Dropped), never latency on the data path.
type Exporter struct {
	o       Options
	url     string
	queue   chan Span
	flush   chan chan struct{}
	done    chan struct{}
	closing sync.Once
	dropped atomic.Uint64
	sent    atomic.Uint64
	failed  atomic.Uint64
}

// New starts an exporter.
func New(o Options) (*Exporter, error) {
	u := strings.TrimRight(o.Endpoint, "/")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, errors.New("telemetry: the OTLP endpoint must be an http or https URL")
	}
	if !strings.HasSuffix(u, "/v1/traces") {
		u += "/v1/traces"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	if o.Service == "" {
		o.Service = "warden"
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	e := &Exporter{o: o, url: u, queue: make(chan Span, o.QueueSize), flush: make(chan chan struct{}), done: make(chan struct{})}
	go e.run()
	return e, nil
}

// Export queues spans for export, or drops them if the queue is full.
func (e *Exporter) Export(spans ...Span) {
	if e == nil {
		return
	}
	for _, s := range spans {
		select {
		case e.queue <- s:
		default:
			e.dropped.Add(1)
		}
	}
}

// Counts reports the spans exported, those whose export failed, and those
// dropped because the queue was full.
func (e *Exporter) Counts() (sent, failed, dropped uint64) {
	return e.sent.Load(), e.failed.Load(), e.dropped.Load()
}

// Flush exports what is queued now and waits for it (or ctx).
func (e *Exporter) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case e.flush <- ack:
	case <-e.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close exports what is queued and stops the exporter.
func (e *Exporter) Close(ctx context.Context) error {
	if e == nil {
		return nil
	}
	err := e.Flush(ctx)
	e.closing.Do(func() { close(e.done) })
	return err
}

func (e *Exporter) run() {
	t := time.NewTicker(e.o.Interval)
	defer t.Stop()
	batch := make([]Span, 0, e.o.BatchSize)
	send := func() {
		if len(batch) > 0 {
			e.post(batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case s := <-e.queue:
			batch = append(batch, s)
			if len(batch) >= e.o.BatchSize {
				send()
			}
		case <-t.C:
			send()
		case ack := <-e.flush:
			for n := len(e.queue); n > 0; n-- {
				batch = append(batch, <-e.queue)
				if len(batch) >= e.o.BatchSize {
					send()
				}
			}
			send()
			close(ack)
		case <-e.done:
			return
		}
	}
}

// post sends one batch; a failure is logged (without the body) and counted.
func (e *Exporter) post(batch []Span) {
	body := Encode(batch, e.o.Service, e.o.Version)
	ctx, cancel := context.WithTimeout(context.Background(), e.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		e.failed.Add(uint64(len(batch)))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range e.o.Headers {
		req.Header.Set(k, v)
	}
	res, err := e.o.Client.Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			err = fmt.Errorf("collector answered %s", res.Status)
		}
	}
	if err != nil {
		e.failed.Add(uint64(len(batch)))
		e.o.Logger.Warn("could not export traces; the batch is dropped", "spans", len(batch), "err", err)
		return
	}
	e.sent.Add(uint64(len(batch)))
}

// Encode renders spans as an OTLP ExportTraceServiceRequest in OTLP's JSON
// encoding (ids in hex, 64-bit integers as strings).
func Encode(spans []Span, service, version string) []byte {
	type kv = map[string]any
	attrs := func(as []Attr) []kv {
		out := make([]kv, 0, len(as))
		for _, a := range as {
			if a.IsInt {
				out = append(out, kv{"key": a.Key, "value": kv{"intValue": strconv.FormatInt(a.Int, 10)}})
			} else {
				out = append(out, kv{"key": a.Key, "value": kv{"stringValue": a.Str}})
			}
		}
		return out
	}
	res := []Attr{String("service.name", service)}
	if version != "" {
		res = append(res, String("service.version", version))
	}
	out := make([]kv, 0, len(spans))
	for _, s := range spans {
		span := kv{
			"traceId":           hex.EncodeToString(s.Context.TraceID[:]),
			"spanId":            hex.EncodeToString(s.Context.SpanID[:]),
			"name":              s.Name,
			"kind":              s.Kind,
			"startTimeUnixNano": strconv.FormatInt(s.Start.UnixNano(), 10),
			"endTimeUnixNano":   strconv.FormatInt(s.End.UnixNano(), 10),
			"attributes":        attrs(s.Attrs),
		}
		if s.Parent != [8]byte{} {
			span["parentSpanId"] = hex.EncodeToString(s.Parent[:])
		}
		if s.Error != "" {
			span["status"] = kv{"code": 2, "message": s.Error}
		}
		out = append(out, span)
	}
	b, _ := json.Marshal(kv{"resourceSpans": []kv{{
		"resource":   kv{"attributes": attrs(res)},
		"scopeSpans": []kv{{"scope": kv{"name": "github.com/wardenhq/warden", "version": version}, "spans": out}},
	}}})
	return b
}
