//go:build !linux

package loadgen

import "time"

// pacer sleeps until intended send times. Outside Linux it falls back to
// time.Sleep, whose precision is platform-dependent.
type pacer struct{}

func newPacer() pacer { return pacer{} }

// sleepUntil blocks until t.
func (pacer) sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

func (pacer) release() {}
