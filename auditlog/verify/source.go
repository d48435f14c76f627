package verify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Layout constants of C2SP tlog-tiles.
const (
	tileHeight  = 8
	tileWidth   = 1 << tileHeight // hashes in a full tile, entries in a full bundle
	hashSize    = 32
	maxEntry    = 1<<16 - 1                  // an entry's length is a uint16
	maxTileSize = tileWidth * hashSize       // 8 KiB
	maxBundle   = tileWidth * (2 + maxEntry) // ≈ 16 MiB
	maxNoteSize = 1 << 20                    // generous for a checkpoint
)

// Source reads the resources of a C2SP tlog-tiles log. Tessera's LogReader
// satisfies it.
//
// ReadTile and ReadEntryBundle read tile/<level>/<N> and tile/entries/<N>,
// or their partial versions "<N>.p/<W>" when partialWidth W > 0. A missing
// resource must give an error that satisfies errors.Is(err, fs.ErrNotExist).
// Because Tessera removes a partial resource once the full one exists, a
// Source asked for a missing partial should return the full resource,
// preferably cut to W hashes or entries as [Dir] and [HTTP] do; the
// verifier cuts an uncut one itself.
type Source interface {
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	ReadTile(ctx context.Context, level, index uint64, partialWidth uint8) ([]byte, error)
	ReadEntryBundle(ctx context.Context, index uint64, partialWidth uint8) ([]byte, error)
}

// TilePath returns the path of a hash tile relative to the log's root:
// tile/<level>/<N>[.p/<W>], N written as in C2SP tlog-tiles
// (1234067 → x001/x234/067).
func TilePath(level, index uint64, partialWidth uint8) string {
	return "tile/" + strconv.FormatUint(level, 10) + "/" + tileN(index, partialWidth)
}

// EntryBundlePath returns the path of an entry bundle relative to the log's
// root: tile/entries/<N>[.p/<W>].
func EntryBundlePath(index uint64, partialWidth uint8) string {
	return "tile/entries/" + tileN(index, partialWidth)
}

// tileN encodes N in groups of three digits, all but the last prefixed with
// "x", plus the partial suffix.
func tileN(n uint64, w uint8) string {
	var groups []string
	for {
		groups = append(groups, fmt.Sprintf("%03d", n%1000))
		n /= 1000
		if n == 0 {
			break
		}
	}
	var b strings.Builder
	for i := len(groups) - 1; i >= 0; i-- {
		if i > 0 {
			b.WriteByte('x')
		}
		b.WriteString(groups[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	if w > 0 {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(int(w)))
	}
	return b.String()
}

// Dir is a Source reading a log directory on disk (Tessera's POSIX layout).
type Dir string

// ReadCheckpoint reads <dir>/checkpoint.
func (d Dir) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return d.read("checkpoint", maxNoteSize)
}

// ReadTile reads a hash tile, falling back to the full tile cut to W hashes
// when the partial one is gone.
func (d Dir) ReadTile(ctx context.Context, level, index uint64, w uint8) ([]byte, error) {
	return partialOrFull(w, cutTile, func(w uint8) ([]byte, error) {
		return d.read(TilePath(level, index, w), maxTileSize)
	})
}

// ReadEntryBundle reads an entry bundle, falling back to the full bundle
// cut to W entries when the partial one is gone.
func (d Dir) ReadEntryBundle(ctx context.Context, index uint64, w uint8) ([]byte, error) {
	return partialOrFull(w, cutBundle, func(w uint8) ([]byte, error) {
		return d.read(EntryBundlePath(index, w), maxBundle)
	})
}

func (d Dir) read(p string, limit int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(p)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit, p)
}

// HTTPSource is a Source reading a log served under a base URL, e.g.
// https://warden.example/audit/.
type HTTPSource struct {
	base   *url.URL
	client *http.Client
	// Header is added to every request (for example Authorization).
	Header http.Header
}

// HTTP returns a Source for the log served under baseURL, using client
// (http.DefaultClient if nil).
func HTTP(baseURL string, client *http.Client) (*HTTPSource, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fail(BadRequest, -1, "bad log URL", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fail(BadRequest, -1, fmt.Sprintf("log URL %q is not http or https", baseURL), nil)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	if client == nil {
		client = http.DefaultClient
	}
	return &HTTPSource{base: u, client: client, Header: http.Header{}}, nil
}

// ReadCheckpoint fetches <base>/checkpoint.
func (h *HTTPSource) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return h.get(ctx, "checkpoint", maxNoteSize)
}

// ReadTile fetches a hash tile, falling back to the full tile cut to W
// hashes when the partial one is gone (404).
func (h *HTTPSource) ReadTile(ctx context.Context, level, index uint64, w uint8) ([]byte, error) {
	return partialOrFull(w, cutTile, func(w uint8) ([]byte, error) {
		return h.get(ctx, TilePath(level, index, w), maxTileSize)
	})
}

// ReadEntryBundle fetches an entry bundle, falling back to the full bundle
// cut to W entries when the partial one is gone (404).
func (h *HTTPSource) ReadEntryBundle(ctx context.Context, index uint64, w uint8) ([]byte, error) {
	return partialOrFull(w, cutBundle, func(w uint8) ([]byte, error) {
		return h.get(ctx, EntryBundlePath(index, w), maxBundle)
	})
}

func (h *HTTPSource) get(ctx context.Context, p string, limit int64) ([]byte, error) {
	u := h.base.ResolveReference(&url.URL{Path: p})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range h.Header {
		req.Header[k] = vs
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return readLimited(resp.Body, limit, u.String())
	case http.StatusNotFound:
		return nil, fmt.Errorf("GET %s: %s: %w", u, resp.Status, fs.ErrNotExist)
	default:
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
}

func readLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// partialOrFull reads the partial resource of width w, or, if w > 0 and it
// does not exist, the full resource cut to w.
func partialOrFull(w uint8, cut func([]byte, int) []byte, read func(uint8) ([]byte, error)) ([]byte, error) {
	b, err := read(w)
	if w == 0 || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	b, err2 := read(0)
	if err2 != nil {
		if errors.Is(err2, fs.ErrNotExist) {
			return nil, fmt.Errorf("neither partial nor full resource: %w", err)
		}
		return nil, err2
	}
	return cut(b, int(w)), nil
}

// cutTile returns the first w hashes of a full tile (data unchanged if it is
// not a full tile, for the caller to reject).
func cutTile(b []byte, w int) []byte {
	if len(b) != maxTileSize {
		return b
	}
	return b[:w*hashSize]
}

// cutBundle returns the first w entries of a bundle (data unchanged if it
// has fewer, for the caller to reject).
func cutBundle(b []byte, w int) []byte {
	off := 0
	for range w {
		if len(b)-off < 2 {
			return b
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		if len(b)-off-2 < n {
			return b
		}
		off += 2 + n
	}
	return b[:off]
}
