package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/store"
)

// auditEnv is a config dir made by `warden init` whose audit log holds
// real records, indexed in the store as a gateway would index them.
type auditEnv struct {
	dir, cfg string
	c        *config.Config
	key      auditlog.Key
	logDir   string
	pub      string // the verifier key file
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	dir, cfg := initDirT(t)
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auditlog.LoadKey(c.Audit.SigningKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &auditEnv{dir: dir, cfg: cfg, c: c, key: key, logDir: gateway.LogDir(c.DataDir), pub: filepath.Join(dir, "keys", "audit.pub")}
}

// appendEntries appends raw entries, waits for them and closes the log
// (which waits for a checkpoint covering them), then indexes the log.
func (e *auditEnv) appendEntries(t *testing.T, entries ...[]byte) []uint64 {
	t.Helper()
	return e.appendEntriesIndex(t, true, entries...)
}

func (e *auditEnv) appendEntriesIndex(t *testing.T, index bool, entries ...[]byte) []uint64 {
	t.Helper()
	ctx := context.Background()
	l, err := auditlog.Open(ctx, auditlog.LogOptions{Dir: e.logDir, Signer: e.key.Signer, CheckpointInterval: 100 * time.Millisecond, Logger: discardLogger})
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*auditlog.Pending, len(entries))
	for i, entry := range entries {
		ps[i] = l.Append(entry)
	}
	idx := make([]uint64, len(entries))
	for i, p := range ps {
		if idx[i], err = p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !index {
		return idx
	}
	db, err := store.Open(ctx, e.c.Storage.Driver, string(e.c.Storage.DSN))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix := auditlog.Indexer{Origin: l.Origin(), Reader: l.Reader(), Store: db, Logger: discardLogger}
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// write logs records (in this order) and returns their indexes.
func (e *auditEnv) write(t *testing.T, recs ...*auditlog.Record) []uint64 {
	t.Helper()
	entries := make([][]byte, len(recs))
	for i, r := range recs {
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		entries[i] = b
	}
	return e.appendEntries(t, entries...)
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// reqRecord is a request record as the gateway writes one.
func reqRecord(n int, at time.Time, principal, model, decision string, status int) *auditlog.Record {
	return &auditlog.Record{
		ID: auditlog.NewID(at), Time: auditlog.Time(at), Kind: auditlog.KindRequest,
		Principal: &auditlog.Principal{ID: principal, Type: "api_key", KeyID: auditlog.Opt("key_" + principal), Groups: []string{"legal"}},
		SourceIP:  "203.0.113.7", Endpoint: "chat.completions",
		Model:     &auditlog.Model{Name: model, Version: "2026-10-01", Digest: "sha256:abc"},
		Namespace: "legal", Decision: decision,
		PromptHash:   auditlog.Opt(fmt.Sprintf("hmac-sha256:%064x", n)),
		ResponseHash: auditlog.Opt(fmt.Sprintf("hmac-sha256:%064x", n+1<<20)),
		Tokens:       &auditlog.Tokens{Prompt: 12, Completion: 34},
		LatencyMS:    &auditlog.Latency{Total: auditlog.Millis(12 * time.Millisecond), Upstream: auditlog.Millis(10 * time.Millisecond)},
		Status:       status, RequestID: auditlog.Opt(fmt.Sprintf("req_%06d", n)),
	}
}

// records makes n request records a minute apart from t0: principals
// alternate alice and bob; every tenth is a denial.
func records(from, n int) []*auditlog.Record {
	recs := make([]*auditlog.Record, n)
	for i := range n {
		k := from + i
		p, d, s := "alice", "allow", 200
		if k%2 == 1 {
			p = "bob"
		}
		if k%10 == 9 {
			d, s = "deny", 403
		}
		recs[i] = reqRecord(k, t0.Add(time.Duration(k)*time.Minute), p, "contract-analyzer", d, s)
	}
	return recs
}

// setConfig adds a line under the config's audit: section.
func (e *auditEnv) setAudit(t *testing.T, line string) {
	t.Helper()
	b, _ := os.ReadFile(e.cfg)
	s := strings.Replace(string(b), "audit:\n", "audit:\n  "+line+"\n", 1)
	if err := os.WriteFile(e.cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the tree src to dst (which must not exist).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// restoreDir replaces dst by a copy of src.
func restoreDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	copyDir(t, src, dst)
}

// splitEntries and joinEntries read and write an entry bundle.
func splitEntries(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint16(b))
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}

func joinEntries(entries [][]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

// editBundle rewrites the entry bundle file rel (under the log) with f.
func (e *auditEnv) editBundle(t *testing.T, rel string, f func([][]byte) [][]byte) {
	t.Helper()
	p := filepath.Join(e.logDir, filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, joinEntries(f(splitEntries(t, b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// oneLineErr checks a failure: exit code, one line on stderr naming want.
func oneLineErr(t *testing.T, what string, code int, stderr string, wantCode int, want ...string) {
	t.Helper()
	if code != wantCode || strings.Count(stderr, "\n") != 1 {
		t.Errorf("%s: exit %d, stderr %q; want exit %d and one line", what, code, stderr, wantCode)
		return
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr %q does not say %q", what, stderr, w)
		}
	}
}
