package verify

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// ProveInclusion reads entry index and makes the proof that it is in cp's
// tree, from hash tiles authenticated against cp. It checks the proof
// before returning it, so an entry that was changed on disk is an error
// (kind Changed), not a proof that fails later.
func ProveInclusion(ctx context.Context, src Source, cp Checkpoint, index uint64) (tlog.RecordProof, []byte, error) {
	p := newProver(ctx, src, cp)
	return p.record(index)
}

// CheckInclusion checks that proof proves entry to be the entry at index in
// cp's tree.
func CheckInclusion(cp Checkpoint, index uint64, entry []byte, proof tlog.RecordProof) error {
	if err := cp.checkTree(); err != nil {
		return err
	}
	if index >= cp.Size {
		return notInTree(cp, index)
	}
	if err := tlog.CheckRecord(proof, int64(cp.Size), cp.Root, int64(index), tlog.RecordHash(entry)); err != nil {
		return fail(BadProof, int64(index), fmt.Sprintf("inclusion proof for entry %d does not verify against the checkpoint (size %d): the entry, its index or the proof was altered", index, cp.Size), err)
	}
	return nil
}

// ProveConsistency makes the proof that older's tree is a prefix of newer's,
// from hash tiles authenticated against newer, and checks it. An older
// larger than newer is a rollback; the same size with another root is an
// inconsistency (a fork).
func ProveConsistency(ctx context.Context, src Source, newer, older Checkpoint) (tlog.TreeProof, error) {
	if err := compareSizes(newer, older); err != nil {
		return nil, err
	}
	if older.Size == 0 || older.Size == newer.Size {
		return tlog.TreeProof{}, nil
	}
	p, err := tlog.ProveTree(int64(newer.Size), int64(older.Size), hashReader(ctx, src, newer))
	if err != nil {
		return nil, tileError(err, fmt.Sprintf("proving consistency of sizes %d and %d", older.Size, newer.Size))
	}
	if err := CheckConsistency(newer, older, p); err != nil {
		return nil, err
	}
	return p, nil
}

// CheckConsistency checks that proof proves older's tree to be a prefix of
// newer's.
func CheckConsistency(newer, older Checkpoint, proof tlog.TreeProof) error {
	if err := compareSizes(newer, older); err != nil {
		return err
	}
	if older.Size == 0 || older.Size == newer.Size {
		return nil // the empty tree is a prefix of any; equal roots were checked
	}
	if err := tlog.CheckTree(proof, int64(newer.Size), newer.Root, int64(older.Size), older.Root); err != nil {
		return fail(Inconsistent, -1, fmt.Sprintf("the log at size %d does not extend the older checkpoint at size %d: entries before %d were changed, or the proof is bad",
			newer.Size, older.Size, older.Size), err)
	}
	return nil
}

// compareSizes does the checks on two checkpoints that need no proof.
func compareSizes(newer, older Checkpoint) error {
	if err := newer.checkTree(); err != nil {
		return err
	}
	if err := older.checkTree(); err != nil {
		return err
	}
	if newer.Origin != older.Origin {
		return fail(WrongOrigin, -1, fmt.Sprintf("the checkpoints are of different logs: %q and %q", newer.Origin, older.Origin), nil)
	}
	if older.Size > newer.Size {
		return fail(Rollback, int64(newer.Size), fmt.Sprintf("the log's checkpoint (size %d) is older than a checkpoint already seen (size %d): the log was rolled back, entries %d..%d are gone",
			newer.Size, older.Size, newer.Size, older.Size-1), nil)
	}
	if older.Size == newer.Size && older.Root != newer.Root {
		return fail(Inconsistent, -1, fmt.Sprintf("two checkpoints of size %d have different roots: the log was rewritten", newer.Size), nil)
	}
	return nil
}

func notInTree(cp Checkpoint, index uint64) error {
	return fail(BadRequest, int64(min(index, 1<<63-1)), fmt.Sprintf("entry %d is not covered by the checkpoint (size %d)", index, cp.Size), nil)
}

// prover makes inclusion proofs for one checkpoint, reusing tiles and the
// last bundle read.
type prover struct {
	ctx     context.Context
	src     Source
	cp      Checkpoint
	hr      tlog.HashReader
	bundle  uint64
	entries [][]byte // of bundle; nil if none read
}

func newProver(ctx context.Context, src Source, cp Checkpoint) *prover {
	return &prover{ctx: ctx, src: src, cp: cp, hr: hashReader(ctx, src, cp)}
}

func (p *prover) record(index uint64) (tlog.RecordProof, []byte, error) {
	if err := p.cp.checkTree(); err != nil {
		return nil, nil, err
	}
	if index >= p.cp.Size {
		return nil, nil, notInTree(p.cp, index)
	}
	b := index / tileWidth
	if p.entries == nil || p.bundle != b {
		entries, err := readBundle(p.ctx, p.src, b, p.cp.Size)
		if err != nil {
			return nil, nil, err
		}
		p.bundle, p.entries = b, entries
	}
	entry := bytes.Clone(p.entries[index%tileWidth])
	proof, err := tlog.ProveRecord(int64(p.cp.Size), int64(index), p.hr)
	if err != nil {
		return nil, nil, tileError(err, fmt.Sprintf("proving entry %d", index))
	}
	if err := CheckInclusion(p.cp, index, entry, proof); err != nil {
		return nil, nil, fail(Changed, int64(index), fmt.Sprintf("entry %d is not the entry the checkpoint commits to (changed, replaced or reordered)", index), nil)
	}
	return proof, entry, nil
}
