package auditlog

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"
)

// Recorder writes records to a Log as the configuration says: waiting for
// durability or not (audit.durability), and failing closed or open
// (audit.fail_mode). It is shared by every config version.
type Recorder struct {
	log      *Log
	hasher   *Hasher
	sync     bool
	failOpen bool
	logger   *slog.Logger
	onWait   func(time.Duration) // sync waits, for metrics

	written, failed atomic.Uint64
}

// ObserveWaits has f called with each sync-mode wait for durability. Call
// it before the Recorder is used.
func (r *Recorder) ObserveWaits(f func(time.Duration)) { r.onWait = f }

// NewRecorder returns a Recorder appending to l, hashing content with h.
func NewRecorder(l *Log, h *Hasher, sync, failOpen bool, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Recorder{log: l, hasher: h, sync: sync, failOpen: failOpen, logger: logger}
	go r.probe(time.Second)
	return r
}

// probe brings a failed log back without waiting for traffic (a node a
// load balancer took out of rotation gets none): while the log's last
// batch failed, it tries every interval to write a record saying the log
// is writing again and how many records were lost meanwhile. Its success
// clears the failure, and leaves the outage on the record.
func (r *Recorder) probe(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lostBefore uint64
	down := false
	for {
		select {
		case <-r.log.Closed():
			return
		case <-t.C:
		}
		if !r.log.Failed() {
			down = false
			continue
		}
		if !down {
			down = true
			_, lostBefore = r.Counts()
		}
		_, lost := r.Counts()
		now := time.Now()
		rec := &Record{
			ID: NewID(now), Time: Time(now), Kind: KindAdmin,
			Principal: &Principal{ID: "system", Type: "system"},
			Decision:  DecisionAllow,
			Admin: &Admin{Action: "audit.resumed",
				Detail: Opt("records not written during the outage: " + strconv.FormatUint(lost-lostBefore, 10))},
		}
		entry, err := rec.Marshal()
		if err != nil {
			continue
		}
		if _, err := r.log.Append(entry).Wait(context.Background()); err == nil {
			r.written.Add(1)
			r.logger.Warn("audit log: writing again after an outage", "records_lost", lost-lostBefore)
		}
	}
}

// ErrUnavailable: the log cannot take records, and audit.fail_mode is
// closed.
var ErrUnavailable = errors.New("audit log unavailable")

// Hasher is the content hasher for prompt_hash and response_hash.
func (r *Recorder) Hasher() *Hasher { return r.hasher }

// Log is the log records go to.
func (r *Recorder) Log() *Log { return r.log }

// FailOpen reports whether failures to record are tolerated (fail_mode
// open).
func (r *Recorder) FailOpen() bool { return r.failOpen }

// Ready returns nil when a request may go ahead: the log takes records, or
// failures are tolerated (fail_mode open). Otherwise ErrUnavailable, with
// the cause wrapped.
func (r *Recorder) Ready() error {
	if r.failOpen {
		return nil
	}
	if err := r.log.Healthy(); err != nil {
		return errors.Join(ErrUnavailable, err)
	}
	return nil
}

// Write appends rec. In sync mode it waits until the record is durable
// and returns its index with durable true; in async mode it returns at
// once. A record that cannot be written is an ErrUnavailable error with
// fail_mode closed; with fail_mode open it is logged and Write returns
// nil error and durable false.
func (r *Recorder) Write(ctx context.Context, rec *Record) (index uint64, durable bool, err error) {
	return r.write(ctx, rec, r.sync, r.failOpen)
}

// WriteDurable appends rec and waits until it is durable, whatever
// audit.durability and audit.fail_mode say: for acts that must never
// happen unrecorded (revealing a stored payload). A record that cannot be
// written is an ErrUnavailable error.
func (r *Recorder) WriteDurable(ctx context.Context, rec *Record) (index uint64, err error) {
	index, _, err = r.write(ctx, rec, true, false)
	return index, err
}

func (r *Recorder) write(ctx context.Context, rec *Record, sync, failOpen bool) (index uint64, durable bool, err error) {
	fail := func(err error) error {
		if err := r.fail(rec, err); err != nil || failOpen {
			return err
		}
		return errors.Join(ErrUnavailable, err)
	}
	entry, err := rec.Marshal()
	if err != nil {
		return 0, false, fail(err)
	}
	p := r.log.Append(entry)
	if !sync {
		select {
		case <-p.Done():
			if _, err := p.Wait(ctx); err != nil {
				return 0, false, fail(err)
			}
		default:
			go r.watch(rec.ID, p)
		}
		return 0, false, nil
	}
	start := time.Now()
	index, err = p.Wait(ctx)
	if r.onWait != nil {
		r.onWait(time.Since(start))
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The caller stopped waiting (its client left); the record is
			// still on its way.
			go r.watch(rec.ID, p)
			return 0, false, err
		}
		return 0, false, fail(err)
	}
	r.written.Add(1)
	return index, true, nil
}

// watch reports the fate of a record nobody waits for.
func (r *Recorder) watch(id string, p *Pending) {
	if _, err := p.Wait(context.Background()); err != nil {
		r.failed.Add(1)
		r.logger.Error("audit record not written", "audit_id", id, "err", err)
		return
	}
	r.written.Add(1)
}

func (r *Recorder) fail(rec *Record, err error) error {
	r.failed.Add(1)
	r.logger.Error("audit record not written", "audit_id", rec.ID, "kind", rec.Kind, "err", err)
	if r.failOpen {
		return nil
	}
	return errors.Join(ErrUnavailable, err)
}

// Counts returns how many records were written and how many failed.
func (r *Recorder) Counts() (written, failed uint64) { return r.written.Load(), r.failed.Load() }
