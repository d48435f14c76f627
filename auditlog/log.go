package auditlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"
)

// Log is one replica's verifiable audit log: an RFC 6962 Merkle tree of
// records in the C2SP tlog-tiles layout under a directory, with signed
// C2SP checkpoints, written by Tessera's POSIX driver.
//
// Appends go through a group commit: one goroutine keeps at most one batch
// in flight and hands Tessera everything that queued during the previous
// write, so the wait for durability is one batch write however the
// requests arrive (a timer-driven batch would diverge once its age is
// below the write time).
type Log struct {
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	origin   string
	dir      string
	log      *slog.Logger

	mu      sync.Mutex
	queue   []*Pending
	spare   []*Pending
	kick    chan struct{}
	closed  bool
	done    chan struct{}
	pending atomic.Int64 // appended, not yet resolved

	maxInFlight int64
	failure     atomic.Pointer[error] // the last batch's error, nil when it succeeded
}

// LogOptions configure Open.
type LogOptions struct {
	Dir         string      // the log's directory (created if missing)
	Signer      note.Signer // the checkpoint signer; its name is the log's origin
	MaxInFlight int         // appends waiting at once before Append refuses (default 8192)
	// CheckpointInterval is how often a new checkpoint is signed (default
	// 1 s; at least 100 ms). Proofs cover records once a checkpoint does.
	CheckpointInterval time.Duration
	Logger             *slog.Logger
}

// Errors from Append.
var (
	ErrClosed     = errors.New("audit log closed")
	ErrOverloaded = errors.New("audit log overloaded: too many records waiting")
)

// Open opens (creating if new) the log in opts.Dir.
func Open(ctx context.Context, opts LogOptions) (*Log, error) {
	if opts.Signer == nil {
		return nil, errors.New("audit log: no checkpoint signer")
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 8192
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	routeKlog(opts.Logger)
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: opts.Dir})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	// The appender's goroutines live until Close; they must not end with
	// the caller's ctx, or pending records would never resolve.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ao := tessera.NewAppendOptions().
		WithCheckpointSigner(opts.Signer).
		// Group commit decides when a batch goes; Tessera's own timer only
		// has to close the batch just handed over.
		WithBatching(1024, 250*time.Microsecond).
		WithCheckpointInterval(opts.CheckpointInterval).
		// Each batch rewrites the partial entry bundle; collect partials of
		// full bundles often, or they pile up (~20 MB/s at 1000 RPS).
		WithGarbageCollectionInterval(time.Second)
	a, shutdown, reader, err := tessera.NewAppender(lctx, driver, ao)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	l := &Log{
		add: a.Add, reader: reader, shutdown: shutdown, cancel: cancel,
		origin: opts.Signer.Name(), dir: opts.Dir, log: opts.Logger,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
		maxInFlight: int64(opts.MaxInFlight),
	}
	go l.run(lctx)
	return l, nil
}

var klogOnce sync.Once

// routeKlog sends Tessera's klog output to slog, once per process, its
// informational lines at debug level (they narrate routine work).
func routeKlog(l *slog.Logger) {
	klogOnce.Do(func() {
		klog.SetSlogLogger(slog.New(quietInfo{l.Handler()}).With("component", "tessera"))
	})
}

// quietInfo lowers info records to debug.
type quietInfo struct{ slog.Handler }

func (q quietInfo) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return q.Handler.Enabled(ctx, l)
}

func (q quietInfo) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietInfo) WithAttrs(a []slog.Attr) slog.Handler { return quietInfo{q.Handler.WithAttrs(a)} }
func (q quietInfo) WithGroup(n string) slog.Handler      { return quietInfo{q.Handler.WithGroup(n)} }

// Origin is the log's origin: its checkpoints' first line.
func (l *Log) Origin() string { return l.origin }

// Dir is the log's directory.
func (l *Log) Dir() string { return l.dir }

// Reader reads the log's checkpoint, tiles and entry bundles.
func (l *Log) Reader() tessera.LogReader { return l.reader }

// Pending is a record on its way into the log.
type Pending struct {
	entry []byte
	done  chan struct{}
	index uint64
	err   error
}

// Wait blocks until the record is durably in the log (or ctx ends) and
// returns its leaf index.
func (p *Pending) Wait(ctx context.Context) (uint64, error) {
	select {
	case <-p.done:
		return p.index, p.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Done is closed once the record is resolved.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Append queues one log entry (a marshalled Record). It refuses at once
// when the log is closed or too many records are waiting.
func (l *Log) Append(entry []byte) *Pending {
	p := &Pending{entry: entry, done: make(chan struct{})}
	if l.pending.Add(1) > l.maxInFlight {
		l.pending.Add(-1)
		p.err = ErrOverloaded
		close(p.done)
		return p
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.pending.Add(-1)
		p.err = ErrClosed
		close(p.done)
		return p
	}
	l.queue = append(l.queue, p)
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return p
}

// Closed is closed once the log has stopped (Close).
func (l *Log) Closed() <-chan struct{} { return l.done }

// Failed reports whether the log's last batch failed (as opposed to its
// being merely overloaded).
func (l *Log) Failed() bool { return l.failure.Load() != nil }

// Pending is how many records are queued or being written.
func (l *Log) Pending() int64 { return l.pending.Load() }

// Healthy returns nil when the log accepts records: its last batch was
// written and it is not overloaded.
func (l *Log) Healthy() error {
	if e := l.failure.Load(); e != nil {
		return *e
	}
	if l.pending.Load() >= l.maxInFlight {
		return ErrOverloaded
	}
	return nil
}

// run is the group commit: it hands Tessera each batch that queued while
// the previous one was being written, and resolves it.
func (l *Log) run(ctx context.Context) {
	defer close(l.done)
	futs := make([]tessera.IndexFuture, 0, 1024)
	for {
		l.mu.Lock()
		batch := l.queue
		l.queue, l.spare = l.spare[:0], nil
		closed := l.closed
		l.mu.Unlock()
		if len(batch) == 0 {
			if closed {
				return
			}
			<-l.kick
			continue
		}
		futs = futs[:0]
		for _, p := range batch {
			futs = append(futs, l.add(ctx, tessera.NewEntry(p.entry)))
		}
		var failed error
		for i, p := range batch {
			idx, err := futs[i]()
			if err != nil {
				failed = err
				p.err = fmt.Errorf("audit log: %w", err)
			}
			p.index = idx.Index
			p.entry = nil
		}
		// The log's health is settled before anyone waiting hears of their
		// record, so their next request sees it.
		if failed != nil {
			l.failure.Store(&failed)
			l.log.Error("audit log: a batch could not be written", "records", len(batch), "err", failed)
		} else if l.failure.Load() != nil {
			l.failure.Store(nil)
			l.log.Info("audit log: writing again")
		}
		l.pending.Add(-int64(len(batch)))
		for i, p := range batch {
			close(p.done)
			batch[i] = nil
		}
		l.mu.Lock()
		l.spare = batch[:0]
		l.mu.Unlock()
	}
}

// Close stops accepting records, resolves those queued, waits until a
// signed checkpoint covers every record (at most one checkpoint interval,
// bounded by ctx) and stops the log's goroutines.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if already {
		return nil
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
	select {
	case <-l.done:
	case <-ctx.Done():
	}
	err := l.shutdown(ctx)
	if err == nil {
		// Shutdown only waits for this process's own records; after a
		// crash the tree can be ahead of the last checkpoint signed.
		err = l.awaitCheckpoint(ctx)
	}
	l.cancel()
	return err
}

// awaitCheckpoint waits until a published checkpoint covers the whole
// integrated tree.
func (l *Log) awaitCheckpoint(ctx context.Context) error {
	for {
		size, err := l.reader.IntegratedSize(ctx)
		if err != nil {
			return err
		}
		if cp, err := l.reader.ReadCheckpoint(ctx); err == nil {
			if n, err := CheckpointSize(cp); err == nil && n >= size {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
