package loadgen

import (
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

// pacer sleeps until intended send times with microsecond precision.
//
// time.Sleep cannot be used for pacing: the runtime parks idle threads in
// epoll_wait, whose timeout has millisecond granularity, so sleeps under a
// millisecond overshoot by up to a millisecond and the generator would send
// in bursts. Instead the pacing goroutine is locked to its own thread,
// sets that thread's timer slack to 1 ns and sleeps with nanosleep(2).
type pacer struct{}

func newPacer() pacer {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	return pacer{}
}

// sleepUntil blocks until t.
func (pacer) sleepUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil) // EINTR: the loop sleeps again
	}
}

// release restores the thread's default timer slack and unlocks it.
func (pacer) release() {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0)
	runtime.UnlockOSThread()
}
