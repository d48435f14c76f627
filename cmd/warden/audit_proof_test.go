package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/auditlog/verify"
)

// TestAuditProof: the proof of a covered record verifies with a standard
// check; a record past the checkpoint, or past the log, is refused.
func TestAuditProof(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 300)...)
	code, out, stderr := cli(t, "audit", "proof", "--config", e.cfg, "261", "--json")
	if code != 0 {
		t.Fatalf("proof: %d %s", code, stderr)
	}
	var p proofOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	cp, err := verify.OpenCheckpoint([]byte(p.Checkpoint), e.key.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify.CheckInclusion(cp, p.Index, []byte(p.Entry), p.Proof); err != nil || p.Index != 261 || p.TreeSize != 300 || len(p.Proof) == 0 {
		t.Fatalf("the printed proof does not verify: %v (%+v)", err, p)
	}
	var rec struct {
		Index     uint64 `json:"index"`
		Origin    string `json:"origin"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(p.Record, &rec) != nil || rec.Index != 261 || rec.Origin != "test.example/audit" || rec.RequestID != "req_000261" {
		t.Fatalf("record: %s", p.Record)
	}
	// A changed entry gives a proof that does not verify.
	if verify.CheckInclusion(cp, p.Index, []byte(strings.Replace(p.Entry, "bob", "cob", 1)), p.Proof) == nil {
		t.Fatal("a changed entry verifies")
	}

	code, out, _ = cli(t, "audit", "proof", "--config", e.cfg, "0")
	if code != 0 || !strings.HasPrefix(out, "# record 0 of test.example/audit\n{\"index\":0,\"origin\":\"test.example/audit\",\"id\":\"aud_") ||
		!strings.Contains(out, "# checkpoint (signed note)\ntest.example/audit\n300\n") ||
		!strings.Contains(out, "# inclusion proof of leaf 0 in the tree of size 300: 9 hashes") {
		t.Fatalf("proof text: %d\n%s", code, out)
	}

	// Records the log holds but no checkpoint covers yet: put back an
	// older checkpoint, as if the next one were not signed yet.
	older, _ := os.ReadFile(filepath.Join(e.logDir, "checkpoint"))
	e.write(t, records(300, 5)...)
	os.WriteFile(filepath.Join(e.logDir, "checkpoint"), older, 0o644)
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg, "302")
	oneLineErr(t, "uncovered", code, stderr, 1, "record 302 is not yet covered by a checkpoint", "audit.checkpoint_interval", "try again shortly")
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg, "305")
	oneLineErr(t, "past the log", code, stderr, 1, "no record 305", "holds 305 records")
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg, "-1")
	oneLineErr(t, "bad index", code, stderr, 2)
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg, "abc")
	oneLineErr(t, "bad index", code, stderr, 2, "INDEX")
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg)
	oneLineErr(t, "no index", code, stderr, 2, "argument")

	// A tampered entry: no proof.
	e.editBundle(t, "tile/entries/000", func(es [][]byte) [][]byte {
		es[3] = []byte(strings.Replace(string(es[3]), "bob", "cob", 1))
		return es
	})
	code, _, stderr = cli(t, "audit", "proof", "--config", e.cfg, "3")
	oneLineErr(t, "tampered", code, stderr, 1, "FAILED (changed)", "first bad index: 3")
}
