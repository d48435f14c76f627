package verify_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/auditlog/verify"
)

const benchEntries = 1_000_000

// benchRecord is a ≈300-byte audit record in the shape docs/audit.md gives.
func benchRecord(i int) []byte {
	return fmt.Appendf(nil, `{"id":"aud_01J%013d","time":"2026-05-01T12:%02d:%02d.%03dZ","kind":"request",`+
		`"principal":{"id":"user%d","type":"api_key","key_id":"key_%06d","groups":["legal"]},"source_ip":"203.0.113.%d",`+
		`"model":{"name":"contract-analyzer","digest":null},`+
		`"decision":"allow","status":200,"tokens":{"prompt":%d,"completion":%d},"stream":%t}`,
		i, i/60000%60, i/1000%60, i%1000, i%97, i%5000, i%250, 100+i%900, i%300, i%2 == 0)
}

// benchRecordFields is what the json benchmark decodes a record into.
type benchRecordFields struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	Principal *struct {
		ID     string   `json:"id"`
		Type   string   `json:"type"`
		KeyID  string   `json:"key_id"`
		Groups []string `json:"groups"`
	} `json:"principal"`
	SourceIP string `json:"source_ip"`
	Model    *struct {
		Name   string  `json:"name"`
		Digest *string `json:"digest"`
	} `json:"model"`
	Decision string `json:"decision"`
	Status   int    `json:"status"`
	Tokens   *struct {
		Prompt     int `json:"prompt"`
		Completion int `json:"completion"`
	} `json:"tokens"`
	Stream bool `json:"stream"`
}

// benchLog returns a log of n records built with Tessera once and kept in
// os.TempDir() for later runs, and its verifier key.
func benchLog(b *testing.B, n int) (dir, vkey string) {
	b.Helper()
	dir = filepath.Join(os.TempDir(), fmt.Sprintf("warden-verify-bench-v1-%d", n))
	done := filepath.Join(dir, "bench-complete")
	if k, err := os.ReadFile(done); err == nil {
		return filepath.Join(dir, "log"), string(k)
	}
	os.RemoveAll(dir)
	b.Logf("building a %d-entry log in %s (once)", n, dir)
	start := time.Now()
	skey, vkey, err := note.GenerateKey(rand.Reader, "bench.warden.example/audit")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(dir, "log")})
	if err != nil {
		b.Fatal(err)
	}
	appender, shutdown, _, err := tessera.NewAppender(ctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(4096, 20*time.Millisecond).
		WithCheckpointInterval(time.Second).
		WithGarbageCollectionInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 1 << 16
	for from := 0; from < n; from += chunk {
		fs := make([]tessera.IndexFuture, 0, chunk)
		for i := from; i < min(from+chunk, n); i++ {
			fs = append(fs, appender.Add(ctx, tessera.NewEntry(benchRecord(i))))
		}
		for _, f := range fs {
			if _, err := f(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(done, []byte(vkey), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %v", time.Since(start).Round(time.Millisecond))
	return filepath.Join(dir, "log"), vkey
}

// BenchmarkVerify verifies a 1,000,000-entry log in full, parsing every
// record as JSON as `warden audit verify` does. The log is built on first
// use only (tens of seconds) and reused from os.TempDir() afterwards.
func BenchmarkVerify(b *testing.B) {
	dir, vkey := benchLog(b, benchEntries)
	src := verify.Dir(dir)
	cp, err := verify.ReadCheckpoint(context.Background(), src, vkey)
	if err != nil {
		b.Fatal(err)
	}
	if cp.Size != benchEntries {
		b.Fatalf("bench log has %d entries", cp.Size)
	}
	for _, mode := range []string{"hash", "json"} {
		b.Run(mode, func(b *testing.B) {
			var opts verify.Options
			if mode == "json" {
				opts.CheckEntry = func(_ uint64, e []byte) error {
					var r benchRecordFields
					return json.Unmarshal(e, &r)
				}
			}
			var rep verify.Report
			for b.Loop() {
				rep, err = verify.Log(context.Background(), src, cp, opts)
				if err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(rep.Entries)/per.Seconds(), "entries/s")
			b.ReportMetric(per.Seconds()*1e6/float64(rep.Entries), "s/1M")
			b.ReportMetric(float64(rep.Bytes)/float64(rep.Entries), "B/entry")
		})
	}
}
