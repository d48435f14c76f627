package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entriesOf reads records [0, n) of a closed log.
func entriesOf(t *testing.T, l *Log, n uint64) []string {
	t.Helper()
	out := make([]string, n)
	for i := range n {
		e, err := l.entryAt(context.Background(), i, n)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out[i] = string(e)
	}
	return out
}

func record(i int) []byte {
	r := &Record{ID: fmt.Sprintf("aud_%d", i), Time: Time(time.Unix(1, 0)), Kind: KindRequest}
	b, _ := r.Marshal()
	return b
}

// TestWALRecovery: records durable in the write-ahead log but not yet in
// the tree (a crash between the two) are integrated on the next Open, at
// the indexes they were given; a torn last frame is ignored; a log that
// does not continue the tree, or contradicts it, is refused.
func TestWALRecovery(t *testing.T) {
	ctx := context.Background()
	s, _ := testSigner(t)

	setup := func(t *testing.T) string {
		dir := t.TempDir() + "/log"
		l := openTestLog(t, dir, s)
		for i := range 10 {
			if _, err := l.Append(record(i)).Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	// leave writes records to the write-ahead log only, as a process that
	// died before integrating them would have left them.
	leave := func(t *testing.T, dir string, first uint64, entries ...[]byte) string {
		w, err := startWAL(WALDir(dir), first)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.write(first, entries); err != nil {
			t.Fatal(err)
		}
		w.close()
		return filepath.Join(WALDir(dir), segmentName(first))
	}

	t.Run("integrated at their indexes", func(t *testing.T) {
		dir := setup(t)
		seg := leave(t, dir, 10, record(10), record(11), record(12))
		// A frame cut short by the crash follows.
		f, _ := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
		f.Write([]byte{0, 0, 1, 0, 9, 9})
		f.Close()
		l := openTestLog(t, dir, s)
		if l.Size() != 13 {
			t.Fatalf("size %d after recovery, want 13", l.Size())
		}
		idx, err := l.Append(record(13)).Wait(ctx)
		if err != nil || idx != 13 {
			t.Fatalf("next record at %d (%v), want 13", idx, err)
		}
		l.Close(ctx)
		got := entriesOf(t, l, 14)
		for i := range 14 {
			if got[i] != string(record(i)) {
				t.Fatalf("record %d is %s", i, got[i])
			}
		}
		if segs, _ := segments(WALDir(dir)); len(segs) != 1 {
			t.Fatalf("segments left: %v", segs)
		}
	})
	t.Run("already integrated records are checked", func(t *testing.T) {
		dir := setup(t)
		leave(t, dir, 8, record(8), record(9), record(10))
		l := openTestLog(t, dir, s)
		if l.Size() != 11 {
			t.Fatalf("size %d, want 11", l.Size())
		}
		l.Close(ctx)
	})
	t.Run("a gap is refused", func(t *testing.T) {
		dir := setup(t)
		leave(t, dir, 12, record(12))
		if _, err := Open(ctx, LogOptions{Dir: dir, Signer: s}); err == nil || !strings.Contains(err.Error(), "resumes at record 12") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a contradiction is refused", func(t *testing.T) {
		dir := setup(t)
		leave(t, dir, 9, []byte(`{"id":"aud_other","time":"1970-01-01T00:00:01.000Z","kind":"request"}`))
		if _, err := Open(ctx, LogOptions{Dir: dir, Signer: s}); err == nil || !strings.Contains(err.Error(), "another writer") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestWriterLock: one process writes a log; another gets ErrLocked and
// hands its records over through the spool, which the writer appends.
func TestWriterLock(t *testing.T) {
	ctx := context.Background()
	s, _ := testSigner(t)
	dir := t.TempDir() + "/log"
	l := openTestLog(t, dir, s)
	defer l.Close(ctx)
	if _, err := Open(ctx, LogOptions{Dir: dir, Signer: s}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := Spool(dir, "aud_spooled", record(1)); err != nil {
		t.Fatal(err)
	}
	if err := Spool(dir, "aud_junk", []byte("not a record")); err == nil {
		t.Fatal("spooled something that is not a record")
	}
	// The record is appended, then its spool file removed: wait for both.
	deadline := time.Now().Add(3 * time.Second)
	for {
		names, _ := os.ReadDir(SpoolDir(dir))
		if l.Size() >= 1 && len(names) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3s: %d records, spool %v", l.Size(), names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIntegrationFailure: when the tree cannot be written, records stay
// durable in the write-ahead log, the log reports itself unhealthy, and
// once the disk is back it integrates them without being asked.
func TestIntegrationFailure(t *testing.T) {
	ctx := context.Background()
	s, _ := testSigner(t)
	dir := t.TempDir() + "/log"
	l := openTestLog(t, dir, s)
	defer l.Close(ctx)
	if _, err := l.Append(record(0)).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { n, _ := l.reader.IntegratedSize(ctx); return n == 1 })
	entries := filepath.Join(dir, "tile", "entries")
	os.Rename(entries, entries+".aside")
	os.WriteFile(entries, []byte("not a directory"), 0o600)
	if _, err := l.Append(record(1)).Wait(ctx); err != nil {
		t.Fatalf("a record is durable whatever the tree: %v", err)
	}
	waitFor(t, func() bool { return l.Healthy() != nil })
	os.Remove(entries)
	os.Rename(entries+".aside", entries)
	waitFor(t, func() bool { return l.Healthy() == nil })
	if n, _ := l.reader.IntegratedSize(ctx); n != 2 {
		t.Fatalf("integrated %d records after the repair, want 2", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWALSegmentSurvivesEmptyRuns: a run that wrote nothing leaves an
// empty segment named for the next record; the next run must write into
// a segment that is on disk, not one it deleted (review finding).
func TestWALSegmentSurvivesEmptyRuns(t *testing.T) {
	ctx := context.Background()
	s, _ := testSigner(t)
	dir := t.TempDir() + "/log"
	l := openTestLog(t, dir, s)
	for i := range 3 {
		l.Append(record(i)).Wait(ctx)
	}
	l.Close(ctx)
	openTestLog(t, dir, s).Close(ctx) // no records
	l = openTestLog(t, dir, s)
	defer l.Close(ctx)
	if idx, err := l.Append(record(3)).Wait(ctx); err != nil || idx != 3 {
		t.Fatalf("append: %d %v", idx, err)
	}
	held, err := readWAL(WALDir(dir))
	if err != nil || len(held) != 1 || held[0].index != 3 {
		t.Fatalf("the write-ahead log on disk holds %+v (%v), want record 3", held, err)
	}
}

// TestAppendRefusedWhenFarBehind: while integration fails, the records
// waiting for it are bounded; past the bound Append refuses.
func TestAppendRefusedWhenFarBehind(t *testing.T) {
	ctx := context.Background()
	s, _ := testSigner(t)
	dir := t.TempDir() + "/log"
	l := openTestLog(t, dir, s)
	defer l.Close(ctx)
	l.maxBehind = 1
	l.behind.Add(1) // as if one byte were waiting for integration
	if _, err := l.Append(record(0)).Wait(ctx); err != ErrOverloaded {
		t.Fatalf("got %v, want ErrOverloaded", err)
	}
	if l.Healthy() != ErrOverloaded {
		t.Fatal("healthy while far behind")
	}
	l.behind.Add(-1)
}
