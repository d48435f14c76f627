package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// pinning places the benchmark's processes on CPUs with taskset(1): the
// generator and the upstream share one CPU (gen) and the proxy under test
// runs alone on another (proxy). The zero value (or nil) pins nothing.
type pinning struct {
	taskset    string
	gen, proxy string
}

// newPinning returns the pinning to use, or nil and the reason why there is
// none: taskset is missing or fewer than two CPUs are allowed.
func newPinning() (*pinning, string) {
	path, err := exec.LookPath("taskset")
	if err != nil {
		return nil, "taskset not found"
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return nil, err.Error()
	}
	if len(cpus) < 2 {
		return nil, fmt.Sprintf("only %d CPU allowed", len(cpus))
	}
	return &pinning{taskset: path, gen: strconv.Itoa(cpus[0]), proxy: strconv.Itoa(cpus[1])}, ""
}

// pinSelf pins every thread of the running process to the generator's CPU.
func (p *pinning) pinSelf() error {
	out, err := exec.Command(p.taskset, "-a", "-p", "-c", p.gen, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// wrap returns argv to run pinned to cpu, or argv unchanged without pinning.
func (p *pinning) wrap(cpu string, argv []string) []string {
	if p == nil || cpu == "" {
		return argv
	}
	return append([]string{p.taskset, "-c", cpu}, argv...)
}

// genCPU and proxyCPU return the CPUs for the generator side and the proxy
// under test, empty without pinning.
func (p *pinning) genCPU() string {
	if p == nil {
		return ""
	}
	return p.gen
}

func (p *pinning) proxyCPU() string {
	if p == nil {
		return ""
	}
	return p.proxy
}

// allowedCPUs returns the CPUs this process may run on, from
// /proc/self/status.
func allowedCPUs() ([]int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(v))
		}
	}
	return nil, fmt.Errorf("no Cpus_allowed_list in /proc/self/status")
}

// parseCPUList parses a Linux CPU list such as "0-3,6,8-9".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad CPU list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
