package upstream

import (
	"io"
	"time"
)

// idleBody ends an upstream response that stays silent for longer than its
// limit: every read that returns data re-arms a timer; if it fires, expire
// cancels the exchange, which makes the pending read fail.
type idleBody struct {
	io.ReadCloser
	limit time.Duration
	timer *time.Timer
}

func newIdleBody(rc io.ReadCloser, limit time.Duration, expire func()) *idleBody {
	return &idleBody{ReadCloser: rc, limit: limit, timer: time.AfterFunc(limit, expire)}
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.limit)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}
