package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

// TestKeysActsAreAudited: keys create, rotate and revoke, done offline,
// each leave an admin record in the local log, searchable, provable and
// verifiable at once.
func TestKeysActsAreAudited(t *testing.T) {
	e := newAuditEnv(t)
	e.write(t, records(0, 3)...) // a log with gateway records already
	code, out, stderr := cli(t, "keys", "create", "--config", e.cfg, "--name", "ci", "--role", "user", "--json")
	var created struct{ ID, Key string }
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil || stderr != "" {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := cli(t, "keys", "rotate", "--config", e.cfg, created.ID); code != 0 {
		t.Fatalf("rotate: %s", stderr)
	}
	if code, _, stderr := cli(t, "keys", "revoke", "--config", e.cfg, created.ID); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	// Failed acts change nothing and leave no record.
	if code, _, _ := cli(t, "keys", "revoke", "--config", e.cfg, "key_nope"); code != 1 {
		t.Fatal("revoke of an unknown key")
	}
	if code, _, _ := cli(t, "keys", "list", "--config", e.cfg); code != 0 {
		t.Fatal("list")
	}

	code, out, stderr = cli(t, "audit", "search", "--config", e.cfg, "--kind", "admin", "--format", "json")
	var recs []struct {
		Index uint64 `json:"index"`
		auditlog.Record
	}
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 3 {
		t.Fatalf("admin records: %d %s %s", code, out, stderr)
	}
	want := []struct{ action, detail string }{{"keys.revoke", ""}, {"keys.rotate", ""}, {"keys.create", "role=user"}} // newest first
	for i, r := range recs {
		if r.Kind != "admin" || r.Admin == nil || r.Admin.Action != want[i].action || string(r.Admin.Target) != created.ID ||
			string(r.Admin.Detail) != want[i].detail || r.Principal == nil || r.Principal.Type != "cli" ||
			!strings.HasPrefix(r.Principal.ID, "cli:") || len(r.Principal.ID) <= len("cli:") ||
			r.Decision != "allow" || r.Status != 0 || r.Endpoint != "" || r.Index != uint64(5-i) {
			t.Errorf("record %d: %+v admin %+v principal %+v", i, r.Record, r.Admin, r.Principal)
		}
	}
	if strings.Contains(out, created.Key) {
		t.Fatal("a record carries the key's secret")
	}
	// The raw entry has endpoint null, as documented records of admin acts do.
	if !strings.Contains(out, `"endpoint":null`) {
		t.Errorf("endpoint not null: %s", out)
	}
	// Covered by a checkpoint as soon as the command returns.
	if code, _, stderr := cli(t, "audit", "proof", "--config", e.cfg, "5"); code != 0 {
		t.Fatalf("proof of the revoke record: %s", stderr)
	}
	if code, out, stderr := cli(t, "audit", "verify", "--config", e.cfg); code != 0 || !strings.Contains(out, "6 records") {
		t.Fatalf("verify: %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, "audit", "search", "--config", e.cfg, "--kind", "admin", "--limit", "1")
	if code != 0 || !strings.Contains(out, "admin:keys.revoke") {
		t.Fatalf("table shows the admin action: %s", out)
	}
}

// TestKeysActRefusedWithoutAuditLog: a log that cannot take records stops
// the act before anything is done (audit.fail_mode closed), or is a
// warning (open).
func TestKeysActRefusedWithoutAuditLog(t *testing.T) {
	e := newAuditEnv(t)
	code, out, _ := cli(t, "keys", "create", "--config", e.cfg, "--name", "ci", "--role", "user", "--json")
	var created struct{ ID, Key string }
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("create: %d", code)
	}
	// The log's directory replaced by a file: the log cannot be opened.
	os.RemoveAll(e.logDir)
	os.WriteFile(e.logDir, []byte("not a directory"), 0o600)
	code, out, stderr := cli(t, "keys", "revoke", "--config", e.cfg, created.ID)
	oneLineErr(t, "revoke", code, stderr, 1, "keys revoke: not done", "audit log cannot take the record")
	if out != "" {
		t.Fatalf("stdout: %q", out)
	}
	code, out, _ = cli(t, "keys", "list", "--config", e.cfg, "--json")
	var keys []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || keys[0]["revoked"] != false {
		t.Fatalf("the key was revoked anyway: %s", out)
	}
	code, _, stderr = cli(t, "keys", "create", "--config", e.cfg, "--name", "x", "--role", "user")
	oneLineErr(t, "create", code, stderr, 1, "keys create: not done")
	if _, out, _ := cli(t, "keys", "list", "--config", e.cfg, "--json"); strings.Count(out, `"id"`) != 1 {
		t.Fatalf("a key was created anyway: %s", out)
	}

	e.setAudit(t, "fail_mode: open")
	code, out, stderr = cli(t, "keys", "revoke", "--config", e.cfg, created.ID)
	if code != 0 || !strings.Contains(out, "Revoked") || !strings.Contains(stderr, "warning: going ahead without an audit record (audit.fail_mode: open)") {
		t.Fatalf("fail_mode open: %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(e.logDir, "checkpoint")); err == nil {
		t.Fatal("log written")
	}
}

// TestActRecordMissing: when the record cannot be appended after the act,
// record says so (the command then exits 1 naming the act done).
func TestActRecordMissing(t *testing.T) {
	e := newAuditEnv(t)
	ctx := t.Context()
	b, err := openBackends(ctx, e.c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var stderr strings.Builder
	a, err := openActAudit(ctx, "keys revoke", e.c, b, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	a.log.Close(ctx) // the log goes away between the act and its record
	if err := a.record(ctx, "keys.revoke", "key_x", ""); err == nil || !strings.Contains(err.Error(), "audit record (id aud_") || !strings.Contains(err.Error(), "could not be written") {
		t.Fatalf("record: %v", err)
	}
}

// TestKeysActWhileServing: while a gateway holds the log, an offline act
// hands its record to it through the spool, and the gateway appends it.
func TestKeysActWhileServing(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	l, err := auditlog.Open(ctx, auditlog.LogOptions{Dir: e.logDir, Signer: e.key.Signer, CheckpointInterval: 100 * time.Millisecond, Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	code, out, stderr := cli(t, "keys", "create", "--config", e.cfg, "--name", "ci", "--role", "user", "--json")
	if code != 0 || !strings.Contains(stderr, "handed to it") {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Size() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not append the spooled record")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRetentionRun: warden retention run purges (nothing, here) and
// records the run.
func TestRetentionRun(t *testing.T) {
	e := newAuditEnv(t)
	code, out, stderr := cli(t, "retention", "run", "--config", e.cfg, "--json")
	if code != 0 || !strings.Contains(out, `"payloads_deleted":0`) {
		t.Fatalf("retention run: %d %q %q", code, out, stderr)
	}
	code, out, _ = cli(t, "audit", "search", "--config", e.cfg, "--kind", "admin", "--format", "json")
	if code != 0 || !strings.Contains(out, `"action":"retention.run"`) {
		t.Fatalf("the run is not recorded: %s", out)
	}
}

// TestHoldsCLI: holds are placed, listed and released offline, each act
// recorded.
func TestHoldsCLI(t *testing.T) {
	e := newAuditEnv(t)
	code, out, stderr := cli(t, "holds", "create", "--config", e.cfg, "--case", "case-9", "--principal", "apikey:key_1", "--since", "2026-01-01", "--json")
	var h struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &h) != nil || !h.Active {
		t.Fatalf("create: %d %q %q", code, out, stderr)
	}
	if code, _, _ := cli(t, "holds", "create", "--config", e.cfg); code != 2 {
		t.Fatal("a hold without a case")
	}
	if code, out, _ := cli(t, "holds", "list", "--config", e.cfg); code != 0 || !strings.Contains(out, h.ID) || !strings.Contains(out, "active") {
		t.Fatalf("list: %s", out)
	}
	if code, _, stderr := cli(t, "holds", "release", "--config", e.cfg, h.ID); code != 0 {
		t.Fatalf("release: %s", stderr)
	}
	if code, _, _ := cli(t, "holds", "release", "--config", e.cfg, h.ID); code != 1 {
		t.Fatal("released twice")
	}
	_, out, _ = cli(t, "audit", "search", "--config", e.cfg, "--kind", "admin", "--format", "json")
	if !strings.Contains(out, `"action":"holds.create"`) || !strings.Contains(out, `"action":"holds.release"`) {
		t.Fatalf("hold acts not recorded: %s", out)
	}
}

// TestApprovalsCLI: approvals are listed and decided offline, each
// decision recorded.
func TestApprovalsCLI(t *testing.T) {
	e := newAuditEnv(t)
	ctx := context.Background()
	db, err := store.Open(ctx, e.c.Storage.Driver, string(e.c.Storage.DSN))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	k, err := kms.Open(ctx, e.c.KMS, e.c.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	keeper := &retention.Keeper{Sealer: &seal.Sealer{Ring: k.KeyRing()}, Store: db, Classes: e.c.Classifications}
	pending := store.Approval{ID: store.NewApprovalID(), Binding: "b", Principal: "apikey:key_1", Model: "demo", Reasons: []string{"model"}, Preview: "hello [EMAIL_1]", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := keeper.SealPreview(ctx, &pending); err != nil {
		t.Fatal(err)
	}
	k.Close()
	a, _ := db.CreateApproval(ctx, pending)
	d, _ := db.CreateApproval(ctx, store.Approval{Binding: "c", Principal: "apikey:key_1", Model: "demo", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	db.Close()
	if code, out, _ := cli(t, "approvals", "list", "--config", e.cfg); code != 0 || !strings.Contains(out, a.ID) || !strings.Contains(out, "hello [EMAIL_1]") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, stderr := cli(t, "approvals", "approve", "--config", e.cfg, a.ID, "--reason", "fine"); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %d %q %q", code, out, stderr)
	}
	if code, _, _ := cli(t, "approvals", "approve", "--config", e.cfg, a.ID); code != 1 {
		t.Fatal("approved twice")
	}
	if code, out, _ := cli(t, "approvals", "deny", "--config", e.cfg, d.ID, "--json"); code != 0 || !strings.Contains(out, `"status":"denied"`) {
		t.Fatalf("deny: %d %s", code, out)
	}
	if code, _, _ := cli(t, "approvals", "deny", "--config", e.cfg, "apr_nope"); code != 1 {
		t.Fatal("an unknown approval")
	}
	_, out, _ := cli(t, "audit", "search", "--config", e.cfg, "--kind", "admin", "--format", "json")
	if !strings.Contains(out, `"action":"approvals.approve"`) || !strings.Contains(out, `"action":"approvals.deny"`) {
		t.Fatalf("decisions not recorded: %s", out)
	}
}
