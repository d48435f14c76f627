package verify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
)

// bundleWidth returns how many entries bundle b holds in a tree of size
// entries, and the partial width to ask for (0 for a full bundle).
func bundleWidth(b, size uint64) (n int, partial uint8) {
	if b < size/tileWidth {
		return tileWidth, 0
	}
	w := size % tileWidth
	return int(w), uint8(w)
}

// readBundle reads entry bundle b of a tree of size entries and splits it
// into its entries (sub-slices of one buffer).
func readBundle(ctx context.Context, src Source, b, size uint64) ([][]byte, error) {
	want, p := bundleWidth(b, size)
	raw, err := src.ReadEntryBundle(ctx, b, p)
	if err != nil {
		return nil, readBundleError(b, size, err)
	}
	return splitBundle(raw, b, want, p > 0, nil)
}

// readBundleError describes a failure to read bundle b.
func readBundleError(b, size uint64, err error) error {
	want, p := bundleWidth(b, size)
	first := int64(b * tileWidth)
	what := fmt.Sprintf("entry bundle %d (%s, entries %d..%d)", b, EntryBundlePath(b, p), first, first+int64(want)-1)
	if errors.Is(err, fs.ErrNotExist) {
		return fail(Missing, first, what+" is missing", err)
	}
	return fail(ReadFailed, first, "cannot read "+what, err)
}

// splitBundle splits an entry bundle (uint16 big-endian length || entry,
// repeated) and checks that it holds exactly want entries and nothing else.
// A full bundle is accepted for a partial one (a Source that did not cut it)
// and cut. The entries are appended to dst.
func splitBundle(raw []byte, b uint64, want int, partial bool, dst [][]byte) ([][]byte, error) {
	first := int64(b * tileWidth)
	entries := dst[:0]
	off := 0
	for off < len(raw) {
		i := first + int64(len(entries))
		if len(raw)-off < 2 {
			return nil, fail(BadBundle, i, fmt.Sprintf("entry bundle %d has %d stray byte(s) after its %d entries", b, len(raw)-off, len(entries)), nil)
		}
		n := int(binary.BigEndian.Uint16(raw[off:]))
		if len(raw)-off-2 < n {
			return nil, fail(Truncated, i, fmt.Sprintf("entry bundle %d is cut short: entry %d should have %d bytes, only %d remain", b, i, n, len(raw)-off-2), nil)
		}
		entries = append(entries, raw[off+2:off+2+n:off+2+n])
		off += 2 + n
	}
	switch got := len(entries); {
	case got == want:
		return entries, nil
	case got < want:
		return nil, fail(Truncated, first+int64(got), fmt.Sprintf("entry bundle %d (entries %d..%d) holds %d entries, want %d: entries were removed or the log was truncated",
			b, first, first+int64(want)-1, got, want), nil)
	case partial && got == tileWidth:
		return entries[:want], nil
	default:
		return nil, fail(BadBundle, first+int64(want), fmt.Sprintf("entry bundle %d (entries %d..%d) holds %d entries, want %d", b, first, first+int64(want)-1, got, want), nil)
	}
}
