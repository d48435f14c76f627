package pipeline

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/httperr"
)

// statusWriter is the ResponseWriter handlers see. It records the status
// sent and the first write error; it gives every write at most stall to
// complete, so a client that stops reading cannot hold a stream (and its
// upstream) open forever; it swallows 1xx responses, which ReverseProxy
// would otherwise relay with the upstream's headers unscrubbed; and it
// keeps X-Request-Id on the final response (ReverseProxy clears the header
// map after relaying a 1xx). It passes Flush through for streams and
// Unwrap for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	rc       *http.ResponseController
	id       string
	stall    time.Duration
	status   int   // final status sent; 0 if none yet
	writeErr error // first failed write: the client is gone or stalled

	// release, if set, is called before the final status goes out; an
	// error replaces the response with 503 audit_unavailable and discards
	// what the handler writes.
	release  func(status int, h http.Header) error
	withheld bool
}

func newStatusWriter(w http.ResponseWriter, id string, stall time.Duration) *statusWriter {
	return &statusWriter{ResponseWriter: w, rc: http.NewResponseController(w), id: id, stall: stall}
}

func (w *statusWriter) WriteHeader(code int) {
	if code < 200 || w.status != 0 {
		return
	}
	if w.release != nil {
		if err := w.release(code, w.Header()); err != nil {
			w.withheld = true
			h := w.Header()
			for k := range h {
				delete(h, k)
			}
			e := errAuditUnavailable
			w.status = e.Status
			h.Set("X-Request-Id", w.id)
			h.Set("Content-Type", "application/json")
			h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
			w.ResponseWriter.WriteHeader(e.Status)
			w.ResponseWriter.Write(append(httperr.Body(e), '\n'))
			return
		}
	}
	w.status = code
	w.Header().Set("X-Request-Id", w.id)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.withheld {
		return len(b), nil
	}
	w.arm()
	n, err := w.ResponseWriter.Write(b)
	if err != nil && w.writeErr == nil {
		w.writeErr = err
	}
	return n, err
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.arm()
	if err := w.rc.Flush(); err != nil && w.writeErr == nil {
		w.writeErr = err
	}
}

// arm gives the next write stall to complete.
func (w *statusWriter) arm() {
	if w.stall > 0 {
		w.rc.SetWriteDeadline(time.Now().Add(w.stall))
	}
}

// finish arms one last window for net/http's final flush after the handler.
func (w *statusWriter) finish() { w.arm() }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
