package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"k8s.io/klog/v2"

	"github.com/wardenhq/warden/auditlog/verify"
)

const testOrigin = "test.warden.example/audit"

// The test log's key pair, and another log's.
var (
	testSigner, testKey   = mustKey(testOrigin)
	otherSigner, otherKey = mustKey("other.example/audit")
)

// The interface Warden's own reader will be used through.
var _ verify.Source = tessera.LogReader(nil)

func mustKey(name string) (note.Signer, string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		panic(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return s, vkey
}

// entry returns the i'th test entry: a small JSON record of varying length.
func entry(i int) []byte {
	return fmt.Appendf(nil, `{"id":"aud_%07d","kind":"request","decision":"allow","status":200,"pad":%q}`, i, strings.Repeat("x", i%61))
}

func entries(from, to int) [][]byte {
	var es [][]byte
	for i := from; i < to; i++ {
		es = append(es, entry(i))
	}
	return es
}

// appendTessera appends es to the POSIX log in dir with Tessera (creating
// it if needed) and returns the checkpoint Tessera publishes for them when
// publish is set (shutdown waits for it), else nil.
func appendTessera(tb testing.TB, dir string, es [][]byte, publish bool) []byte {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		tb.Fatal(err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(testSigner).
		// One batch per call: Tessera does not keep batches in order when a
		// timer flush races a size flush, so many small batches could
		// sequence entries out of order under load.
		WithBatching(1<<13, 100*time.Millisecond).
		WithCheckpointInterval(100 * time.Millisecond).
		WithGarbageCollectionInterval(0) // tests remove partials themselves
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		tb.Fatal(err)
	}
	start, err := reader.IntegratedSize(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	futures := make([]tessera.IndexFuture, len(es))
	for i, e := range es {
		futures[i] = appender.Add(ctx, tessera.NewEntry(e))
	}
	for i, f := range futures {
		idx, err := f()
		if err != nil {
			tb.Fatal(err)
		}
		if want := start + uint64(i); idx.Index != want {
			tb.Fatalf("entry %d got index %d, want %d", i, idx.Index, want)
		}
	}
	if !publish {
		return nil
	}
	if err := shutdown(ctx); err != nil {
		tb.Fatal(err)
	}
	cp, err := reader.ReadCheckpoint(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

var (
	fixturesDir  string
	fixturesMu   sync.Mutex
	fixtureCache = map[int]string{}
)

func TestMain(m *testing.M) {
	// Tessera logs through klog; keep test output readable.
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	klogFlags.Set("logtostderr", "false")
	klogFlags.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	d, err := os.MkdirTemp("", "warden-verify-test-")
	if err != nil {
		panic(err)
	}
	fixturesDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// fixture returns a shared, read-only log of the first n test entries
// published by Tessera. Do not modify it: use copyFixture.
func fixture(tb testing.TB, n int) string {
	tb.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if d, ok := fixtureCache[n]; ok {
		return d
	}
	d := filepath.Join(fixturesDir, fmt.Sprint(n))
	appendTessera(tb, d, entries(0, n), true)
	fixtureCache[n] = d
	return d
}

// copyFixture returns a private copy of fixture n.
func copyFixture(tb testing.TB, n int) string {
	tb.Helper()
	src := fixture(tb, n)
	dst := tb.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func readCheckpoint(tb testing.TB, dir string) verify.Checkpoint {
	tb.Helper()
	cp, err := verify.ReadCheckpoint(context.Background(), verify.Dir(dir), testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

// signCheckpoint signs a checkpoint body for (size, root) with s.
func signCheckpoint(tb testing.TB, s note.Signer, origin string, size uint64, root tlog.Hash, ext ...string) []byte {
	tb.Helper()
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	for _, e := range ext {
		text += e + "\n"
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

// refTree is an in-memory tlog tree, the reference the verifier is
// compared with.
type refTree struct{ hashes []tlog.Hash }

func (r *refTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(r.hashes)) {
			return nil, errors.New("refTree: index out of range")
		}
		out[i] = r.hashes[x]
	}
	return out, nil
}

func (r *refTree) add(tb testing.TB, n int64, e []byte) {
	hs, err := tlog.StoredHashes(n, e, r)
	if err != nil {
		tb.Fatal(err)
	}
	r.hashes = append(r.hashes, hs...)
}

func newRefTree(tb testing.TB, es [][]byte) *refTree {
	r := &refTree{}
	for i, e := range es {
		r.add(tb, int64(i), e)
	}
	return r
}

func (r *refTree) root(tb testing.TB, n int64) tlog.Hash {
	if n == 0 {
		return tlog.Hash(sha256.Sum256(nil))
	}
	h, err := tlog.TreeHash(n, r)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// readBundleFile splits the entry bundle file at path.
func readBundleFile(tb testing.TB, path string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var es [][]byte
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint16(b))
		es = append(es, b[2:2+n])
		b = b[2+n:]
	}
	return es
}

func writeBundleFile(tb testing.TB, path string, es [][]byte) {
	tb.Helper()
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// wantError checks that err is an *verify.Error of kind k at index (any
// index if index < -1) whose message contains every one of words.
func wantError(tb testing.TB, err error, k verify.Kind, index int64, words ...string) *verify.Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", k)
	}
	var e *verify.Error
	if !errors.As(err, &e) {
		tb.Fatalf("got %T %v, want *verify.Error", err, err)
	}
	if e.Kind != k || !errors.Is(err, k) {
		tb.Fatalf("got kind %q (%v), want %q", e.Kind, err, k)
	}
	if index >= -1 && e.Index != index {
		tb.Fatalf("got index %d (%v), want %d", e.Index, err, index)
	}
	tb.Logf("%s: %v", k, err)
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			tb.Fatalf("error %q does not say %q", err, w)
		}
	}
	return e
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
