// Package sink ships the audit log to where security teams read it (SIEMs,
// files, webhooks). Each sink follows the log by leaf index from a
// durable cursor in the store, never inline in the request path: batched,
// in order, retried with backoff, at least once (the leaf index is the
// de-duplication key), with the lag exposed. Signed checkpoints are
// shipped too, so a receiver can tell a gap from silence.
package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/tessera"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/store"
)

// Event is one thing shipped: a record (Kind "record", Body the record as
// logged with "index" and "origin" beside its fields) or a checkpoint
// (Kind "checkpoint", Body {"type": "checkpoint", "origin", "size",
// "checkpoint": the signed note}).
type Event struct {
	Kind   string
	Origin string
	Index  uint64 // records: the leaf index; checkpoints: the tree size
	Time   time.Time
	Body   []byte
}

// Sink sends events somewhere. Send gets events in log order and must
// deliver all of them or return an error (the batch is sent again:
// receivers de-duplicate by origin and index).
type Sink interface {
	Name() string
	Send(ctx context.Context, events []Event) error
	Close() error
}

// Shipper follows one log for one sink.
type Shipper struct {
	Sink   Sink
	Origin string
	Reader tessera.LogReader
	Store  *store.DB
	Logger *slog.Logger
	Batch  int // events per Send (default 500)

	lag    atomic.Int64
	lastCP uint64 // the size of the last checkpoint shipped
}

// Lag is how many records the sink is behind the log.
func (s *Shipper) Lag() int64 { return s.lag.Load() }

// ShipOnce ships what the log holds beyond the sink's cursor, and the
// log's checkpoint once the sink has every record it covers. It returns
// how many records it shipped.
func (s *Shipper) ShipOnce(ctx context.Context) (int, error) {
	cur, err := s.Store.GetSinkCursor(ctx, s.Sink.Name(), s.Origin)
	if err != nil {
		return 0, err
	}
	size, err := s.Reader.IntegratedSize(ctx)
	if err != nil {
		return 0, err
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	next, shipped := cur.Next, 0
	s.lag.Store(int64(size) - int64(next))
	for next < size {
		var events []Event
		for next < size && len(events) < batch {
			entries, err := auditlog.ReadEntries(ctx, s.Reader, next, next+uint64(batch-len(events)), size)
			if err != nil {
				return shipped, err
			}
			for i, e := range entries {
				idx := next + uint64(i)
				body, err := json.Marshal(auditlog.Indexed{Index: idx, Origin: s.Origin, Entry: e})
				if err != nil { // not a record Warden can read: ship it wrapped
					body, _ = json.Marshal(map[string]any{"index": idx, "origin": s.Origin, "unreadable": string(e)})
				}
				events = append(events, Event{Kind: "record", Origin: s.Origin, Index: idx, Time: recordTime(e), Body: body})
			}
			next += uint64(len(entries))
		}
		if err := s.Sink.Send(ctx, events); err != nil {
			s.failed(ctx, err)
			return shipped, fmt.Errorf("sink %s: %w", s.Sink.Name(), err)
		}
		if err := s.Store.AdvanceSinkCursor(ctx, s.Sink.Name(), s.Origin, next, time.Now()); err != nil {
			return shipped, err
		}
		shipped += len(events)
		s.lag.Store(int64(size) - int64(next))
	}
	if cp, err := s.Reader.ReadCheckpoint(ctx); err == nil {
		if cpSize, err := auditlog.CheckpointSize(cp); err == nil && cpSize <= next && cpSize > s.lastCP {
			body, _ := json.Marshal(map[string]any{"type": "checkpoint", "origin": s.Origin, "size": cpSize, "checkpoint": string(cp)})
			if err := s.Sink.Send(ctx, []Event{{Kind: "checkpoint", Origin: s.Origin, Index: cpSize, Time: time.Now(), Body: body}}); err != nil {
				s.failed(ctx, err)
				return shipped, fmt.Errorf("sink %s: checkpoint: %w", s.Sink.Name(), err)
			}
			s.lastCP = cpSize
		}
	}
	return shipped, nil
}

// failed records a failure for `warden audit sinks status`: not one that
// is only the shutdown cancelling a send.
func (s *Shipper) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	if serr := s.Store.SinkFailed(context.WithoutCancel(ctx), s.Sink.Name(), s.Origin, oneLine(err), time.Now()); serr != nil {
		s.Logger.Warn("audit sink: failure not recorded", "sink", s.Sink.Name(), "err", serr)
	}
}

// Run ships every interval until ctx ends; after a failure it waits with
// exponential backoff (interval, then doubling, at most a minute).
func (s *Shipper) Run(ctx context.Context, interval time.Duration) {
	backoff := interval
	for {
		_, err := s.ShipOnce(ctx)
		wait := interval
		switch {
		case err != nil && ctx.Err() == nil:
			wait = backoff
			s.Logger.Warn("audit sink: shipping failed; will retry", "sink", s.Sink.Name(), "lag", s.Lag(), "in", wait, "err", err)
			backoff = min(2*backoff, time.Minute)
		default:
			backoff = interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// recordTime is a record's "time", or now.
func recordTime(entry []byte) time.Time {
	var r struct {
		Time string `json:"time"`
	}
	if json.Unmarshal(entry, &r) == nil {
		if t, err := time.Parse(time.RFC3339Nano, r.Time); err == nil {
			return t
		}
	}
	return time.Now()
}

// oneLine is err's text for the store: valid UTF-8 (PostgreSQL refuses
// anything else), on one line, at most 500 bytes, cut between characters.
func oneLine(err error) string {
	s := strings.ToValidUTF8(strings.Join(strings.Fields(err.Error()), " "), "\uFFFD")
	if len(s) > 500 {
		n := 500
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
