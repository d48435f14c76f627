package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog/verify"
	"github.com/wardenhq/warden/store"
)

func newAuditExport() *cobra.Command {
	var f auditFilters
	var out string
	cmd := &cobra.Command{
		Use:   "export --since T [--until T] --out FILE [--principal P ...]",
		Short: "write an evidence bundle: records, their inclusion proofs, the checkpoint and the verifier key",
		Long: `Writes an evidence bundle (format warden-audit-bundle/v1) of this gateway's records in the
window [--since, --until) that match the filters (those of warden audit search): each record's
exact logged bytes and its inclusion proof in the latest signed checkpoint, the checkpoint and
the verifier key. Anyone holding the verifier key (keys/audit.pub) checks it offline with
  warden audit verify --bundle FILE --key audit.pub

Records are found through the store's search index and read, with their proofs, from the log
itself. A record newer than the latest checkpoint is waited for, up to two checkpoint
intervals; if still not covered it is left out with a warning. The file is written
atomically, mode 0600 (--out - writes to standard output).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("audit export: --out FILE is required")
			}
			if f.since == "" {
				return usageErr("audit export: --since is required (e.g. --since 2026-05-01 or --since 24h)")
			}
			q, err := f.query("audit export", time.Now())
			if err != nil {
				return err
			}
			l, err := openLocalLog(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			b, err := openBackends(ctx, l.cfg)
			if err != nil {
				return err
			}
			defer b.Close()
			return exportBundle(ctx, cmd, l, b.store, q, out)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "the bundle file to write (- for standard output)")
	return cmd
}

func exportBundle(ctx context.Context, cmd *cobra.Command, l *localLog, db *store.DB, q store.AuditQuery, out string) error {
	stderr := cmd.ErrOrStderr()
	origin := l.key.Signer.Name()
	q.Origin = origin // proofs come from this gateway's log only
	if !l.exists() {
		return refused("audit export: no audit log at %s: nothing has been recorded yet", l.dir)
	}
	entries := map[uint64][]byte{}
	var indexes []uint64
	err := searchAll(ctx, db, q, 0, func(r store.AuditRow) error {
		if _, dup := entries[r.Index]; !dup {
			entries[r.Index] = r.Entry
			indexes = append(indexes, r.Index)
		}
		return nil
	})
	if err != nil {
		return refused("audit export: searching the index: %v", err)
	}
	slices.Sort(indexes)

	cp, err := verify.ReadCheckpoint(ctx, l.src, l.key.Verifier)
	if err != nil {
		return verifyFailed("audit export: the log's checkpoint", err)
	}
	// Records past the checkpoint: wait for a newer one, briefly.
	if len(indexes) > 0 && indexes[len(indexes)-1] >= cp.Size {
		interval := checkpointInterval(l.cfg)
		deadline := time.Now().Add(2 * interval)
		for indexes[len(indexes)-1] >= cp.Size && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return refused("audit export: %v", ctx.Err())
			case <-time.After(interval / 4):
			}
			if cp, err = verify.ReadCheckpoint(ctx, l.src, l.key.Verifier); err != nil {
				return verifyFailed("audit export: the log's checkpoint", err)
			}
		}
	}
	covered := indexes
	if i, _ := slices.BinarySearch(indexes, cp.Size); i < len(indexes) {
		covered = indexes[:i]
		fmt.Fprintf(stderr, "warden: audit export: warning: %d matching record(s) (index %d on) are newer than the latest checkpoint (size %d) and were left out; export again shortly to include them\n",
			len(indexes)-i, indexes[i], cp.Size)
	}
	if next, err := db.AuditCursor(ctx, origin); err == nil && next < cp.Size {
		fmt.Fprintf(stderr, "warden: audit export: warning: the search index holds the first %d of the %d records the checkpoint covers; later ones are not exported until the gateway indexes them (warden serve does so continuously)\n",
			next, cp.Size)
	}

	bundle, err := verify.MakeBundle(ctx, l.src, cp, l.key.Verifier, covered)
	if err != nil {
		return verifyFailed("audit export", err)
	}
	// The index only found the records; what is exported is read from the
	// log. They must agree, or the index (or the log) was tampered with.
	for _, r := range bundle.Records {
		if !bytes.Equal([]byte(r.Entry), entries[r.Index]) {
			return refused("audit export: record %d in the search index differs from entry %d of the log: run warden audit verify", r.Index, r.Index)
		}
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, bundle); err != nil {
		return refused("audit export: %v", err)
	}
	if out == "-" {
		if _, err := cmd.OutOrStdout().Write(buf.Bytes()); err != nil {
			return refused("audit export: %v", err)
		}
	} else if err := writeFileAtomic(out, buf.Bytes(), 0o600); err != nil {
		return refused("audit export: %v", err)
	}
	msg := fmt.Sprintf("Exported %d records%s of %s to %s, with their inclusion proofs in the checkpoint of size %d.\nCheck it with: warden audit verify --bundle %s --key %s\n",
		len(covered), indexRange(covered), origin, out, cp.Size, out, pubKeyPath(l.cfg.Audit.SigningKeyFile))
	w := cmd.OutOrStdout()
	if out == "-" {
		w = stderr
	}
	_, err = fmt.Fprint(w, msg)
	return err
}

// pubKeyPath is where warden init wrote the verifier key of a signing key.
func pubKeyPath(signingKey string) string {
	return signingKey[:len(signingKey)-len(filepath.Ext(signingKey))] + ".pub"
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place, so readers see all or nothing.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
