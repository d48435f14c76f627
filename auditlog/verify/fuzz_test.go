package verify_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/wardenhq/warden/auditlog/verify"
)

// overlay is a Source that serves a log directory with one entry bundle
// and one hash tile replaced.
type overlay struct {
	verify.Dir
	bundle     uint64
	bundleData []byte
	tileData   []byte // level 0, index 0
}

func (o overlay) ReadEntryBundle(ctx context.Context, index uint64, w uint8) ([]byte, error) {
	if index == o.bundle {
		return o.bundleData, nil
	}
	return o.Dir.ReadEntryBundle(ctx, index, w)
}

func (o overlay) ReadTile(ctx context.Context, level, index uint64, w uint8) ([]byte, error) {
	if level == 0 && index == 0 {
		return o.tileData, nil
	}
	return o.Dir.ReadTile(ctx, level, index, w)
}

// FuzzVerifyLog feeds the verifier arbitrary entry bundles (the full first
// one, or the partial second) and an arbitrary hash tile in a log of 300
// entries: it must never panic, must accept the log only when the bundle
// is the genuine one byte for byte (whatever the tile says, since tiles
// are only consulted to locate a change), and a change it locates must lie
// in the bundle that was replaced.
func FuzzVerifyLog(f *testing.F) {
	dir := fixture(f, 300)
	cp := readCheckpoint(f, dir)
	ctx := context.Background()
	src := verify.Dir(dir)
	genuine := [2][]byte{}
	for i, w := range []uint8{0, 300 - 256} {
		b, err := src.ReadEntryBundle(ctx, uint64(i), w)
		if err != nil {
			f.Fatal(err)
		}
		genuine[i] = b
	}
	genuineTile, err := src.ReadTile(ctx, 0, 0, 0)
	if err != nil {
		f.Fatal(err)
	}
	tile := genuineTile
	f.Add(false, genuine[0], tile)
	f.Add(true, genuine[1], tile)
	f.Add(false, append(bytes.Clone(genuine[0]), 0), tile)
	f.Add(true, genuine[1][:len(genuine[1])-1], tile[:32])
	f.Add(false, bytes.Replace(genuine[0], []byte("aud_0000007"), []byte("aud_0000008"), 1), tile)
	f.Fuzz(func(t *testing.T, second bool, bundle, tile []byte) {
		b := uint64(0)
		if second {
			b = 1
		}
		_, err := verify.Log(ctx, overlay{Dir: src, bundle: b, bundleData: bundle, tileData: tile}, cp, verify.Options{Workers: 1})
		if bytes.Equal(bundle, genuine[b]) {
			if err != nil {
				t.Fatalf("the genuine bundle %d refused: %v", b, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("a changed bundle %d accepted", b)
		}
		var ve *verify.Error
		if !errors.As(err, &ve) {
			t.Fatalf("not a *verify.Error: %v", err)
		}
		if ve.Kind != verify.Changed {
			return
		}
		// With the genuine tile the change is always located; with a
		// forged one it may not be (-1), but it is never misplaced.
		if ve.Index == -1 && !bytes.Equal(tile, genuineTile) {
			return
		}
		if ve.Index < int64(b*256) || ve.Index >= int64(b*256+256) {
			t.Fatalf("bundle %d changed, but the change is located at %d: %v", b, ve.Index, err)
		}
	})
}
