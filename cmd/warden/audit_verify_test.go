package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/auditlog"
)

// TestAuditVerify: a real log verifies, with the configured key, an
// auditor's copy of the verifier key, as JSON, and against an older saved
// checkpoint; another key fails.
func TestAuditVerify(t *testing.T) {
	e := newAuditEnv(t)
	if code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg); code != 1 || !strings.Contains(stderr, "no audit log") {
		t.Fatalf("verify with no log: %d %s", code, stderr)
	}
	e.write(t, records(0, 300)...)
	code, out, stderr := cli(t, "audit", "verify", "--config", e.cfg)
	if code != 0 || !strings.HasPrefix(out, "OK: audit log test.example/audit verified: 300 records, root ") ||
		!strings.Contains(out, "records/s") || strings.Count(out, "\n") != 1 || stderr != "" {
		t.Fatalf("verify: %d %q %q", code, out, stderr)
	}
	// The store's newest checkpoint is checked too.
	if !strings.Contains(out, "consistent with the store's newest checkpoint (size 300)") {
		t.Errorf("verify did not check the stored checkpoint: %q", out)
	}
	if code, out, stderr := cli(t, "audit", "verify", "--config", e.cfg, "--key", e.pub); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("verify --key audit.pub: %d %q %s", code, out, stderr)
	}
	code, out, _ = cli(t, "audit", "verify", "--config", e.cfg, "--json")
	var res verifyResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.OK || res.Size != 300 || res.Records != 300 || res.Origin != "test.example/audit" || res.Root == "" {
		t.Fatalf("verify --json: %d %s", code, out)
	}

	// Another key: not this log's.
	other := filepath.Join(t.TempDir(), "other.key")
	if err := auditlog.GenerateKey(other, "test.example/audit"); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg, "--key", strings.TrimSuffix(other, ".key")+".pub")
	oneLineErr(t, "wrong key", code, stderr, 1, "bad signature", "not signed by key")
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg, "--key", e.cfg)
	oneLineErr(t, "not a key", code, stderr, 2, "--key")

	// An older checkpoint the log must extend.
	old := filepath.Join(t.TempDir(), "old.checkpoint")
	cp, _ := os.ReadFile(filepath.Join(e.logDir, "checkpoint"))
	os.WriteFile(old, cp, 0o600)
	e.write(t, records(300, 20)...)
	code, out, _ = cli(t, "audit", "verify", "--config", e.cfg, "--checkpoint", old)
	if code != 0 || !strings.Contains(out, "320 records") || !strings.Contains(out, "consistent with "+old+" (size 300)") {
		t.Fatalf("verify --checkpoint: %d %q", code, out)
	}
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg, "--checkpoint", filepath.Join(t.TempDir(), "nope"))
	oneLineErr(t, "missing --checkpoint file", code, stderr, 2, "--checkpoint")
}

// TestAuditVerifyTampering: every way of tampering with the log on disk
// makes verify exit 1, saying what is wrong and where.
func TestAuditVerifyTampering(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 300)...) // bundle 000 (256 entries) and 001.p/44
	pristine := filepath.Join(t.TempDir(), "log")
	copyDir(t, e.logDir, pristine)

	for _, tt := range []struct {
		name   string
		tamper func(t *testing.T)
		want   []string
	}{
		{"flip a byte", func(t *testing.T) {
			e.editBundle(t, "tile/entries/000", func(es [][]byte) [][]byte {
				i := bytes.Index(es[5], []byte(`"bob"`))
				es[5][i+1] = 'c' // bob -> cob: still a valid record
				return es
			})
		}, []string{"FAILED (changed)", "entry 5 is not the entry the checkpoint commits to", "first bad index: 5"}},
		{"delete a bundle", func(t *testing.T) {
			os.Remove(filepath.Join(e.logDir, "tile/entries/000"))
		}, []string{"FAILED (missing)", "entry bundle 0", "first bad index: 0"}},
		{"truncate the log", func(t *testing.T) {
			e.editBundle(t, "tile/entries/001.p/44", func(es [][]byte) [][]byte { return es[:40] })
		}, []string{"FAILED (truncated)", "holds 40 entries, want 44", "first bad index: 296"}},
		{"reorder two entries", func(t *testing.T) {
			e.editBundle(t, "tile/entries/000", func(es [][]byte) [][]byte {
				es[10], es[11] = es[11], es[10]
				return es
			})
		}, []string{"FAILED (changed)", "first bad index: 10"}},
		{"edit the checkpoint", func(t *testing.T) {
			p := filepath.Join(e.logDir, "checkpoint")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("\n300\n"), []byte("\n299\n"), 1), 0o644)
		}, []string{"FAILED (bad signature)", "altered"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			restoreDir(t, pristine, e.logDir)
			tt.tamper(t)
			code, out, stderr := cli(t, "audit", "verify", "--config", e.cfg)
			oneLineErr(t, tt.name, code, stderr, 1, tt.want...)
			if out != "" {
				t.Errorf("stdout on failure: %q", out)
			}
			code, out, _ = cli(t, "audit", "verify", "--config", e.cfg, "--json")
			var res verifyResult
			if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.OK || res.Kind == "" || res.Error == "" {
				t.Errorf("--json: %d %s", code, out)
			}
		})
	}
	restoreDir(t, pristine, e.logDir)
	if code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg); code != 0 {
		t.Fatalf("the pristine log: %d %s", code, stderr)
	}
}

// TestAuditVerifyRollback: a log restored to an older, validly signed
// state is caught against a newer checkpoint: the one given with
// --checkpoint, and the one the store holds.
func TestAuditVerifyRollback(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 100)...)
	older := filepath.Join(t.TempDir(), "log")
	copyDir(t, e.logDir, older)
	e.write(t, records(100, 50)...)
	newer := filepath.Join(t.TempDir(), "newer.checkpoint")
	cp, _ := os.ReadFile(filepath.Join(e.logDir, "checkpoint"))
	os.WriteFile(newer, cp, 0o600)

	restoreDir(t, older, e.logDir)
	code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg, "--checkpoint", newer)
	oneLineErr(t, "rollback vs --checkpoint", code, stderr, 1, "FAILED (rollback)", "against "+newer, "size 100", "size 150", "first bad index: 100")
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg)
	oneLineErr(t, "rollback vs the store", code, stderr, 1, "FAILED (rollback)", "against the store's newest checkpoint")

	// A checkpoint of another log that has the same name (another key) is refused.
	e2 := newAuditEnv(t)
	e2.write(t, records(0, 100)...)
	fork := filepath.Join(t.TempDir(), "fork.checkpoint")
	b, _ := os.ReadFile(filepath.Join(e2.logDir, "checkpoint"))
	os.WriteFile(fork, b, 0o600)
	code, _, stderr = cli(t, "audit", "verify", "--config", e.cfg, "--checkpoint", fork)
	oneLineErr(t, "checkpoint of another key", code, stderr, 1, "--checkpoint", "bad signature")
}

// TestAuditVerifyEntryCheck: an entry that is not an audit record is
// reported by index, though the log's integrity holds.
func TestAuditVerifyEntryCheck(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 7)...)
	e.appendEntries(t, []byte(`{"n":1}`), []byte(`not json`))
	code, _, stderr := cli(t, "audit", "verify", "--config", e.cfg)
	oneLineErr(t, "non-record entry", code, stderr, 1, "entry check failed", "entry 7", "2 entries refused", "first bad index: 7")
}

// TestAuditVerifyURL: a gateway's log verified over HTTP, with the API key
// from $WARDEN_API_KEY.
func TestAuditVerifyURL(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 30)...)
	files := http.StripPrefix("/audit/", http.FileServer(http.Dir(e.logDir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer wdn_auditor" {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("WARDEN_API_KEY", "wdn_auditor")
	// No config: --key is the trust anchor.
	noCfg := filepath.Join(t.TempDir(), "none.yaml")
	code, out, stderr := cli(t, "audit", "verify", "--config", noCfg, "--url", srv.URL, "--key", e.pub)
	if code != 0 || !strings.HasPrefix(out, "OK: audit log test.example/audit verified: 30 records") {
		t.Fatalf("verify --url: %d %q %s", code, out, stderr)
	}
	t.Setenv("WARDEN_API_KEY", "wdn_wrong")
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--url", srv.URL, "--key", e.pub)
	oneLineErr(t, "unauthorized", code, stderr, 1, "401")
	code, _, stderr = cli(t, "audit", "verify", "--config", noCfg, "--url", "ftp://x", "--key", e.pub)
	oneLineErr(t, "bad url", code, stderr, 2, "--url")
}

func TestIsTerminal(t *testing.T) {
	f, _ := os.Create(filepath.Join(t.TempDir(), "f"))
	defer f.Close()
	if isTerminal(&bytes.Buffer{}) || isTerminal(f) {
		t.Fatal("a buffer or a regular file is not a terminal")
	}
	if up, finish := progressBar(&bytes.Buffer{}, "x"); up != nil {
		t.Fatal("progress on a non-terminal")
	} else {
		finish()
	}
}
