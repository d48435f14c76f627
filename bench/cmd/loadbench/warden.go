package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// wardenConfig is the gateway's configuration for the benchmark: one model
// routed to the benchmark upstream and one role that may use it, plus what
// the variant switches on.
const wardenConfig = `version: 1
data_dir: %[1]s/data
server: {listen: "127.0.0.1:0"%[4]s}
kms: {provider: local, local: {key_file: %[1]s/keys/master.key}}
storage: {driver: sqlite}
%[2]sroles:
  - {name: bench, models: ["*"], capabilities: [chat, completions, embeddings, stream]%[5]s}
classifications:
  - {name: bench, store: %[6]s, retention: 30d}
models:
  - {name: bench-model, classification: bench, upstream: {url: "%[3]s/v1", model: "upstream-model"}}
%[7]s`

// everything is the content policy of the "every feature" variants: the
// personal data of HIPAA's Safe Harbor list (the name model included) and
// secrets, in requests and responses, and injection screening.
const everything = `content:
  request:
    pii: {hipaa_safe_harbor: redact, secret: block}
    injection: flag
  response:
    pii: {hipaa_safe_harbor: redact, secret: block}
`

// variant is one way of configuring Warden for the benchmark.
type variant struct {
	label      string
	durability string // audit.durability
	store      string // the model's classification: full or hash_only
	every      bool   // every feature: content policy and a rate limit
	stream     bool   // streamed requests
}

// variants are the Warden targets: the configurations.
var variants = map[string]variant{
	"warden":              {"Warden (sync, hash_only)", "sync", "hash_only", false, false},
	"warden-async":        {"Warden (async, hash_only)", "async", "hash_only", false, false},
	"warden-store":        {"Warden (sync, store: full)", "sync", "full", false, false},
	"warden-store-async":  {"Warden (async, store: full)", "async", "full", false, false},
	"warden-full":         {"Warden, every feature (sync, full, PII both ways, injection, limit)", "sync", "full", true, false},
	"warden-full-stream":  {"Warden, every feature, streamed", "sync", "full", true, true},
	"warden-async-stream": {"Warden (async, hash_only), streamed", "async", "hash_only", false, true},
}

// warden is a running Warden gateway and the API key to call it with.
type warden struct {
	*proc
	url string
	key string
}

// startWarden builds Warden (unless bin is set), prepares a configuration in
// dir that routes to upstreamURL as v says, creates an API key and starts
// the gateway with GOMAXPROCS=1 pinned to the proxy CPU, serving TLS with
// tc's certificate unless tc is nil.
func startWarden(ctx context.Context, dir, bin, upstreamURL string, v variant, tc *certs, pin *pinning) (*warden, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if bin == "" {
		bin = filepath.Join(dir, "warden")
		if err := buildWarden(ctx, bin); err != nil {
			return nil, err
		}
	}
	home := filepath.Join(dir, "home")
	if _, err := runWarden(ctx, bin, "init", "--dir", home); err != nil {
		return nil, err
	}
	audit := ""
	if _, err := os.Stat(filepath.Join(home, "keys", "audit.key")); err == nil {
		audit = fmt.Sprintf("audit: {signing_key_file: %s/keys/audit.key, durability: %s}\n", home, v.durability)
	}
	tlsCfg, scheme := "", "http"
	if tc != nil {
		tlsCfg, scheme = fmt.Sprintf(", tls: {cert_file: %s, key_file: %s}", tc.certFile, tc.keyFile), "https"
	}
	limits, policy := "", ""
	if v.every {
		limits = ", limits: {requests_per_minute: 10000000, tokens_per_minute: 1000000000}"
		policy = everything
	}
	cfg := filepath.Join(home, "warden.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, wardenConfig, home, audit, upstreamURL, tlsCfg, limits, v.store, policy), 0o600); err != nil {
		return nil, err
	}
	out, err := runWarden(ctx, bin, "keys", "create", "--config", cfg, "--name", "bench", "--role", "bench", "--json")
	if err != nil {
		return nil, err
	}
	var created struct{ Key string }
	if err := json.Unmarshal(out, &created); err != nil || !strings.HasPrefix(created.Key, "wdn_") {
		return nil, fmt.Errorf("warden keys create: unexpected output %q", out)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := startProc("warden", pin, pin.proxyCPU(), 1, bin, "serve", "--config", cfg, "--listen", addr)
	if err != nil {
		return nil, err
	}
	w := &warden{proc: p, url: scheme + "://" + addr, key: created.Key}
	if err := w.waitReady(30*time.Second, tc.clientConfig()); err != nil {
		p.stop()
		return nil, err
	}
	return w, nil
}

// buildWarden builds ./cmd/warden of the enclosing module into bin.
func buildWarden(ctx context.Context, bin string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/warden")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/warden: %v\n%s", err, lastLines(out, 30))
	}
	return nil
}

// runWarden runs a warden CLI command and returns its stdout.
func runWarden(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("warden %s: %v\n%s", strings.Join(args[:min(2, len(args))], " "), err,
			strings.TrimSpace(lastLines(out, 10)+"\n"+stderr.String()))
	}
	return out, nil
}

// waitReady polls GET /readyz until it answers 200.
func (w *warden) waitReady(timeout time.Duration, tc *tls.Config) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-w.exited:
			return w.failure(fmt.Errorf("exited before ready: %v", w.err))
		default:
		}
		resp, err := client.Get(w.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return w.failure(fmt.Errorf("GET /readyz not 200 after %v (last: %s)", timeout, last))
}

// moduleRoot returns the nearest directory at or above the working
// directory that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the warden repository or pass -warden-bin")
		}
		dir = parent
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// lastLines returns at most the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
