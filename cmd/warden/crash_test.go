package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
)

// startServe runs `warden serve` as a process and waits until it listens.
func startServe(t *testing.T, cfg, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--config", cfg, "--listen", addr)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_RUN_MAIN=1")
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	var tail strings.Builder
	go func() {
		sc := bufio.NewScanner(logs)
		once := sync.Once{}
		for sc.Scan() {
			if tail.Len() < 16<<10 {
				tail.WriteString(sc.Text() + "\n")
			}
			if strings.Contains(sc.Text(), "warden listening") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatalf("warden serve did not start:\n%s", tail.String())
	}
	return cmd
}

// released is a response that came back with an audit index.
type released struct {
	index     uint64
	requestID string
}

// TestCrashKeepsReleasedRecords kills `warden serve` with SIGKILL under
// load, restarts it on the same data directory, and checks that the log
// verifies in full and that every response released with an
// X-Warden-Audit-Index has its record, with its request id, at that index.
func TestCrashKeepsReleasedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the gateway")
	}
	dir, cfg := initDirT(t)
	key, addr := adminKeyAndAddr(t, cfg)

	kills := 3
	if n, err := strconv.Atoi(os.Getenv("WARDEN_RESILIENCE_KILLS")); err == nil && n > 0 {
		kills = n
	}
	var (
		mu   sync.Mutex
		seen []released
	)
	var sent atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for cycle := range kills {
		cmd := startServe(t, cfg, addr) // each start checks the log on disk against its checkpoints
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					stream := (w+i)%8 == 0
					body := `{"model":"demo","stream":` + strconv.FormatBool(stream) + `,"messages":[{"role":"user","content":"crash test ` + strconv.Itoa(i) + `"}]}`
					req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/chat/completions", strings.NewReader(body))
					if (w+i)%5 != 0 {
						req.Header.Set("Authorization", "Bearer "+key) // else a 401, recorded too
					}
					sent.Add(1)
					res, err := client.Do(req)
					if err != nil {
						return // killed
					}
					b, err := io.ReadAll(res.Body)
					res.Body.Close()
					idx := res.Header.Get("X-Warden-Audit-Index")
					if stream && err == nil {
						// Released only if the comment arrived (the record was
						// durable before it was sent).
						if _, rest, ok := strings.Cut(string(b), ": warden-audit-index "); ok {
							idx, _, _ = strings.Cut(rest, "\n")
						}
					}
					if idx == "" {
						continue
					}
					n, perr := strconv.ParseUint(idx, 10, 64)
					if perr != nil {
						t.Errorf("bad index %q", idx)
						return
					}
					mu.Lock()
					seen = append(seen, released{n, res.Header.Get("X-Request-Id")})
					mu.Unlock()
				}
			}()
		}
		// Kill once this cycle has released enough responses (a loaded
		// machine takes longer; a fixed sleep made the test depend on it),
		// then a little later, so the kill lands mid-request.
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			n := len(seen)
			mu.Unlock()
			if n >= 100*(cycle+1) {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		stop()
		wg.Wait()
		mu.Lock()
		if len(seen) < 100*(cycle+1) {
			t.Fatalf("only %d responses released before kill %d; the test needs load", len(seen), cycle+1)
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()

	// The restarted gateway accepts the log (its start-up check passes),
	// and a clean stop publishes a checkpoint covering everything.
	cmd := startServe(t, cfg, addr)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("restarted gateway: %v", err)
	}

	logDir := filepath.Join(dir, "data", "audit", "log")
	k, err := auditlog.LoadKey(filepath.Join(dir, "keys", "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	src := verify.Dir(logDir)
	cp, err := verify.ReadCheckpoint(context.Background(), src, k.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	entries := make(map[uint64][]byte, cp.Size)
	var emu sync.Mutex
	if _, err := verify.Log(context.Background(), src, cp, verify.Options{CheckEntry: func(i uint64, e []byte) error {
		emu.Lock()
		entries[i] = append([]byte(nil), e...)
		emu.Unlock()
		return nil
	}}); err != nil {
		t.Fatalf("the log does not verify after the crash: %v", err)
	}
	for _, r := range seen {
		e, ok := entries[r.index]
		if !ok {
			t.Fatalf("response %s was released with index %d, but the log holds %d records", r.requestID, r.index, cp.Size)
		}
		var rec auditlog.Record
		if err := json.Unmarshal(e, &rec); err != nil {
			t.Fatalf("record %d: %v", r.index, err)
		}
		if string(rec.RequestID) != r.requestID {
			t.Fatalf("record %d is request %s, but response %s was released with that index", r.index, rec.RequestID, r.requestID)
		}
	}
	t.Logf("resilience: %d kills (SIGKILL) under load of 32 clients; %d requests sent, %d responses released with an audit index; "+
		"all %d found at their index with their request id in the log of %d records, which verifies; lost: 0", kills, sent.Load(), len(seen), len(seen), cp.Size)
}
