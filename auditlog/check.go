package auditlog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog/verify"
)

// CheckOnDisk refuses a log directory that is inconsistent with what was
// signed for it, before anything is appended to it. The tree on disk (its
// size and root in Tessera's state file) must contain, by a consistency
// proof from its own authenticated hash tiles, both the checkpoint on disk
// and stored, the newest checkpoint the store kept (nil if none), each
// carrying a valid signature of verifierKey. A checkpoint larger than the
// tree means records were removed; an inconsistent one, that they were
// changed. A new (empty) directory passes, unless the store has a
// checkpoint for it.
//
// It does not rehash every entry (that is `warden audit verify`); it makes
// sure the gateway never extends a log that no longer matches its
// signatures.
func CheckOnDisk(ctx context.Context, dir, verifierKey string, stored []byte) error {
	state, err := os.ReadFile(filepath.Join(dir, ".state", "treeState"))
	if errors.Is(err, os.ErrNotExist) {
		if _, cerr := os.Stat(filepath.Join(dir, "checkpoint")); cerr == nil {
			return errors.New("audit log: a checkpoint exists but the tree state is missing")
		}
		if stored != nil {
			return errors.New("audit log: the store holds a checkpoint for this log but the log directory is empty")
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	var ts struct {
		Size uint64 `json:"size"`
		Root string `json:"root"`
	}
	if err := json.Unmarshal(state, &ts); err != nil {
		return fmt.Errorf("audit log: unreadable tree state: %w", err)
	}
	root, err := base64.StdEncoding.DecodeString(ts.Root)
	if err != nil || len(root) != tlog.HashSize {
		return errors.New("audit log: unreadable tree state root")
	}
	tree := tlog.Tree{N: int64(ts.Size), Hash: tlog.Hash(root)}
	src := verify.Dir(dir)
	hr := tlog.TileHashReader(tree, verify.NewTileReader(ctx, src))

	disk, err := src.ReadCheckpoint(ctx)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit log: %w", err)
	}
	for _, c := range []struct {
		name string
		note []byte
	}{{"checkpoint on disk", disk}, {"newest checkpoint in the store", stored}} {
		if c.note == nil {
			continue
		}
		cp, err := verify.OpenCheckpoint(c.note, verifierKey)
		if err != nil {
			return fmt.Errorf("audit log: %s: %w", c.name, err)
		}
		if cp.Size > ts.Size {
			return fmt.Errorf("audit log: the %s covers %d records but the log holds %d: records were removed", c.name, cp.Size, ts.Size)
		}
		if cp.Size == 0 {
			continue
		}
		p, err := tlog.ProveTree(tree.N, int64(cp.Size), hr)
		if err == nil {
			err = tlog.CheckTree(p, tree.N, tree.Hash, int64(cp.Size), cp.Root)
		}
		if err != nil {
			return fmt.Errorf("audit log: the log on disk is not consistent with the %s (size %d): %v", c.name, cp.Size, err)
		}
	}
	return nil
}
