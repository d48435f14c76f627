package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// CheckOnDisk refuses a log directory that is inconsistent with what was
// signed for it: the checkpoint on disk must carry a valid signature of
// the verifier key, and neither it nor stored (the newest checkpoint the
// store kept, if any) may be larger than the tree on disk, which would
// mean entries were removed. A new (empty) directory passes.
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
	}
	if err := json.Unmarshal(state, &ts); err != nil {
		return fmt.Errorf("audit log: unreadable tree state: %w", err)
	}
	for _, c := range []struct {
		name string
		note []byte
	}{{"checkpoint on disk", nil}, {"newest checkpoint in the store", stored}} {
		if c.note == nil {
			if c.name != "checkpoint on disk" {
				continue
			}
			c.note, err = os.ReadFile(filepath.Join(dir, "checkpoint"))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("audit log: %w", err)
			}
		}
		size, err := checkpointSizeVerified(c.note, verifierKey)
		if err != nil {
			return fmt.Errorf("audit log: %s: %w", c.name, err)
		}
		if size > ts.Size {
			return fmt.Errorf("audit log: the %s covers %d records but the log holds %d: records were removed", c.name, size, ts.Size)
		}
	}
	return nil
}

// checkpointSizeVerified checks a checkpoint's signature and origin and
// returns its size.
func checkpointSizeVerified(cp []byte, verifierKey string) (uint64, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return 0, err
	}
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		return 0, errors.New("bad signature")
	}
	size, err := CheckpointSize([]byte(n.Text))
	if err != nil {
		return 0, err
	}
	if origin, _, _ := strings.Cut(n.Text, "\n"); origin != v.Name() {
		return 0, fmt.Errorf("origin %q is not the key's %q", origin, v.Name())
	}
	return size, nil
}
