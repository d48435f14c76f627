package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/wardenhq/warden/internal/flock"
)

// Log is one replica's verifiable audit log: an RFC 6962 Merkle tree of
// records in the C2SP tlog-tiles layout under a directory, with signed
// C2SP checkpoints, written by Tessera's POSIX driver.
//
// A record is durable, with its leaf index, once it is in the log's
// write-ahead log (wal.go): a group commit writes everything that queued
// while the previous write was on disk, in one write and one fdatasync.
// An integrator then hands the records to Tessera in large batches, in
// index order, and checks that each lands at the index it was given.
// After a crash, Open integrates what the write-ahead log holds beyond the
// tree. One process writes a log at a time (the writer lock); others hand
// their records over through the spool directory (Spool).
type Log struct {
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	origin   string
	dir      string
	spool    string
	log      *slog.Logger
	lock     *os.File

	walMu sync.Mutex // the write-ahead log's segments (run writes, integrate removes)
	wal   *wal
	next  uint64        // the index the next record gets (run only, after Open)
	size  atomic.Uint64 // records durable: next, for others to read

	mu      sync.Mutex
	queue   []*Pending
	spare   []*Pending
	kick    chan struct{}
	closed  bool
	runDone chan struct{}
	pending atomic.Int64 // appended, not yet durable

	imu       sync.Mutex
	backlog   []walEntry // durable, not yet integrated, in index order
	ikick     chan struct{}
	intDone   chan struct{}
	stopped   chan struct{} // closed by Close once everything has stopped
	stopOnce  sync.Once
	maxBehind int64        // bytes of records durable but not integrated before Append refuses
	behind    atomic.Int64 // bytes of records durable but not integrated

	maxInFlight int64
	walFailure  atomic.Pointer[error] // the last write-ahead write failed
	fault       atomic.Pointer[error] // InjectFault
	intFailure  atomic.Pointer[error] // the last integration failed
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

// Errors from Open and Append.
var (
	ErrClosed     = errors.New("audit log closed")
	ErrOverloaded = errors.New("audit log overloaded: too many records waiting")
	ErrLocked     = errors.New("audit log: another process is writing this log (hand records over with Spool)")
)

// WALDir and SpoolDir are where a log keeps its write-ahead log (and
// writer lock) and receives records from other processes: beside it.
func WALDir(dir string) string   { return dir + ".wal" }
func SpoolDir(dir string) string { return dir + ".spool" }

// integrateBatch bounds the records handed to Tessera at once. Tessera
// closes a batch when it is integrateAge old (its size limit is never
// reached), so each round of at most integrateBatch records, added in a
// few milliseconds, is one batch. This matters: Tessera's queue does not
// keep two batches in order if the first one's flush stalls for longer
// than the second one's age, and a record sequenced out of order would
// contradict the index its response was released with. integrate checks
// every index, so such a reordering would stop integration (fail closed),
// never pass silently.
const (
	integrateBatch = 4096
	integrateAge   = 50 * time.Millisecond
)

// Open opens (creating if new) the log in opts.Dir, taking its writer
// lock (ErrLocked if another process holds it), and integrates whatever
// its write-ahead log holds beyond the tree (after a crash).
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
	walDir := WALDir(opts.Dir)
	for _, d := range []string{opts.Dir, walDir, SpoolDir(opts.Dir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
	}
	lock, err := flock.Try(filepath.Join(walDir, "writer.lock"))
	if err != nil {
		if errors.Is(err, flock.ErrLocked) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("audit log: %w", err)
	}
	l, err := open(ctx, opts, lock)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return l, nil
}

func open(ctx context.Context, opts LogOptions, lock *os.File) (*Log, error) {
	driver, err := posix.New(ctx, posix.Config{Path: opts.Dir})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	// The appender's goroutines live until Close; they must not end with
	// the caller's ctx, or pending records would never resolve.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ao := tessera.NewAppendOptions().
		WithCheckpointSigner(opts.Signer).
		WithBatching(integrateBatch+1, integrateAge).
		WithCheckpointInterval(opts.CheckpointInterval).
		// Collect partial bundles of full ones often, or they pile up.
		WithGarbageCollectionInterval(time.Second)
	a, shutdown, reader, err := tessera.NewAppender(lctx, driver, ao)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	l := &Log{
		add: a.Add, reader: reader, shutdown: shutdown, cancel: cancel,
		origin: opts.Signer.Name(), dir: opts.Dir, spool: SpoolDir(opts.Dir), log: opts.Logger, lock: lock,
		kick: make(chan struct{}, 1), runDone: make(chan struct{}),
		ikick: make(chan struct{}, 1), intDone: make(chan struct{}), stopped: make(chan struct{}),
		maxInFlight: int64(opts.MaxInFlight), maxBehind: 256 << 20,
	}
	if err := l.recover(lctx); err != nil {
		shutdown(context.Background())
		cancel()
		return nil, err
	}
	go l.run()
	go l.integrator(lctx)
	go l.drainSpool()
	return l, nil
}

// recover integrates the records the write-ahead log holds beyond the
// tree, at the indexes they were given, after checking that those it holds
// within the tree are the tree's; then it starts a new write-ahead log.
func (l *Log) recover(ctx context.Context) error {
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	walDir := WALDir(l.dir)
	held, err := readWAL(walDir)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	var beyond []walEntry
	for _, e := range held {
		if e.index >= size {
			if want := size + uint64(len(beyond)); e.index != want {
				return fmt.Errorf("audit log: the write-ahead log resumes at record %d but the log holds %d records", e.index, want)
			}
			beyond = append(beyond, e)
			continue
		}
		got, err := l.entryAt(ctx, e.index, size)
		if err != nil {
			return fmt.Errorf("audit log: reading record %d to check the write-ahead log: %w", e.index, err)
		}
		if !bytes.Equal(got, e.entry) {
			return fmt.Errorf("audit log: record %d in the log is not the one the write-ahead log gave that index: another writer appended to this log", e.index)
		}
	}
	if len(beyond) > 0 {
		l.log.Warn("audit log: integrating records written before a crash", "records", len(beyond), "from", size)
		for len(beyond) > 0 {
			n := min(len(beyond), integrateBatch)
			if err := l.integrate(ctx, beyond[:n]); err != nil {
				return fmt.Errorf("audit log: integrating the write-ahead log: %w", err)
			}
			beyond = beyond[n:]
		}
	}
	if l.next, err = l.reader.IntegratedSize(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	l.size.Store(l.next)
	l.wal, err = startWAL(walDir, l.next)
	if err != nil {
		return fmt.Errorf("audit log: write-ahead log: %w", err)
	}
	return nil
}

// entryAt reads record index from a tree of the given size.
func (l *Log) entryAt(ctx context.Context, index, size uint64) ([]byte, error) {
	bundle := index / bundleWidth
	var p uint8
	if end := min(size, (bundle+1)*bundleWidth); end-bundle*bundleWidth < bundleWidth {
		p = uint8(end - bundle*bundleWidth)
	}
	raw, err := l.reader.ReadEntryBundle(ctx, bundle, p)
	if err != nil {
		return nil, err
	}
	var eb api.EntryBundle
	if err := eb.UnmarshalText(raw); err != nil {
		return nil, err
	}
	i := index - bundle*bundleWidth
	if i >= uint64(len(eb.Entries)) {
		return nil, fmt.Errorf("bundle %d holds %d entries", bundle, len(eb.Entries))
	}
	return eb.Entries[i], nil
}

// errMisplaced: a record landed at another index than it was given; the
// log must not take more records from this process.
var errMisplaced = errors.New("a record was integrated at another index than it was given")

// integrate hands records to Tessera, in order, and checks each lands at
// its index. A batch that failed whole can be retried; one that failed in
// part and then went on (a later record integrated after a failed one)
// cannot, and is errMisplaced.
func (l *Log) integrate(ctx context.Context, batch []walEntry) error {
	futs := make([]tessera.IndexFuture, len(batch))
	for i, e := range batch {
		futs[i] = l.add(ctx, tessera.NewEntry(e.entry))
	}
	failedAt := -1
	var first error
	for i, f := range futs {
		idx, err := f()
		switch {
		case err != nil:
			if failedAt < 0 {
				failedAt, first = i, err
			}
		case failedAt >= 0 || idx.Index != batch[i].index:
			return fmt.Errorf("%w (record %d at %d)", errMisplaced, batch[i].index, idx.Index)
		}
	}
	if failedAt >= 0 {
		return &partialError{done: failedAt, err: first}
	}
	return nil
}

// partialError: the first done records of a batch were integrated, the
// rest failed and may be retried.
type partialError struct {
	done int
	err  error
}

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }

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

// Wait blocks until the record is durable (or ctx ends) and returns its
// leaf index.
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
	if len(entry) == 0 || len(entry) > maxEntryBytes {
		p.err = ErrTooLarge
		close(p.done)
		return p
	}
	if l.behind.Load() >= l.maxBehind {
		// Integration is failing or far behind: holding more in memory
		// would only grow without bound.
		p.err = ErrOverloaded
		close(p.done)
		return p
	}
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

// InjectFault makes every write of the log fail with err, as a failing
// disk would, until it is called with nil. It is for tests of what the
// gateway does when its log fails: a full disk cannot be had on demand.
func (l *Log) InjectFault(err error) {
	if err == nil {
		l.fault.Store(nil)
		return
	}
	l.fault.Store(&err)
}

// Closed is closed once the log has stopped (Close).
func (l *Log) Closed() <-chan struct{} { return l.stopped }

// Failed reports whether the log's last write failed (as opposed to its
// being merely overloaded, or behind with integration).
func (l *Log) Failed() bool { return l.walFailure.Load() != nil }

// Size is how many records the log holds durably: those integrated into
// the Merkle tree and those about to be (a checkpoint covers them within
// an integration and a checkpoint interval).
func (l *Log) Size() uint64 { return l.size.Load() }

// Pending is how many records are queued or being written.
func (l *Log) Pending() int64 { return l.pending.Load() }

// Healthy returns nil when the log accepts records: its last write and
// its last integration succeeded, and it is not overloaded.
func (l *Log) Healthy() error {
	if e := l.walFailure.Load(); e != nil {
		return *e
	}
	if e := l.intFailure.Load(); e != nil {
		return *e
	}
	if l.pending.Load() >= l.maxInFlight {
		return ErrOverloaded
	}
	if l.behind.Load() >= l.maxBehind {
		return ErrOverloaded
	}
	return nil
}

// run is the group commit: it writes each batch that queued while the
// previous one was being written to the write-ahead log, resolves it, and
// passes it on for integration.
func (l *Log) run() {
	defer close(l.runDone)
	var entries [][]byte
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
		entries = entries[:0]
		for _, p := range batch {
			entries = append(entries, p.entry)
		}
		first := l.next
		var err error
		if f := l.fault.Load(); f != nil {
			err = *f
		} else {
			l.walMu.Lock()
			err = l.wal.write(first, entries)
			l.walMu.Unlock()
		}
		// The log's health is settled before anyone waiting hears of their
		// record, so their next request sees it.
		if err != nil {
			err = fmt.Errorf("audit log: write-ahead log: %w", err)
			l.walFailure.Store(&err)
			l.log.Error("audit log: records could not be written", "records", len(batch), "err", err)
		} else {
			if l.walFailure.Load() != nil {
				l.walFailure.Store(nil)
				l.log.Info("audit log: writing again")
			}
			l.next += uint64(len(batch))
			l.size.Store(l.next)
			var n int64
			l.imu.Lock()
			for i, p := range batch {
				l.backlog = append(l.backlog, walEntry{index: first + uint64(i), entry: p.entry})
				n += int64(len(p.entry))
			}
			l.imu.Unlock()
			l.behind.Add(n)
			select {
			case l.ikick <- struct{}{}:
			default:
			}
		}
		l.pending.Add(-int64(len(batch)))
		for i, p := range batch {
			p.err, p.index, p.entry = err, first+uint64(i), nil
			close(p.done)
			batch[i] = nil
		}
		l.mu.Lock()
		l.spare = batch[:0]
		l.mu.Unlock()
	}
}

// integrator hands durable records to Tessera in index order, in batches
// of what accumulated while the previous batch was integrated. A failed
// batch is retried every second, from the first record not integrated; a
// misplaced record stops integration for good (the log is then unhealthy;
// restarting re-checks and recovers it from the write-ahead log).
func (l *Log) integrator(ctx context.Context) {
	defer close(l.intDone)
	for {
		l.imu.Lock()
		empty := len(l.backlog) == 0
		l.imu.Unlock()
		if empty {
			select {
			case <-l.ikick:
				continue
			case <-l.runDone:
				l.imu.Lock()
				empty := len(l.backlog) == 0
				l.imu.Unlock()
				if empty {
					return
				}
				continue
			}
		}
		// A round that failed may have been integrated in part after all
		// (Tessera can fail after its state is written): what the tree
		// holds is dropped from the backlog once checked to be ours.
		err := l.reconcile(ctx)
		if err == nil {
			l.imu.Lock()
			batch := l.backlog[:min(len(l.backlog), integrateBatch)]
			l.imu.Unlock()
			if len(batch) == 0 {
				continue
			}
			err = l.integrate(ctx, batch)
			done := len(batch)
			var pe *partialError
			switch {
			case errors.As(err, &pe):
				done = pe.done
			case err != nil:
				done = 0 // misplaced: keep everything for the next start to check
			}
			l.drop(batch[:done])
		}
		if err == nil {
			if l.intFailure.Load() != nil {
				l.intFailure.Store(nil)
				l.log.Info("audit log: integrating again")
			}
			continue
		}
		err = fmt.Errorf("audit log: integrating records into the Merkle log: %w", err)
		l.intFailure.Store(&err)
		l.log.Error("audit log: records are durable but could not be integrated", "err", err)
		if errors.Is(err, errMisplaced) {
			return // the write-ahead log keeps them; the next start checks and recovers
		}
		select {
		case <-time.After(time.Second):
		case <-l.stopped:
			return
		}
	}
}

// reconcile drops from the backlog the records the tree already holds,
// after checking that they are the ones given those indexes.
func (l *Log) reconcile(ctx context.Context) error {
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return err
	}
	l.imu.Lock()
	var held []walEntry
	for _, e := range l.backlog {
		if e.index >= size {
			break
		}
		held = append(held, e)
	}
	first := uint64(0)
	if len(l.backlog) > 0 {
		first = l.backlog[0].index
	}
	pending := len(l.backlog)
	l.imu.Unlock()
	if pending > 0 && first > size {
		return fmt.Errorf("%w: the tree holds %d records, the next to integrate is %d", errMisplaced, size, first)
	}
	for _, e := range held {
		got, err := l.entryAt(ctx, e.index, size)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, e.entry) {
			return fmt.Errorf("%w (record %d)", errMisplaced, e.index)
		}
	}
	l.drop(held)
	return nil
}

// drop removes integrated records (a prefix of the backlog) and the
// write-ahead segments that held only integrated records.
func (l *Log) drop(done []walEntry) {
	if len(done) == 0 {
		return
	}
	var n int64
	for _, e := range done {
		n += int64(len(e.entry))
	}
	l.imu.Lock()
	l.backlog = l.backlog[len(done):]
	if len(l.backlog) == 0 {
		l.backlog = nil // let the array go
	}
	l.imu.Unlock()
	l.behind.Add(-n)
	l.walMu.Lock()
	l.wal.remove(done[len(done)-1].index + 1)
	l.walMu.Unlock()
}

// drainSpool appends, once a second, the records other processes left in
// the spool directory, oldest first, and removes each once it is durable.
func (l *Log) drainSpool() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.runDone:
			return
		case <-t.C:
		}
		names, err := os.ReadDir(l.spool)
		if err != nil {
			continue
		}
		files := make([]string, 0, len(names))
		for _, n := range names {
			if filepath.Ext(n.Name()) == ".json" {
				files = append(files, n.Name())
			}
		}
		sort.Strings(files)
		for _, name := range files {
			path := filepath.Join(l.spool, name)
			b, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			if err := CheckEntry(b); err != nil {
				l.log.Error("audit log: a spooled file is not a record; set aside", "file", path, "err", err)
				os.Rename(path, path+".bad")
				continue
			}
			if _, err := l.Append(b).Wait(context.Background()); err != nil {
				if errors.Is(err, ErrTooLarge) {
					l.log.Error("audit log: a spooled record is too large; set aside", "file", path)
					os.Rename(path, path+".bad")
					continue
				}
				break // the log will say why; try again later
			}
			// Appended: it must not be appended again.
			if err := os.Remove(path); err != nil {
				l.log.Error("audit log: cannot remove a spooled record once appended; spool draining stops", "file", path, "err", err)
				return
			}
			syncDir(l.spool)
		}
	}
}

// Spool hands a record to the process that writes the log in dir (when
// Open says ErrLocked): it is written, durably, to the log's spool
// directory, which that process appends from within a second.
func Spool(dir, id string, entry []byte) error {
	if err := CheckEntry(entry); err != nil {
		return err
	}
	spool := SpoolDir(dir)
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(spool, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(entry)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(spool, id+".json"))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return syncDir(spool)
}

// Close stops accepting records, makes those queued durable, integrates
// them, waits until a signed checkpoint covers the whole tree (at most one
// checkpoint interval, bounded by ctx), stops the log's goroutines and
// releases the writer lock.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if already {
		<-l.stopped
		return nil
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
	var err error
	for _, ch := range []chan struct{}{l.runDone, l.intDone} {
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if e := l.intFailure.Load(); e != nil && err == nil {
		err = *e // records stay in the write-ahead log for the next start
	}
	if serr := l.shutdown(ctx); serr != nil && err == nil {
		err = serr
	}
	if err == nil {
		// Shutdown only waits for what this process added through
		// Tessera; after a crash the tree can be ahead of the last
		// checkpoint signed.
		err = l.awaitCheckpoint(ctx)
	}
	l.stopOnce.Do(func() { close(l.stopped) })
	l.cancel()
	select {
	case <-l.runDone: // nobody writes any more
		l.wal.close()
	default: // a write hangs on the disk; the process exit closes the file
	}
	l.lock.Close()
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
