package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// addedP50Target is the goal for the median latency Warden adds at
// 1000 RPS.
const addedP50Target = 300 * time.Microsecond

// report writes the results as markdown, ready to paste into
// docs/performance.md.
func report(w io.Writer, su setup, rows []*row) {
	fmt.Fprintf(w, "%s %s/%s, %d CPUs (%s); %s; proxies GOMAXPROCS=1, generator GOMAXPROCS=%d.\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), su.pinned, su.genProcs)
	fmt.Fprintf(w, "Open loop at %g RPS, %d × %v (after %v warm-up each) per target, interleaved and pooled; "+
		"latency from intended send time to end of response body.\n", su.rate, max(su.count, 1), su.duration, su.warmup)
	fmt.Fprintf(w, "Other processes' CPU use: %.0f%% before the start, at most %.0f%% during a kept round at %g RPS "+
		"(%d runs repeated for being above %.0f%%).\n", 100*su.idleLoad, 100*su.runLoad, su.rate, su.repeated, 100*busyThreshold)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | p50 | p90 | p99 | max | added p50 | added p99 | failed | max sustained RPS |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	var direct *row
	for _, r := range rows {
		if r.name == "direct" && r.err == nil {
			direct = r
		}
	}
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | not measured: %s ||||||||\n", r.label, firstLine(r.err.Error()))
			continue
		}
		l := r.fixed.Latency
		addP50, addP99 := "—", "—"
		if direct != nil && r != direct {
			addP50 = signedMS(l.P50 - direct.fixed.Latency.P50)
			addP99 = signedMS(l.P99 - direct.fixed.Latency.P99)
		}
		maxRPS := "—"
		if su.max {
			maxRPS = fmt.Sprintf("%.0f", r.max)
			if r.atLimit {
				maxRPS = "≥ " + maxRPS
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n",
			r.label, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), addP50, addP99, r.fixed.Failed(), maxRPS)
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if r.name == "warden" && r.err == nil && direct != nil {
			added := (r.fixed.Latency.P50 - direct.fixed.Latency.P50).Round(time.Microsecond)
			verdict := "met"
			if added > addedP50Target {
				verdict = "NOT met"
			}
			fmt.Fprintf(w, "Target: Warden adds p50 ≤ %s at %g RPS: %s (%s).\n", ms(addedP50Target), su.rate, verdict, signedMS(added))
		}
	}
	if su.max {
		fmt.Fprintf(w, "Max sustained RPS: highest rate with ≥ 95%% of it achieved, no failed request and p99 ≤ %s "+
			"(from %g RPS doubling, then bisecting to within 10%%; %v per step).\n", su.maxP99, su.rate, su.maxDuration)
	}
}

// ms formats d in milliseconds with microsecond precision.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// signedMS is ms with an explicit sign.
func signedMS(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return ms(d)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, if there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
