package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/wardenhq/warden/bench/loadgen"
)

// row is one target's line in the report.
type row struct {
	target
	err     error          // why the target could not be measured
	fixed   loadgen.Result // at the fixed rate
	max     float64        // highest sustained rate, with -max
	atLimit bool           // the -max search stopped at -max-limit
}

// setup describes how the benchmark ran, for the report.
type setup struct {
	options
	pinned string // how processes were placed on CPUs
}

// runBench starts the upstream and the targets, measures them and prints
// the report.
func runBench(ctx context.Context, o options) error {
	su := setup{options: o}
	var pin *pinning
	if o.pin {
		var why string
		if pin, why = newPinning(); pin != nil {
			if err := pin.pinSelf(); err != nil {
				pin, why = nil, err.Error()
			}
		}
		if pin == nil {
			logf("not pinning to CPUs: %s", why)
		}
	}
	su.pinned = "not pinned"
	if pin != nil {
		su.pinned = fmt.Sprintf("generator and upstream on CPU %s, proxy under test alone on CPU %s", pin.gen, pin.proxy)
	}
	// Two Ps even on one CPU: the pacing goroutine keeps one while it sleeps
	// in nanosleep(2) and the requests run on the other.
	if o.genProcs > 0 {
		runtime.GOMAXPROCS(o.genProcs)
	}
	su.genProcs = runtime.GOMAXPROCS(0)

	dir, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	up, err := startProc("upstream", pin, pin.genCPU(), 1, self, "upstream", "-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer up.stop()
	addr, err := up.waitAddr(10 * time.Second)
	if err != nil {
		return err
	}
	upstreamURL := "http://" + addr

	var rows []*row
	for _, name := range o.targets {
		r, stop := startTarget(ctx, name, dir, upstreamURL, self, pin, o)
		defer stop()
		if r.err == nil {
			r.err = r.check(ctx)
		}
		if r.err != nil {
			logf("%s: %v", name, r.err)
		}
		rows = append(rows, r)
	}
	crit := loadgen.Criteria{MinThroughput: 0.95, MaxP99: o.maxP99}
	measureFixed(ctx, rows, o, crit)
	if o.max {
		for _, r := range rows {
			if r.err == nil && ctx.Err() == nil {
				r.max, r.atLimit = searchMax(ctx, r, o, crit)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	report(os.Stdout, su, rows)
	var errs []error
	for _, r := range rows {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s not measured", r.name))
		}
	}
	return errors.Join(errs...)
}

// measureFixed measures the targets at the fixed rate in o.count rounds,
// interleaved so that slow drifts of the machine affect all targets alike,
// and pools each target's rounds.
func measureFixed(ctx context.Context, rows []*row, o options, crit loadgen.Criteria) {
	rounds := make([][]loadgen.Result, len(rows))
	cfg := loadgen.Config{Rate: o.rate, Warmup: o.warmup, Duration: o.duration}
	for round := range max(o.count, 1) {
		for i, r := range rows {
			if r.err != nil || ctx.Err() != nil {
				continue
			}
			logf("%s: round %d: %v RPS for %v after %v warm-up", r.name, round+1, o.rate, o.duration, o.warmup)
			res := r.measure(ctx, cfg, o.timeout)
			logResult(r.name, res, crit)
			rounds[i] = append(rounds[i], res)
		}
	}
	for i, r := range rows {
		r.fixed = loadgen.Merge(rounds[i]...)
	}
}

// startTarget starts the server for the named target, if it needs one, and
// returns its row and a function that stops the server. A failure to start
// is recorded in the row.
func startTarget(ctx context.Context, name, dir, upstreamURL, self string, pin *pinning, o options) (*row, func()) {
	r := &row{target: target{name: name, key: "bench"}}
	nop := func() {}
	switch name {
	case "direct":
		r.label, r.url = "direct (no proxy)", upstreamURL
		return r, nop
	case "floor":
		r.label = "floor: bare httputil.ReverseProxy"
		p, err := startProc("floor", pin, pin.proxyCPU(), 1, self, "floor", "-listen", "127.0.0.1:0", "-upstream", upstreamURL)
		if err != nil {
			r.err = err
			return r, nop
		}
		addr, err := p.waitAddr(10 * time.Second)
		r.url, r.err = "http://"+addr, err
		return r, p.stop
	case "warden":
		r.label = "Warden"
		w, err := startWarden(ctx, dir, o.wardenBin, upstreamURL, pin)
		if err != nil {
			r.err = err
			return r, nop
		}
		r.url, r.key = w.url, w.key
		return r, w.stop
	}
	r.err = fmt.Errorf("unknown target %q (want direct, floor or warden)", name)
	return r, nop
}

// searchMax finds the highest rate r sustains by crit.
func searchMax(ctx context.Context, r *row, o options, crit loadgen.Criteria) (float64, bool) {
	return loadgen.Search(o.rate, o.maxLimit, 0.1, func(rate float64) bool {
		if ctx.Err() != nil {
			return false
		}
		logf("%s: max search: %v RPS", r.name, rate)
		res := r.measure(ctx, loadgen.Config{Rate: rate, Warmup: o.maxDuration / 4, Duration: o.maxDuration}, o.timeout)
		logResult(r.name, res, crit)
		time.Sleep(250 * time.Millisecond) // let the target settle
		return crit.Sustained(res)
	})
}

func logResult(name string, r loadgen.Result, crit loadgen.Criteria) {
	verdict := "sustained"
	if !crit.Sustained(r) {
		verdict = "NOT sustained"
	}
	logf("%s:   %.0f/s achieved, p50 %s p99 %s max %s, %d non-2xx, %d errors, %d dropped, generator lag p99 %s: %s",
		name, r.Throughput(), ms(r.Latency.P50), ms(r.Latency.P99), ms(r.Latency.Max),
		r.BadCode, r.Errors, r.Dropped, ms(r.Lag.P99), verdict)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadbench: "+format+"\n", args...)
}
