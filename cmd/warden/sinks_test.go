package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSinkOutageAndCrash: under load, a Splunk HEC that is down, then back,
// and `warden serve` killed with SIGKILL while shipping: after a restart
// every record of the log reaches the HEC at least once, each in log order
// of first arrival, de-duplicated by index; and warden audit sinks status
// reports a lag of 0.
func TestSinkOutageAndCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the gateway")
	}
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var order []uint64
	seen := map[uint64]bool{}
	arrivals := 0
	hec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"text":"Server is busy","code":9}`)
			return
		}
		dec := json.NewDecoder(r.Body)
		mu.Lock()
		defer mu.Unlock()
		for {
			var ev struct{ Fields map[string]any }
			if dec.Decode(&ev) != nil {
				break
			}
			if ev.Fields["warden_kind"] != "record" {
				continue
			}
			arrivals++
			i := uint64(ev.Fields["warden_index"].(float64))
			if !seen[i] {
				seen[i] = true
				order = append(order, i)
			}
		}
		io.WriteString(w, `{"text":"Success","code":0}`)
	}))
	defer hec.Close()
	_, cfg := initDirT(t)
	tok := t.TempDir() + "/hec-token"
	os.WriteFile(tok, []byte("tok"), 0o600)
	b, _ := os.ReadFile(cfg)
	y := strings.Replace(string(b), "  signing_key_file:", "  sinks:\n    - {name: splunk, type: splunk_hec, url: \""+hec.URL+"/services/collector/event\", token: \"file:"+tok+"\", batch: 50}\n  signing_key_file:", 1)
	os.WriteFile(cfg, []byte(y), 0o600)
	key, addr := adminKeyAndAddr(t, cfg)
	serve := startServe(t, cfg, addr)

	load := func(d time.Duration) {
		ctx, stop := context.WithTimeout(context.Background(), d)
		defer stop()
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/chat/completions", strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"hi"}]}`))
					req.Header.Set("Authorization", "Bearer "+key)
					if res, err := http.DefaultClient.Do(req); err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}()
		}
		wg.Wait()
	}
	load(time.Second) // the HEC is down
	down.Store(false)
	go load(1500 * time.Millisecond)
	time.Sleep(700 * time.Millisecond) // shipping is under way
	serve.Process.Signal(syscall.SIGKILL)
	serve.Wait()

	serve = startServe(t, cfg, addr)
	load(300 * time.Millisecond)
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()
	startServe(t, cfg, addr) // ships what the stop left; killed at cleanup
	var size uint64
	for deadline := time.Now().Add(20 * time.Second); ; {
		code, out, _ := cli(t, "audit", "sinks", "status", "--config", cfg, "--json")
		var st []struct {
			NextIndex uint64 `json:"next_index"`
			Lag       int64
		}
		json.Unmarshal([]byte(out), &st)
		if code == 0 && len(st) == 1 && st[0].Lag == 0 && st[0].NextIndex > 0 {
			size = st[0].NextIndex
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sinks status: %d %s", code, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if uint64(len(order)) < size {
		t.Fatalf("%d distinct records at the HEC, the sink's cursor is at %d", len(order), size)
	}
	for i, idx := range order {
		if idx != uint64(i) {
			t.Fatalf("record %d arrived in place %d", idx, i)
		}
	}
	t.Logf("resilience: sink outage and SIGKILL: %d records shipped; %d arrivals (%d sent again)", len(order), arrivals, arrivals-len(order))
}
