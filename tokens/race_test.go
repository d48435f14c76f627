//go:build race

package tokens

// raceEnabled: the race detector is on (sync.Pool then drops items at
// random, so pooled memory is allocated again).
const raceEnabled = true
