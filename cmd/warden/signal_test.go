package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this very binary as the warden command.
func TestMain(m *testing.M) {
	if os.Getenv("WARDEN_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// adminKeyAndAddr creates an admin API key offline and picks a free
// address for a `warden serve` process to listen on.
func adminKeyAndAddr(t *testing.T, cfg string) (key, addr string) {
	t.Helper()
	code, out, stderr := cli(t, "keys", "create", "--config", cfg, "--name", "t", "--role", "admin", "--json")
	if code != 0 {
		t.Fatalf("keys create: %s", stderr)
	}
	var k struct{ Key string }
	json.Unmarshal([]byte(out), &k)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr = ln.Addr().String()
	ln.Close()
	return k.Key, addr
}

// TestServeSignals runs `warden serve` as a process: SIGHUP reloads the
// config file (and a bad edit is refused while the old config serves), and
// SIGTERM shuts down cleanly with exit status 0.
func TestServeSignals(t *testing.T) {
	_, cfg := initDirT(t)
	key, addr := adminKeyAndAddr(t, cfg)

	cmd := exec.Command(os.Args[0], "serve", "--config", cfg, "--listen", addr)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_RUN_MAIN=1")
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(msg string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("warden exited before logging %q", msg)
				}
				if strings.Contains(l, msg) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q in the log", msg)
			}
		}
	}
	models := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	waitFor("warden listening")
	if !strings.Contains(models(), `"demo"`) {
		t.Fatal("demo model not listed")
	}

	// A good edit, applied on SIGHUP. (The file watcher may apply it first;
	// either way the new config serves.)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte("  - name: demo "), []byte("  - name: demo2 "), 1), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor("config reloaded")
	if got := models(); !strings.Contains(got, `"demo2"`) {
		t.Fatalf("after reload: %s", got)
	}
	// A bad edit is refused; the previous config keeps serving.
	os.WriteFile(cfg, append(b, []byte("bogus_key: 1\n")...), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor("config reload refused")
	if got := models(); !strings.Contains(got, `"demo2"`) {
		t.Fatalf("after a refused reload: %s", got)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	waitFor("shutting down")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
