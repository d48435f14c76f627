package auditlog

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// testSigner returns a checkpoint signer and its verifier key.
func testSigner(tb testing.TB) (note.Signer, string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "test.example/audit")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, vkey
}

func openTestLog(tb testing.TB, dir string, s note.Signer) *Log {
	tb.Helper()
	l, err := Open(context.Background(), LogOptions{Dir: dir, Signer: s, CheckpointInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestLogAppend: concurrent appends get distinct, dense indexes; a
// reopened log continues where it stopped; Close publishes a checkpoint
// covering every record.
func TestLogAppend(t *testing.T) {
	dir := t.TempDir()
	s, vkey := testSigner(t)
	ctx := context.Background()
	seen := map[uint64]bool{}
	total := 0
	for round := 0; round < 2; round++ {
		l := openTestLog(t, dir, s)
		const n = 300
		idx := make([]uint64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				idx[i], err = l.Append([]byte(fmt.Sprintf(`{"n":%d,"round":%d}`, i, round))).Wait(ctx)
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, i := range idx {
			if seen[i] {
				t.Fatalf("index %d given twice", i)
			}
			seen[i] = true
		}
		total += n
		if err := l.Healthy(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append([]byte(`{}`)).Wait(ctx); err != ErrClosed {
			t.Fatalf("append after close: %v, want ErrClosed", err)
		}
		cp, err := l.Reader().ReadCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := note.NewVerifier(vkey)
		nt, err := note.Open(cp, note.VerifierList(v))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("test.example/audit\n%d\n", total); nt.Text[:len(want)] != want {
			t.Fatalf("checkpoint %q, want size %d", nt.Text, total)
		}
	}
	for i := range uint64(total) {
		if !seen[i] {
			t.Fatalf("index %d never given", i)
		}
	}
}

// TestLogOverload: past MaxInFlight, Append refuses at once.
func TestLogOverload(t *testing.T) {
	s, _ := testSigner(t)
	l, err := Open(context.Background(), LogOptions{Dir: t.TempDir(), Signer: s, MaxInFlight: 1, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	l.pending.Add(1) // one record is in flight
	if _, err := l.Append([]byte(`{}`)).Wait(context.Background()); err != ErrOverloaded {
		t.Fatalf("got %v, want ErrOverloaded", err)
	}
	if l.Healthy() != ErrOverloaded {
		t.Fatal("an overloaded log reports healthy")
	}
	l.pending.Add(-1)
}

// BenchmarkAppend measures records appended per second with many
// concurrent writers, each waiting for durability as sync mode does.
func BenchmarkAppend(b *testing.B) {
	s, _ := testSigner(b)
	l := openTestLog(b, b.TempDir(), s)
	defer l.Close(context.Background())
	entry := make([]byte, 600)
	for i := range entry {
		entry[i] = 'a'
	}
	b.SetParallelism(256)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(entry).Wait(context.Background()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// TestLoadKey: the verifier key derived from a signing key file is the one
// written beside it, for many keys (base64 with '+' and '/').
func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		path := fmt.Sprintf("%s/k%d.key", dir, i)
		if err := GenerateKey(path, "test.example/audit"); err != nil {
			t.Fatal(err)
		}
		k, err := LoadKey(path)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := os.ReadFile(fmt.Sprintf("%s/k%d.pub", dir, i))
		if k.Verifier+"\n" != string(pub) {
			t.Fatalf("derived %q, written %q", k.Verifier, pub)
		}
	}
}

// BenchmarkSyncWait measures what durability sync costs a response: the
// wait from appending a record to its being durable, with records arriving
// open-loop at 1000 per second (one every millisecond, whether or not the
// previous ones are done), as at 1000 RPS. It reports p50, p99 and max.
func BenchmarkSyncWait(b *testing.B) {
	s, _ := testSigner(b)
	l := openTestLog(b, b.TempDir(), s)
	defer l.Close(context.Background())
	entry := make([]byte, 600)
	for i := range entry {
		entry[i] = 'a'
	}
	waits := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if _, err := l.Append(entry).Wait(context.Background()); err != nil {
				b.Error(err)
			}
			waits[i] = time.Since(start)
		}()
	}
	wg.Wait()
	slices.Sort(waits)
	q := func(p float64) float64 { return float64(waits[int(p*float64(len(waits)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}
