// Command loadbench measures the latency Warden adds to inference requests.
//
// It starts a minimal OpenAI-compatible upstream, a bare
// httputil.ReverseProxy (the floor any Go gateway pays) and Warden, each as
// its own process, the proxies with GOMAXPROCS=1 and pinned to their own CPU.
// It then drives each target open-loop at a fixed rate, measuring every
// request's latency from its intended send time, and prints a markdown table
// of the latencies, the latency each proxy adds over calling the upstream
// directly and, with -max, the highest rate each sustains.
//
// Usage, from the repository root:
//
//	go run ./bench/cmd/loadbench [-rate 1000] [-duration 5s] [-targets direct,floor,warden-full] [-max] [-short|-long] [-tls=false]
//
// The subcommands "upstream" and "floor" run the upstream and the floor
// proxy; the benchmark starts them itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

// options are the benchmark's command-line flags.
type options struct {
	rate        float64
	duration    time.Duration
	warmup      time.Duration
	count       int
	targets     []string
	max         bool
	maxLimit    float64
	maxDuration time.Duration
	maxP99      time.Duration
	timeout     time.Duration
	pin         bool
	genProcs    int
	wardenBin   string
	keep        bool
	tls         bool
}

func main() {
	var err error
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		err = runSubcommand(os.Args[1], os.Args[2:])
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		err = runBench(ctx, parseFlags(os.Args[1:]))
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// runSubcommand runs one of the servers the benchmark starts.
func runSubcommand(name string, args []string) error {
	switch name {
	case "upstream":
		return runUpstream(args)
	case "floor":
		return runFloor(args)
	}
	return fmt.Errorf("unknown subcommand %q", name)
}

// parseFlags parses the benchmark's flags; -short shortens every duration
// that is not set explicitly.
func parseFlags(args []string) options {
	var o options
	fs := flag.NewFlagSet("loadbench", flag.ExitOnError)
	fs.Float64Var(&o.rate, "rate", 1000, "fixed request `rate` per second for the latency table (and start of the -max search)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured `time` per target at -rate")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up `time` before each measurement")
	fs.IntVar(&o.count, "count", 3, "`rounds` at -rate, interleaved across targets and pooled")
	targets := fs.String("targets", "direct,floor,warden,warden-async,warden-full", "comma-separated `targets`: "+strings.Join(targetNames(), ", ")+
		" (docs/performance.md says what each switches on)")
	fs.BoolVar(&o.tls, "tls", true, "the floor and Warden serve TLS 1.3 (a certificate made for the run)")
	fs.BoolVar(&o.max, "max", false, "also search each target's maximum sustained rate")
	fs.Float64Var(&o.maxLimit, "max-limit", 64000, "highest `rate` the -max search tries")
	fs.DurationVar(&o.maxDuration, "max-duration", 2*time.Second, "measured `time` per step of the -max search")
	fs.DurationVar(&o.maxP99, "max-p99", 50*time.Millisecond, "p99 `bound` for a rate to count as sustained")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request `timeout`")
	fs.BoolVar(&o.pin, "pin", true, "pin processes to CPUs with taskset when available")
	fs.IntVar(&o.genProcs, "gen-procs", 2, "GOMAXPROCS of the generator (`n`)")
	fs.StringVar(&o.wardenBin, "warden-bin", "", "use this warden `binary` instead of building ./cmd/warden")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (Warden's config, data and logs)")
	short := fs.Bool("short", false, "shorter runs, for a quick check")
	long := fs.Bool("long", false, "one 60 s round per target after 5 s of warm-up (the issue's measurement)")
	fs.Parse(args)
	if *long {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["duration"] {
			o.duration = time.Minute
		}
		if !set["warmup"] {
			o.warmup = 5 * time.Second
		}
		if !set["count"] {
			o.count = 1
		}
	}
	if *short {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, d := range map[string]*time.Duration{"duration": &o.duration, "warmup": &o.warmup, "max-duration": &o.maxDuration} {
			if !set[name] {
				*d /= 4
			}
		}
	}
	o.targets = strings.Split(*targets, ",")
	return o
}
