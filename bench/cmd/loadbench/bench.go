package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
	ticks   uint64         // CPU time of the process under test over the fixed-rate rounds, in clock ticks
	sent    int            // requests of those rounds, warm-up included
	peakRSS int64          // the process's peak resident set, in bytes
}

// cpuPerRequest is the CPU time the process under test spent per request
// at the fixed rate (0 if there is no process or /proc).
func (r *row) cpuPerRequest() time.Duration {
	if r.pid == 0 || r.sent == 0 {
		return 0
	}
	return time.Duration(r.ticks) * (time.Second / clockTicks) / time.Duration(r.sent)
}

// setup describes how the benchmark ran, for the report.
type setup struct {
	options
	pinned string // how processes were placed on CPUs
	// idleLoad is the CPU share other processes used before the start;
	// runLoad the highest share they used during a kept fixed-rate round.
	idleLoad, runLoad float64
	repeated          int // measurements repeated because of other load
}

// bench is the state of one benchmark run.
type bench struct {
	setup
	pin   *pinning
	meter *meter
	certs *certs // nil: plain HTTP
	crit  loadgen.Criteria
}

// runBench starts the upstream and the targets, measures them and prints
// the report.
func runBench(ctx context.Context, o options) error {
	b := &bench{setup: setup{options: o}, meter: &meter{}}
	b.meter.add(os.Getpid())
	b.crit = loadgen.Criteria{MinThroughput: 0.95, MaxP99: o.maxP99}
	s0 := b.meter.sample()
	time.Sleep(time.Second)
	if b.idleLoad = foreign(s0, b.meter.sample()); b.idleLoad > busyThreshold {
		logf("WARNING: other processes use %.0f%% of the CPU; measurements they disturb are repeated", 100*b.idleLoad)
	}
	b.pin = setupPinning(o.pin)
	b.pinned = "not pinned"
	if b.pin != nil {
		b.pinned = fmt.Sprintf("generator and upstream on CPU %s, proxy under test alone on CPU %s", b.pin.gen, b.pin.proxy)
	}
	// Two Ps even on one CPU: the pacing goroutine keeps one while it sleeps
	// in nanosleep(2) and the requests run on the other.
	if o.genProcs > 0 {
		runtime.GOMAXPROCS(o.genProcs)
	}
	b.genProcs = runtime.GOMAXPROCS(0)

	dir, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if o.tls {
		if b.certs, err = newCerts(dir); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	up, err := b.startServer("upstream", b.pin.genCPU(), self, "upstream", "-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer up.stop()
	upstreamURL := "http://" + up.addr

	var rows []*row
	for _, name := range o.targets {
		r, p := b.startTarget(ctx, name, dir, upstreamURL, self)
		if p != nil {
			defer p.stop()
		}
		if r.err == nil {
			r.err = r.check(ctx)
		}
		if r.err != nil {
			logf("%s: %v", name, r.err)
		}
		rows = append(rows, r)
	}
	b.measureFixed(ctx, rows)
	if o.max {
		for _, r := range rows {
			if r.err == nil && ctx.Err() == nil {
				r.max, r.atLimit = b.searchMax(ctx, r)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	report(os.Stdout, b.setup, rows)
	var errs []error
	for _, r := range rows {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s not measured", r.name))
		}
	}
	return errors.Join(errs...)
}

// setupPinning pins the running process to the generator's CPU and returns
// the pinning for the other processes, or nil (with a note on stderr) if
// pinning is disabled or impossible.
func setupPinning(enabled bool) *pinning {
	if !enabled {
		return nil
	}
	pin, why := newPinning()
	if pin != nil {
		err := pin.pinSelf()
		if err == nil {
			return pin
		}
		why = err.Error()
	}
	logf("not pinning to CPUs: %s", why)
	return nil
}

// server is a started child server and its address.
type server struct {
	*proc
	addr string
}

// startServer starts a loadbench subcommand as a server with GOMAXPROCS=1
// on cpu and waits for its address.
func (b *bench) startServer(name, cpu string, argv ...string) (*server, error) {
	p, err := startProc(name, b.pin, cpu, 1, argv...)
	if err != nil {
		return nil, err
	}
	b.meter.add(p.cmd.Process.Pid)
	addr, err := p.waitAddr(10 * time.Second)
	if err != nil {
		p.stop()
		return nil, err
	}
	return &server{proc: p, addr: addr}, nil
}

// startTarget starts the server for the named target, if it needs one, and
// returns its row and the server's process, if any. A failure to start is
// recorded in the row.
func (b *bench) startTarget(ctx context.Context, name, dir, upstreamURL, self string) (*row, *proc) {
	base, stream := strings.CutSuffix(name, "-stream")
	r := &row{target: target{name: name, key: "bench", stream: stream}}
	scheme := "http://"
	if b.certs != nil {
		scheme, r.tls = "https://", b.certs.clientConfig()
	}
	streamed := ""
	if stream {
		streamed = ", streamed"
	}
	switch {
	case base == "direct":
		r.label, r.url, r.tls = "direct (no proxy, plain HTTP)"+streamed, upstreamURL, nil
	case base == "floor":
		r.label = "floor: bare httputil.ReverseProxy" + streamed
		argv := []string{self, "floor", "-listen", "127.0.0.1:0", "-upstream", upstreamURL}
		if b.certs != nil {
			argv = append(argv, "-tls-cert", b.certs.certFile, "-tls-key", b.certs.keyFile)
		}
		s, err := b.startServer("floor", b.pin.proxyCPU(), argv...)
		if err != nil {
			r.err = err
			return r, nil
		}
		r.url, r.pid = scheme+s.addr, s.cmd.Process.Pid
		return r, s.proc
	default:
		v, ok := variants[name]
		if !ok {
			r.err = fmt.Errorf("unknown target %q (want one of %s)", name, strings.Join(targetNames(), ", "))
			return r, nil
		}
		r.label, r.stream = v.label, v.stream
		w, err := startWarden(ctx, filepath.Join(dir, name), b.wardenBin, upstreamURL, v, b.certs, b.pin)
		if err != nil {
			r.err = err
			return r, nil
		}
		b.meter.add(w.cmd.Process.Pid)
		r.url, r.key, r.pid = w.url, w.key, w.cmd.Process.Pid
		return r, w.proc
	}
	return r, nil
}

// targetNames are the targets -targets accepts.
func targetNames() []string {
	names := []string{"direct", "direct-stream", "floor", "floor-stream"}
	return append(names, slices.Sorted(maps.Keys(variants))...)
}

// measureFixed measures the targets at the fixed rate in o.count rounds,
// interleaved so that slow drifts of the machine affect all targets alike,
// and pools each target's rounds.
func (b *bench) measureFixed(ctx context.Context, rows []*row) {
	rounds := make([][]loadgen.Result, len(rows))
	cfg := loadgen.Config{Rate: b.rate, Warmup: b.warmup, Duration: b.duration}
	for round := range max(b.count, 1) {
		for i, r := range rows {
			if r.err != nil || ctx.Err() != nil {
				continue
			}
			logf("%s: round %d: %v RPS for %v after %v warm-up", r.name, round+1, b.rate, b.duration, b.warmup)
			t0 := procTicks(r.pid)
			res, load := b.measure(ctx, r, cfg)
			r.ticks += procTicks(r.pid) - t0
			r.sent += loadgen.Schedule{Rate: b.rate}.Count(b.warmup + b.duration)
			r.peakRSS = max(r.peakRSS, peakRSS(r.pid))
			rounds[i] = append(rounds[i], res)
			b.runLoad = max(b.runLoad, load)
		}
	}
	for i, r := range rows {
		r.fixed = loadgen.Merge(rounds[i]...)
	}
}

// maxRetries is how often a measurement disturbed by other processes is
// repeated before it is kept anyway.
const maxRetries = 3

// measure runs cfg against r, repeating the run while other processes used
// more than busyThreshold of the CPU during it. It returns the last run and
// the CPU share other processes used during it.
func (b *bench) measure(ctx context.Context, r *row, cfg loadgen.Config) (loadgen.Result, float64) {
	for try := 0; ; try++ {
		s0 := b.meter.sample()
		res := r.measure(ctx, cfg, b.timeout)
		load := foreign(s0, b.meter.sample())
		logResult(r.name, res, b.crit, load)
		if load <= busyThreshold || try == maxRetries || ctx.Err() != nil {
			return res, load
		}
		b.repeated++
		logf("%s: other processes used %.0f%% of the CPU: repeating", r.name, 100*load)
		time.Sleep(2 * time.Second)
	}
}

// searchMax finds the highest rate r sustains by b.crit.
func (b *bench) searchMax(ctx context.Context, r *row) (float64, bool) {
	return loadgen.Search(b.rate, b.maxLimit, 0.1, func(rate float64) bool {
		if ctx.Err() != nil {
			return false
		}
		logf("%s: max search: %v RPS", r.name, rate)
		cfg := loadgen.Config{
			Rate:     rate,
			Warmup:   b.maxDuration / 4,
			Duration: b.maxDuration,
			// Twice what the rate needs at the p99 bound: enough to judge
			// the step, few enough that an overloaded step does not leave
			// thousands of connections behind to disturb the next one.
			MaxInFlight: 64 + int(2*rate*b.crit.MaxP99.Seconds()),
		}
		res, _ := b.measure(ctx, r, cfg)
		ok := b.crit.Sustained(res)
		settle := 250 * time.Millisecond
		if !ok {
			settle = 2 * time.Second
		}
		time.Sleep(settle)
		return ok
	})
}

func logResult(name string, r loadgen.Result, crit loadgen.Criteria, load float64) {
	verdict := "sustained"
	if !crit.Sustained(r) {
		verdict = "NOT sustained"
	}
	logf("%s:   %.0f/s achieved, p50 %s p99 %s max %s, generator lag p99 %s, other load %.0f%%: %s",
		name, r.Throughput(), ms(r.Latency.P50), ms(r.Latency.P99), ms(r.Latency.Max), ms(r.Lag.P99), 100*load, verdict)
	if n := r.Failed(); n > 0 {
		logf("%s:   %d failed: non-2xx %v, %d errors (first: %v), %d dropped", name, n, r.Codes, r.Errors, r.FirstErr, r.Dropped)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadbench: "+format+"\n", args...)
}
