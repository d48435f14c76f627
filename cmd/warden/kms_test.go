package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/wardentest"
)

// TestKMSRotateWhileServing rotates the master key twice while a `warden
// serve` process seals payloads under load: no request fails, payloads
// sealed before and after open through audit.decrypt, also after a
// restart on the rotated key, and each rotation is in the audit log.
func TestKMSRotateWhileServing(t *testing.T) {
	_, cfg := initDirT(t)
	b, _ := os.ReadFile(cfg)
	y := strings.Replace(string(b), "builtin: demo", "builtin: demo\n    classification: confidential", 1) +
		"\nclassifications:\n  - {name: confidential, store: full, retention: 30d}\n"
	os.WriteFile(cfg, []byte(y), 0o600)
	key, addr := adminKeyAndAddr(t, cfg)
	serve := startServe(t, cfg, addr)

	send := func(method, path, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return &http.Response{}, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	chat := func(text string) string {
		res, b := send("POST", "/v1/chat/completions", `{"model":"demo","messages":[{"role":"user","content":"`+text+`"}]}`)
		if res.StatusCode != 200 {
			t.Errorf("chat during rotation: %d %s", res.StatusCode, b)
		}
		return res.Header.Get("X-Warden-Audit-Index")
	}
	payload := func(idx, want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; {
			res, b := send("GET", "/admin/v1/audit/records/"+idx+"/payload", "")
			if res.StatusCode == 200 && strings.Contains(string(b), want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("payload %s: %d %s", idx, res.StatusCode, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	before := chat("sealed before the rotation")
	var stop atomic.Bool
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				chat("under load")
				sent.Add(1)
			}
		}()
	}
	var rotations []map[string]any
	for range 2 {
		time.Sleep(100 * time.Millisecond)
		code, out, stderr := cli(t, "kms", "rotate", "--config", cfg, "--json")
		var r map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("kms rotate: %d %q %q", code, out, stderr)
		}
		rotations = append(rotations, r)
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests during two rotations: %v", sent.Load(), rotations)
	after := chat("sealed after the rotation")
	payload(before, "sealed before the rotation")
	payload(after, "sealed after the rotation")

	// The records were spooled to the running gateway, which appends and
	// indexes them within a second or two.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, out, _ := cli(t, "audit", "search", "--config", cfg, "--kind", "admin", "--format", "json")
		if strings.Count(out, `"action":"kms.rotate"`) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotations not recorded: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	serve.Process.Signal(os.Interrupt)
	serve.Wait()
	startServe(t, cfg, addr)
	payload(before, "sealed before the rotation")
	payload(after, "sealed after the rotation")
}

// TestKMSRotateVault: with Vault, kms rotate re-wraps the root secret
// under warden-root.2 and keeps warden-root until kms destroy-previous;
// both are recorded.
func TestKMSRotateVault(t *testing.T) {
	_, cfg := initDirT(t)
	transit := wardentest.NewTransit(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(transit.Token), 0o600)
	b, _ := os.ReadFile(cfg)
	y := strings.Replace(string(b), "provider: local", "provider: vault\n  vault: {address: \""+transit.URL+"\", token: \"file:"+tokenFile+"\"}", 1)
	os.WriteFile(cfg, []byte(y), 0o600)

	code, out, stderr := cli(t, "kms", "rotate", "--config", cfg)
	if code != 0 || !strings.Contains(out, "warden-root -> warden-root.2") || !strings.Contains(out, "destroy-previous") {
		t.Fatalf("kms rotate: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, "kms", "destroy-previous", "--config", cfg, "--json")
	if code != 0 || !strings.Contains(out, `{"destroyed":["warden-root"]}`) {
		t.Fatalf("kms destroy-previous: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := cli(t, "keys", "list", "--config", cfg); code != 0 {
		t.Fatalf("the rotated root secret does not open: %s", stderr)
	}
	_, out, _ = cli(t, "audit", "search", "--config", cfg, "--kind", "admin", "--format", "json")
	if !strings.Contains(out, `"action":"kms.rotate"`) || !strings.Contains(out, `"action":"kms.destroy_previous"`) {
		t.Fatalf("not recorded: %s", out)
	}
	// Local rotation has no previous keys to destroy.
	_, cfg2 := initDirT(t)
	if code, _, stderr := cli(t, "kms", "destroy-previous", "--config", cfg2); code != 1 || !strings.Contains(stderr, "keeps no previous root keys") {
		t.Fatalf("destroy-previous with a local key: %d %q", code, stderr)
	}
}
