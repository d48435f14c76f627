package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
)

// TestAuditExport: an exported bundle holds exactly the matching records,
// verifies offline against the trusted key (with no config), and fails once
// edited or against another key.
func TestAuditExport(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 300)...) // record k at t0 + k minutes
	out := filepath.Join(t.TempDir(), "evidence.json")
	code, stdout, stderr := cli(t, "audit", "export", "--config", e.cfg, "--since", "2026-05-01T13:00:00Z", "--until", "2026-05-01T16:30:00Z",
		"--principal", "bob", "--out", out)
	if code != 0 || !strings.HasPrefix(stdout, "Exported 105 records (indexes 61..269) of test.example/audit to "+out) || stderr != "" {
		t.Fatalf("export: %d %q %q", code, stdout, stderr)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v %v", st.Mode(), err)
	}
	data, _ := os.ReadFile(out)
	b, err := verify.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	var idx []uint64
	for _, r := range b.Records {
		idx = append(idx, r.Index)
		var rec auditlog.Record
		if json.Unmarshal([]byte(r.Entry), &rec) != nil || rec.Principal.ID != "bob" {
			t.Fatalf("record %d: %s", r.Index, r.Entry)
		}
	}
	if len(idx) != 105 || !slices.IsSorted(idx) || idx[0] != 61 || idx[104] != 269 || strings.TrimSpace(b.Key) != e.key.Verifier {
		t.Fatalf("bundle: %d records %v", len(idx), idx)
	}

	// Offline: the configured key, or --key without any config.
	if code, stdout, stderr := cli(t, "audit", "verify", "--config", e.cfg, "--bundle", out); code != 0 ||
		!strings.HasPrefix(stdout, "OK: evidence bundle "+out+" verified: 105 records (indexes 61..269) of test.example/audit") {
		t.Fatalf("verify --bundle: %d %q %s", code, stdout, stderr)
	}
	noCfg := filepath.Join(t.TempDir(), "absent.yaml")
	if code, stdout, stderr := cli(t, "audit", "verify", "--config", noCfg, "--bundle", out, "--key", e.pub); code != 0 || !strings.HasPrefix(stdout, "OK") {
		t.Fatalf("verify --bundle --key without config: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = cli(t, "audit", "verify", "--config", noCfg, "--bundle", out, "--key", e.pub, "--json")
	var res verifyResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || !res.OK || res.Records != 105 || len(res.Indexes) != 105 {
		t.Fatalf("--json: %d %s", code, stdout)
	}

	// Another key is not the trust anchor the bundle names.
	other := newAuditEnv(t)
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", out, "--key", other.pub)
	oneLineErr(t, "wrong key", code, stderr, 1, "FAILED (bad key)", "not the trusted key")
	// A bundle re-keyed by its forger still fails against the trusted key.
	b2 := *b
	b2.Key = other.key.Verifier
	forged := writeBundle(t, &b2)
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg, "--bundle", forged)
	oneLineErr(t, "re-keyed", code, stderr, 1, "FAILED (bad key)")

	// An edited entry.
	b3 := *b
	b3.Records = slices.Clone(b.Records)
	b3.Records[7].Entry = strings.Replace(b3.Records[7].Entry, `"bob"`, `"eve"`, 1)
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", writeBundle(t, &b3), "--key", e.pub)
	oneLineErr(t, "edited entry", code, stderr, 1, "FAILED (bad proof)", "record 7 of the evidence bundle", "first bad index: 75")
	// A moved entry (claimed at another index).
	b3.Records = slices.Clone(b.Records)
	b3.Records[0].Index = 62
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", writeBundle(t, &b3), "--key", e.pub)
	oneLineErr(t, "moved entry", code, stderr, 1, "FAILED (bad proof)")
	// An edited checkpoint.
	b3.Records = b.Records
	b3.Checkpoint = strings.Replace(b.Checkpoint, "\n300\n", "\n301\n", 1)
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", writeBundle(t, &b3), "--key", e.pub)
	oneLineErr(t, "edited checkpoint", code, stderr, 1, "FAILED (bad signature)")
	// Not a bundle at all.
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", e.pub, "--key", e.pub)
	oneLineErr(t, "not a bundle", code, stderr, 1, "FAILED (malformed)")
	// No key and no config: a usage error.
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--bundle", out)
	oneLineErr(t, "no trust anchor", code, stderr, 2, "config")

	// Usage errors.
	for _, args := range [][]string{
		{"--since", "1h"},
		{"--out", out},
		{"--since", "yesterday-ish", "--out", out},
		{"--since", "1h", "--until", "soon", "--out", out},
	} {
		code, _, stderr := cli(t, append([]string{"audit", "export", "--config", e.cfg}, args...)...)
		oneLineErr(t, strings.Join(args, " "), code, stderr, 2)
	}
	if code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg, "--bundle", out, "--checkpoint", out); code != 2 {
		t.Errorf("--bundle with --checkpoint: %d %s", code, stderr)
	}
}

// TestAuditExportUncovered: records the checkpoint does not cover yet are
// waited for (two checkpoint intervals), then left out with a warning.
func TestAuditExportUncovered(t *testing.T) {
	e := newAuditEnv(t)
	e.setAudit(t, "checkpoint_interval: 100ms")
	e.write(t, records(0, 20)...)
	older, _ := os.ReadFile(filepath.Join(e.logDir, "checkpoint"))
	e.write(t, records(20, 5)...)
	os.WriteFile(filepath.Join(e.logDir, "checkpoint"), older, 0o644) // as if the next were not signed yet
	out := filepath.Join(t.TempDir(), "b.json")
	code, stdout, stderr := cli(t, "audit", "export", "--config", e.cfg, "--since", "2026-05-01", "--out", out)
	if code != 0 || !strings.HasPrefix(stdout, "Exported 20 records (indexes 0..19)") ||
		!strings.Contains(stderr, "warning: 5 matching record(s) (index 20 on) are newer than the latest checkpoint (size 20)") {
		t.Fatalf("export: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg, "--bundle", out); code != 0 {
		t.Fatalf("verify: %s", stderr)
	}
	// Records the gateway has not indexed yet cannot be found: say so.
	entry, _ := records(25, 1)[0].Marshal()
	e.appendEntriesIndex(t, false, entry)
	code, _, stderr = cli(t, "audit", "export", "--config", e.cfg, "--since", "2026-05-01", "--out", out)
	if code != 0 || !strings.Contains(stderr, "warning: the search index holds the first 25 of the 26 records the checkpoint covers") {
		t.Fatalf("unindexed: %d %q", code, stderr)
	}

	// To standard output.
	code, stdout, stderr = cli(t, "audit", "export", "--config", e.cfg, "--since", "2026-05-01", "--kind", "admin", "--out", "-")
	if b, err := verify.ParseBundle([]byte(stdout)); code != 0 || err != nil || len(b.Records) != 0 || !strings.Contains(stderr, "Exported 0 records") {
		t.Fatalf("export -: %d %v %q", code, err, stderr)
	}
}

func writeBundle(t *testing.T, b *verify.Bundle) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.json")
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, data, 0o600)
	return p
}
