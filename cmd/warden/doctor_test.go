package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctor: a fresh `warden init` has warnings but no failure (exit 0);
// a master key others can read fails (exit 1) with the fix; --json gives
// the same report to machines. Nothing is created: the store stays absent.
func TestDoctor(t *testing.T) {
	dir, cfg := initDirT(t)
	code, out, stderr := cli(t, "doctor", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "Warden security posture: ") || !strings.Contains(out, "0 failed") {
		t.Fatalf("fresh init: %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "no database yet") {
		t.Errorf("key checks should be skipped before the gateway has run:\n%s", out)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "data", "*.db")); len(m) != 0 {
		t.Errorf("doctor created %v", m)
	}

	key := filepath.Join(dir, "keys", "master.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, "doctor", "--config", cfg)
	if code != 1 || !strings.Contains(out, "FAIL  critical  kms.key_file") || !strings.Contains(out, "fix: chmod 600 "+key) ||
		strings.TrimSpace(stderr) != "warden: 1 posture checks failed" {
		t.Fatalf("readable master key: %d\n%s%s", code, out, stderr)
	}

	code, out, _ = cli(t, "doctor", "--config", cfg, "--json")
	var r struct {
		Score  int `json:"score"`
		Checks []struct {
			ID, Severity, Status, Fix string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || r.Score <= 0 || r.Score >= 100 || len(r.Checks) < 20 {
		t.Fatalf("--json: %d %v\n%s", code, err, out)
	}
	for _, c := range r.Checks {
		if c.ID == "kms.key_file" && (c.Status != "fail" || c.Severity != "critical" || c.Fix == "") {
			t.Errorf("kms.key_file in JSON: %+v", c)
		}
	}
}
