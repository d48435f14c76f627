package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// listeningPrefix starts the line on which a child server announces its
// bound address.
const listeningPrefix = "listening "

// proc is a server process started by the benchmark.
type proc struct {
	name   string
	cmd    *exec.Cmd
	out    *tail // the last output on stdout and stderr
	addr   chan string
	exited chan struct{}
	err    error // the result of Wait, once exited is closed
}

// startProc starts argv as a server named name, pinned to cpu when cpu is
// not empty and with GOMAXPROCS set when procs > 0.
func startProc(name string, pin *pinning, cpu string, procs int, argv ...string) (*proc, error) {
	argv = pin.wrap(cpu, argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	p := &proc{name: name, cmd: cmd, out: &tail{}, addr: make(chan string, 1), exited: make(chan struct{})}
	cmd.Stdout = &lineWatcher{tail: p.out, addr: p.addr}
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitAddr returns the address the process announces on stdout.
func (p *proc) waitAddr(timeout time.Duration) (string, error) {
	select {
	case a := <-p.addr:
		return a, nil
	case <-p.exited:
		return "", p.failure(fmt.Errorf("exited: %v", p.err))
	case <-time.After(timeout):
		return "", p.failure(errors.New("did not announce its address"))
	}
}

// failure wraps err with the process name and its last output.
func (p *proc) failure(err error) error {
	return fmt.Errorf("%s: %w\n--- last output of %s ---\n%s", p.name, err, p.name, p.out)
}

// stop asks the process to exit and kills it if it has not within a few
// seconds.
func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// tailSize is how much of a process's output tail keeps.
const tailSize = 4096

// tail is an io.Writer that keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimRight(string(t.buf), "\n")
}

// lineWatcher copies a process's stdout into a tail and sends the address of
// the first line starting with listeningPrefix to addr.
type lineWatcher struct {
	tail    *tail
	addr    chan string
	partial []byte
	found   bool
}

func (w *lineWatcher) Write(b []byte) (int, error) {
	w.tail.Write(b)
	if w.found {
		return len(b), nil
	}
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := strings.TrimSpace(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		if a, ok := strings.CutPrefix(line, listeningPrefix); ok {
			w.found, w.partial = true, nil
			w.addr <- a
			return len(b), nil
		}
	}
}
