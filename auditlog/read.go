package auditlog

import (
	"context"
	"fmt"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api"
)

// ReadEntries returns entries of a log of size entries, as logged, from
// index from up to (not including) to, but no further than the end of
// from's entry bundle: callers read in rounds.
func ReadEntries(ctx context.Context, r tessera.LogReader, from, to, size uint64) ([][]byte, error) {
	to = min(to, size)
	if from >= to {
		return nil, nil
	}
	bundle := from / bundleWidth
	end := min(to, (bundle+1)*bundleWidth)
	var p uint8 // the bundle as stored for a tree of size: full, or partial
	if n := min(size, (bundle+1)*bundleWidth) - bundle*bundleWidth; n < bundleWidth {
		p = uint8(n)
	}
	raw, err := r.ReadEntryBundle(ctx, bundle, p)
	if err != nil {
		return nil, fmt.Errorf("audit log: reading entry bundle %d: %w", bundle, err)
	}
	var eb api.EntryBundle
	if err := eb.UnmarshalText(raw); err != nil {
		return nil, fmt.Errorf("audit log: entry bundle %d: %w", bundle, err)
	}
	if uint64(len(eb.Entries)) < end-bundle*bundleWidth {
		return nil, fmt.Errorf("audit log: entry bundle %d holds %d entries, want %d", bundle, len(eb.Entries), end-bundle*bundleWidth)
	}
	return eb.Entries[from-bundle*bundleWidth : end-bundle*bundleWidth], nil
}
