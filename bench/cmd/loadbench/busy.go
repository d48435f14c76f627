package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// busyThreshold is the share of the machine's CPU time used by other
// processes above which a measurement is considered disturbed.
const busyThreshold = 0.10

// meter measures how much CPU time processes other than the benchmark's own
// use, so that measurements disturbed by other work on the machine can be
// detected and repeated. It reads /proc; where that is missing, it reports
// no load.
type meter struct {
	mu   sync.Mutex
	pids []int
}

// add counts the process pid as the benchmark's own.
func (m *meter) add(pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pids = append(m.pids, pid)
}

// cpuSample is a snapshot of CPU time in clock ticks.
type cpuSample struct {
	idle, total uint64 // of the whole machine, all CPUs
	ours        uint64 // used by the benchmark's processes
	ok          bool
}

// sample takes a snapshot of CPU time.
func (m *meter) sample() cpuSample {
	var s cpuSample
	var err error
	if s.idle, s.total, err = machineTicks(); err != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, pid := range m.pids {
		s.ours += procTicks(pid)
	}
	s.ok = true
	return s
}

// foreign returns the share of the machine's CPU time used by other
// processes between a and b, or 0 if unknown.
func foreign(a, b cpuSample) float64 {
	if !a.ok || !b.ok || b.total <= a.total {
		return 0
	}
	total := float64(b.total - a.total)
	busy := total - float64(b.idle-a.idle)
	return min(max((busy-float64(b.ours-a.ours))/total, 0), 1)
}

// machineTicks returns the idle (idle + iowait) and total ticks of all CPUs
// from /proc/stat.
func machineTicks() (idle, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return idle, total, nil
}

// procTicks returns the user and system ticks used by process pid so far,
// or 0 if it cannot be read.
func procTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the parenthesized command name start with the state
	// (field 3); utime and stime are fields 14 and 15.
	s := string(b)
	i := strings.LastIndex(s, ") ")
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return utime + stime
}

// clockTicks is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// peakRSS returns the peak resident set (VmHWM) of process pid in bytes, or
// 0 if it cannot be read.
func peakRSS(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
