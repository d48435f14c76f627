//go:build race

package ner

// raceEnabled: sync.Pool drops items at random under the race detector.
const raceEnabled = true
