package verify_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/wardenhq/warden/auditlog/verify"
)

func TestPaths(t *testing.T) {
	for _, c := range []struct {
		level, n uint64
		w        uint8
		want     string
	}{
		{0, 0, 0, "tile/0/000"},
		{0, 5, 0, "tile/0/005"},
		{1, 999, 0, "tile/1/999"},
		{0, 1000, 0, "tile/0/x001/000"},
		{0, 1234067, 0, "tile/0/x001/x234/067"},
		{3, 1234067, 8, "tile/3/x001/x234/067.p/8"},
		{0, 1 << 63, 255, "tile/0/x009/x223/x372/x036/x854/x775/808.p/255"},
	} {
		if got := verify.TilePath(c.level, c.n, c.w); got != c.want {
			t.Errorf("TilePath(%d, %d, %d) = %q, want %q", c.level, c.n, c.w, got, c.want)
		}
	}
	if got := verify.EntryBundlePath(1234067, 3); got != "tile/entries/x001/x234/067.p/3" {
		t.Errorf("EntryBundlePath = %q", got)
	}
	// Same as Tessera's layout package, over many values.
	for n := uint64(0); n < 1<<40; n = n*3 + 1 {
		for _, w := range []uint8{0, 1, 128, 255} {
			if a, b := verify.TilePath(2, n, w), layout.TilePath(2, n, w); a != b {
				t.Fatalf("TilePath %q, Tessera %q", a, b)
			}
			if a, b := verify.EntryBundlePath(n, w), layout.EntriesPath(n, w); a != b {
				t.Fatalf("EntryBundlePath %q, Tessera %q", a, b)
			}
		}
	}
}

// httpSource serves dir at prefix with http.FileServer and returns an
// HTTPSource for it that must send an Authorization header.
func httpSource(t *testing.T, dir, prefix string) *verify.HTTPSource {
	t.Helper()
	files := http.StripPrefix(strings.TrimSuffix(prefix, "/"), http.FileServer(http.Dir(dir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	src, err := verify.HTTP(srv.URL+strings.TrimSuffix(prefix, "/"), srv.Client()) // no trailing slash: HTTP adds it
	if err != nil {
		t.Fatal(err)
	}
	src.Header.Set("Authorization", "Bearer test")
	return src
}

func TestHTTPSource(t *testing.T) {
	t.Parallel()
	dir := fixture(t, 1000)
	src := httpSource(t, dir, "/audit/")
	cp, err := verify.ReadCheckpoint(ctx, src, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 1000 {
		t.Fatalf("size %d", cp.Size)
	}
	if _, err := verify.Log(ctx, src, cp, verify.Options{}); err != nil {
		t.Fatal(err)
	}
	p, e, err := verify.ProveInclusion(ctx, src, cp, 777)
	if err != nil || verify.CheckInclusion(cp, 777, e, p) != nil || string(e) != string(entry(777)) {
		t.Fatalf("proof: %v", err)
	}

	// A missing resource is fs.ErrNotExist; other statuses are read errors.
	if _, err := src.ReadEntryBundle(ctx, 9, 0); !isNotExist(err) {
		t.Fatalf("missing bundle: %v", err)
	}
	bad := *src
	bad.Header = nil
	_, err = verify.Log(ctx, &bad, cp, verify.Options{})
	wantError(t, err, verify.ReadFailed, 0, "cannot read entry bundle 0", "401")

	// A tampered bundle served over HTTP is caught too.
	dir2 := copyFixture(t, 1000)
	pth := bundlePath(dir2, 2, 0)
	es := readBundleFile(t, pth)
	es[1][4] ^= 1
	writeBundleFile(t, pth, es)
	_, err = verify.Log(ctx, httpSource(t, dir2, "/"), cp, verify.Options{})
	wantError(t, err, verify.Changed, 513)

	for _, u := range []string{"ftp://x/", "://"} {
		if _, err := verify.HTTP(u, nil); err == nil {
			t.Errorf("HTTP(%q) accepted", u)
		}
	}
}

func TestDirSource(t *testing.T) {
	t.Parallel()
	dir := fixture(t, 257)
	d := verify.Dir(dir)
	b, err := d.ReadEntryBundle(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "tile/entries/001.p/1"))
	if string(b) != string(want) {
		t.Fatal("partial bundle differs from file")
	}
	if _, err := d.ReadTile(ctx, 0, 7, 0); !isNotExist(err) {
		t.Fatalf("missing tile: %v", err)
	}
	if _, err := d.ReadTile(ctx, 0, 7, 3); !isNotExist(err) {
		t.Fatalf("missing partial tile without full: %v", err)
	}
	if _, err := verify.Dir(t.TempDir()).ReadCheckpoint(ctx); !isNotExist(err) {
		t.Fatalf("missing checkpoint: %v", err)
	}
}
