// Package loadgen is an open-loop HTTP load generator for Warden's benchmarks.
//
// Requests are scheduled at fixed intended send times (t0 + i/rate) and each
// request's latency is measured from its intended send time, not from when it
// was actually sent. A slow server therefore cannot slow the generator down
// and hide its own queueing delay ("coordinated omission"): any time a
// request spends waiting — in the generator, the kernel or the server — is
// counted in its latency.
package loadgen
