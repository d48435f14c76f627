package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report writes the results as markdown, ready to paste into
// docs/performance.md, and then the goals, each met or not.
func report(w io.Writer, su setup, rows []*row) {
	scheme := "plain HTTP"
	if su.tls {
		scheme = "TLS 1.3 on the floor and Warden (the upstream and direct: plain HTTP)"
	}
	fmt.Fprintf(w, "%s %s/%s, %d CPUs (%s); %s; proxies GOMAXPROCS=1, generator GOMAXPROCS=%d; %s.\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), su.pinned, su.genProcs, scheme)
	fmt.Fprintf(w, "Open loop at %g RPS, %d × %v (after %v warm-up each) per target, interleaved and pooled; "+
		"latency from intended send time to end of response body (TTFB: to its first byte).\n", su.rate, max(su.count, 1), su.duration, su.warmup)
	fmt.Fprintf(w, "Other processes' CPU use: %.0f%% before the start, at most %.0f%% during a kept round at %g RPS "+
		"(%d runs repeated for being above %.0f%%).\n", 100*su.idleLoad, 100*su.runLoad, su.rate, su.repeated, 100*busyThreshold)
	fmt.Fprintln(w)
	streams := slices.ContainsFunc(rows, func(r *row) bool { return r.stream && r.err == nil })
	head := "| target | p50 | p90 | p99 | p99.9 | max | added p50 | added p99 |"
	rule := "|---|--:|--:|--:|--:|--:|--:|--:|"
	if streams {
		head += " TTFB p50 | TTFB p99 |"
		rule += "--:|--:|"
	}
	fmt.Fprintln(w, head+" failed | CPU per request | peak RSS | max sustained RPS |")
	fmt.Fprintln(w, rule+"--:|--:|--:|--:|")
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | not measured: %s |\n", r.label, firstLine(r.err.Error()))
			continue
		}
		l := r.fixed.Latency
		addP50, addP99 := "—", "—"
		if d := find(rows, "direct", r.stream); d != nil && r != d {
			addP50, addP99 = signedMS(l.P50-d.fixed.Latency.P50), signedMS(l.P99-d.fixed.Latency.P99)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |", r.label, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), addP50, addP99)
		if streams {
			if r.stream {
				fmt.Fprintf(w, " %s | %s |", ms(r.fixed.TTFB.P50), ms(r.fixed.TTFB.P99))
			} else {
				fmt.Fprint(w, " — | — |")
			}
		}
		cpu, rss := "—", "—"
		if c := r.cpuPerRequest(); c > 0 {
			cpu = fmt.Sprintf("%.0f µs", float64(c)/float64(time.Microsecond))
		}
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%.0f MB", float64(r.peakRSS)/(1<<20))
		}
		maxRPS := "—"
		if su.max {
			maxRPS = fmt.Sprintf("%.0f", r.max)
			if r.atLimit {
				maxRPS = "≥ " + maxRPS
			}
		}
		fmt.Fprintf(w, " %d | %s | %s | %s |\n", r.fixed.Failed(), cpu, rss, maxRPS)
	}
	fmt.Fprintln(w)
	for _, g := range goals(su, rows) {
		fmt.Fprintln(w, g)
	}
	if su.max {
		fmt.Fprintf(w, "\nMax sustained RPS: highest rate with ≥ 95%% of it achieved, no failed request and p99 ≤ %s "+
			"(from %g RPS doubling, then bisecting to within 10%%; %v per step).\n", su.maxP99, su.rate, su.maxDuration)
	}
}

// find returns the measured row of the named base target (direct, floor)
// of the same kind (streamed or not), or nil.
func find(rows []*row, base string, stream bool) *row {
	name := base
	if stream {
		name += "-stream"
	}
	for _, r := range rows {
		if r.name == name && r.err == nil {
			return r
		}
	}
	return nil
}

// goals checks the measured rows against the goals (docs/performance.md),
// one line each: what was asked, what was measured, met or NOT met.
func goals(su setup, rows []*row) []string {
	var out []string
	check := func(ok bool, format string, args ...any) {
		verdict := "met"
		if !ok {
			verdict = "NOT met"
		}
		out = append(out, fmt.Sprintf("- "+format+": %s.", append(args, verdict)...))
	}
	added := func(r, d *row) time.Duration { return r.fixed.Latency.P50 - d.fixed.Latency.P50 }
	for _, r := range rows {
		if r.err != nil || r.pid == 0 || strings.HasPrefix(r.name, "floor") {
			continue
		}
		d, f := find(rows, "direct", r.stream), find(rows, "floor", r.stream)
		v := variants[r.name]
		switch {
		case r.stream && f != nil:
			a := r.fixed.TTFB.P50 - f.fixed.TTFB.P50
			check(a <= 300*time.Microsecond, "%s: time to first byte p50 adds ≤ 0.3 ms to the floor's (%s)", r.name, signedMS(a))
		case v.every && d != nil && f != nil:
			a, fa := added(r, d), added(f, d)
			check(a <= fa+500*time.Microsecond, "%s: added p50 ≤ floor's + 0.5 ms (%s vs %s)", r.name, signedMS(a), signedMS(fa))
			check(r.fixed.Latency.P99 <= 5*time.Millisecond, "%s: p99 ≤ 5 ms (%s)", r.name, ms(r.fixed.Latency.P99))
			check(r.fixed.Latency.Max <= 50*time.Millisecond, "%s: no request over 50 ms (max %s)", r.name, ms(r.fixed.Latency.Max))
			if fc := f.cpuPerRequest(); fc > 0 {
				c := r.cpuPerRequest()
				check(float64(c) <= 2.5*float64(fc), "%s: CPU per request ≤ 2.5× the floor's (%.1f×)", r.name, float64(c)/float64(fc))
			}
			if su.max && f.max > 0 {
				check(r.max >= 0.6*f.max, "%s: max sustained rate ≥ 60%% of the floor's (%.0f%%)", r.name, 100*r.max/f.max)
			}
		case v.durability == "async" && v.store == "hash_only" && d != nil && f != nil:
			a, fa := added(r, d), added(f, d)
			check(a <= fa+150*time.Microsecond, "%s: added p50 ≤ floor's + 0.15 ms (%s vs %s)", r.name, signedMS(a), signedMS(fa))
			check(r.fixed.Latency.P99 <= f.fixed.Latency.P99+time.Millisecond, "%s: p99 ≤ floor's p99 + 1 ms (%s vs %s)",
				r.name, ms(r.fixed.Latency.P99), ms(f.fixed.Latency.P99))
		}
		if r.peakRSS > 0 {
			check(r.peakRSS <= 150<<20, "%s: peak RSS ≤ 150 MB (%.0f MB)", r.name, float64(r.peakRSS)/(1<<20))
		}
	}
	if len(out) > 0 {
		out = append([]string{"Goals at " + fmt.Sprint(su.rate) + " RPS:"}, out...)
	}
	return out
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
