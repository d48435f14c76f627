//go:build race

package inject

// raceEnabled: sync.Pool drops items at random under the race detector.
const raceEnabled = true
