package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auditlog/verify"
)

// proofOutput is what `audit proof --json` prints: everything a standard
// tlog client needs to check the record's inclusion (entry is the exact
// logged bytes; record is the same with its index and origin attached).
type proofOutput struct {
	Index      uint64           `json:"index"`
	Origin     string           `json:"origin"`
	TreeSize   uint64           `json:"tree_size"`
	Record     json.RawMessage  `json:"record"`
	Entry      string           `json:"entry"`
	Checkpoint string           `json:"checkpoint"`
	Proof      tlog.RecordProof `json:"proof"`
}

func newAuditProof() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "proof INDEX",
		Short: "print a record, the latest checkpoint and the record's inclusion proof",
		Long: `Prints the record at leaf INDEX of this gateway's audit log, the latest signed checkpoint,
and the RFC 6962 inclusion proof (base64 SHA-256 hashes) of the record in that checkpoint's
tree. The proof is checked before it is printed. A record becomes provable once a
checkpoint covers it (one is signed every audit.checkpoint_interval).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseUint(args[0], 10, 63)
			if err != nil {
				return usageErr("audit proof: INDEX must be a leaf index (0, 1, 2, ...), not %q", args[0])
			}
			l, err := openLocalLog(cmd)
			if err != nil {
				return err
			}
			if !l.exists() {
				return refused("audit proof: no audit log at %s: nothing has been recorded yet", l.dir)
			}
			ctx := cmd.Context()
			cp, err := verify.ReadCheckpoint(ctx, l.src, l.key.Verifier)
			if err != nil {
				return verifyFailed("audit proof: the log's checkpoint", err)
			}
			if index >= cp.Size {
				if size, ok := l.treeSize(); ok && index >= size {
					if size == 0 {
						return refused("audit proof: there is no record %d: the log is empty", index)
					}
					return refused("audit proof: there is no record %d: the log holds %d records (0..%d)", index, size, size-1)
				}
				return refused("audit proof: record %d is not yet covered by a checkpoint (the log signs one every audit.checkpoint_interval, %s here); try again shortly",
					index, checkpointInterval(l.cfg))
			}
			proof, entry, err := verify.ProveInclusion(ctx, l.src, cp, index)
			if err != nil {
				return verifyFailed(fmt.Sprintf("audit proof: record %d", index), err)
			}
			rec, err := auditlog.Indexed{Index: index, Origin: cp.Origin, Entry: entry}.MarshalJSON()
			if err != nil {
				return refused("audit proof: record %d: %v", index, err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if proof == nil {
					proof = tlog.RecordProof{}
				}
				return writeJSON(out, proofOutput{Index: index, Origin: cp.Origin, TreeSize: cp.Size, Record: rec,
					Entry: string(entry), Checkpoint: string(cp.Note), Proof: proof})
			}
			fmt.Fprintf(out, "# record %d of %s\n%s\n\n# checkpoint (signed note)\n%s\n", index, cp.Origin, rec, cp.Note)
			fmt.Fprintf(out, "# inclusion proof of leaf %d in the tree of size %d: %d hashes (RFC 6962, SHA-256, base64)\n", index, cp.Size, len(proof))
			for _, h := range proof {
				fmt.Fprintln(out, h)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"index", "origin", "tree_size", "record", "entry", "checkpoint", "proof"}`)
	return cmd
}
