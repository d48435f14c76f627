package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// NewTileReader returns a tlog.TileReader (height 8) over src's hash tiles.
// tlog's tiles are C2SP hash tiles under another path (tile/8/L/N); this one
// reads tile/L/N. Wrap it with tlog.TileHashReader(cp.Tree(), r) so that
// every tile is authenticated against a checkpoint before use. It keeps
// authenticated tiles in memory (up to 4096 of them).
func NewTileReader(ctx context.Context, src Source) tlog.TileReader {
	return &tileReader{ctx: ctx, src: src, saved: map[tlog.Tile][]byte{}}
}

// hashReader returns a HashReader whose hashes are proven to be in cp's tree.
func hashReader(ctx context.Context, src Source, cp Checkpoint) tlog.HashReader {
	return tlog.TileHashReader(cp.Tree(), NewTileReader(ctx, src))
}

const maxSavedTiles = 4096

type tileReader struct {
	ctx   context.Context
	src   Source
	mu    sync.Mutex
	saved map[tlog.Tile][]byte
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	for _, t := range tiles {
		if t.H != tileHeight || t.L < 0 || t.L > 63 || t.N < 0 || t.W < 1 || t.W > tileWidth {
			return nil, fail(BadRequest, -1, fmt.Sprintf("cannot read tile %+v", t), nil)
		}
	}
	data := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // tiles are small; overlap the latency of HTTP reads
	for i, t := range tiles {
		r.mu.Lock()
		b, ok := r.saved[t]
		r.mu.Unlock()
		if ok {
			data[i] = b
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data[i], errs[i] = readTile(r.ctx, r.src, uint64(t.L), uint64(t.N), t.W)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.saved)+len(tiles) > maxSavedTiles {
		clear(r.saved)
	}
	for i, t := range tiles {
		if i < len(data) {
			r.saved[t] = data[i]
		}
	}
}

// readTile reads the hash tile (level, index) of width w (1..256), accepting
// a full tile for a partial one and cutting it.
func readTile(ctx context.Context, src Source, level, index uint64, w int) ([]byte, error) {
	p := uint8(0)
	if w < tileWidth {
		p = uint8(w)
	}
	name := TilePath(level, index, p)
	b, err := src.ReadTile(ctx, level, index, p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail(Missing, -1, "hash tile "+name+" is missing", err)
		}
		return nil, fail(ReadFailed, -1, "cannot read hash tile "+name, err)
	}
	switch {
	case len(b) == w*hashSize:
		return b, nil
	case p > 0 && len(b) == maxTileSize:
		return b[:w*hashSize], nil
	default:
		return nil, fail(BadTiles, -1, fmt.Sprintf("hash tile %s has %d bytes, want %d", name, len(b), w*hashSize), nil)
	}
}

// tileError describes an error from a tile-backed tlog.HashReader.
func tileError(err error, doing string) error {
	if _, ok := asError(err); ok {
		return err
	}
	return fail(BadTiles, -1, "hash tiles do not match the checkpoint ("+doing+")", err)
}
