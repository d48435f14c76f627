package verify_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
)

// TestProofs grows a log through many sizes with Tessera, signs a
// checkpoint at each, and checks inclusion and consistency proofs made from
// its tiles against proofs from an in-memory reference tree.
func TestProofs(t *testing.T) {
	t.Parallel()
	sizes := []int{1, 2, 3, 7, 8, 255, 256, 257, 300, 511, 512, 513, 777, 1000}
	dir := t.TempDir()
	all := entries(0, sizes[len(sizes)-1])
	ref := newRefTree(t, all)
	cps := map[int]verify.Checkpoint{}
	prev := 0
	for _, s := range sizes {
		appendTessera(t, dir, all[prev:s], false)
		prev = s
		root := ref.root(t, int64(s))
		// Tessera's integrated (not yet published) state agrees.
		var state struct {
			Size uint64 `json:"size"`
			Root []byte `json:"root"`
		}
		b, err := os.ReadFile(filepath.Join(dir, ".state", "treeState"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &state); err != nil || state.Size != uint64(s) || tlog.Hash(state.Root) != root {
			t.Fatalf("treeState %s: %v", b, err)
		}
		cp, err := verify.OpenCheckpoint(signCheckpoint(t, testSigner, testOrigin, uint64(s), root), testKey)
		if err != nil {
			t.Fatal(err)
		}
		cps[s] = cp
	}
	src := verify.Dir(dir)

	for _, s := range sizes {
		cp := cps[s]
		if _, err := verify.Log(ctx, src, cp, verify.Options{}); err != nil {
			t.Fatalf("size %d: %v", s, err)
		}
		var idx []int
		if s <= 20 {
			for i := range s {
				idx = append(idx, i)
			}
		} else {
			for _, i := range []int{0, 1, 2, s / 3, s / 2, s - 2, s - 1, 127, 128, 255, 256, 257, 511, 512, 600} {
				if i < s {
					idx = append(idx, i)
				}
			}
		}
		for _, i := range idx {
			t.Run(fmt.Sprintf("record %d of %d", i, s), func(t *testing.T) {
				proof, e, err := verify.ProveInclusion(ctx, src, cp, uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				if string(e) != string(all[i]) {
					t.Fatalf("entry %q", e)
				}
				want, err := tlog.ProveRecord(int64(s), int64(i), ref)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(proof, want) {
					t.Fatalf("proof %v, reference %v", proof, want)
				}
				if err := verify.CheckInclusion(cp, uint64(i), e, proof); err != nil {
					t.Fatal(err)
				}
				err = verify.CheckInclusion(cp, uint64(i), all[(i+1)%len(all)], proof)
				wantError(t, err, verify.BadProof, int64(i), fmt.Sprintf("entry %d", i))
				if i+1 < s {
					err = verify.CheckInclusion(cp, uint64(i+1), e, proof)
					wantError(t, err, verify.BadProof, int64(i+1))
				}
				if len(proof) > 0 {
					bad := slices.Clone(proof)
					bad[len(bad)-1][0] ^= 1
					wantError(t, verify.CheckInclusion(cp, uint64(i), e, bad), verify.BadProof, int64(i))
				}
			})
		}
		_, _, err := verify.ProveInclusion(ctx, src, cp, uint64(s))
		wantError(t, err, verify.BadRequest, int64(s), "not covered by the checkpoint")
		wantError(t, verify.CheckInclusion(cp, uint64(s), nil, nil), verify.BadRequest, int64(s))

		for _, o := range sizes {
			if o > s {
				wantError(t, verify.CheckConsistency(cp, cps[o], nil), verify.Rollback, int64(s))
				continue
			}
			older := cps[o]
			proof, err := verify.ProveConsistency(ctx, src, cp, older)
			if err != nil {
				t.Fatalf("consistency %d → %d: %v", o, s, err)
			}
			if o < s {
				want, err := tlog.ProveTree(int64(s), int64(o), ref)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(proof, want) {
					t.Fatalf("consistency %d → %d: proof %v, reference %v", o, s, proof, want)
				}
			}
			if err := verify.CheckConsistency(cp, older, proof); err != nil {
				t.Fatal(err)
			}
			if len(proof) > 0 {
				bad := slices.Clone(proof)
				bad[0][31] ^= 1
				wantError(t, verify.CheckConsistency(cp, older, bad), verify.Inconsistent, -1)
			}
		}
	}

	// The empty tree is a prefix of every tree.
	empty, err := verify.OpenCheckpoint(signCheckpoint(t, testSigner, testOrigin, 0, ref.root(t, 0)), testKey)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := verify.ProveConsistency(ctx, src, cps[1000], empty); err != nil || len(p) != 0 {
		t.Fatalf("%v %v", p, err)
	}
}
