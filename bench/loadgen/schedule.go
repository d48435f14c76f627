package loadgen

import "time"

// Schedule is a fixed-rate open-loop send schedule.
type Schedule struct {
	// Rate is the number of requests per second; it must be positive.
	Rate float64
}

// At returns the intended send time of request i as an offset from the start
// of the schedule: i/Rate seconds.
func (s Schedule) At(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / s.Rate)
}

// Count returns how many requests the schedule sends in a window of length d,
// that is the number of i with At(i) < d.
func (s Schedule) Count(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	n := int(d.Seconds() * s.Rate)
	for n > 0 && s.At(n-1) >= d {
		n--
	}
	for s.At(n) < d {
		n++
	}
	return n
}
