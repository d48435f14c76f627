package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
)

func newKMS() *cobra.Command {
	cmd := &cobra.Command{Use: "kms", Short: "manage the key hierarchy"}
	cmd.AddCommand(newKMSRotate())
	return cmd
}

func newKMSRotate() *cobra.Command {
	var asJSON, destroyPrevious bool
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "replace the root key and re-wrap what it protects, while the gateway runs",
		Long: `Replaces the root key of the configured KMS and re-wraps under the new one what the old one
wrapped. Running gateways are not disturbed and need no restart; API keys, content hashes and
stored payloads stay valid (the root secret they derive from is kept, only its wrapping changes).

  local, awskms, gcpkms, azurekeyvault: a new master key replaces the one in the key file; the
      root secret and every key-encryption key of the key ring are re-wrapped under it.
  pkcs11, vault: key-encryption keys never leave the KMS; the root secret in
      data_dir/kms-root.<provider> is re-wrapped under a new KMS key (warden-root.2, .3, ...).
      The previous key is kept for other replicas' copies of that file unless --destroy-previous.

The rotation is recorded in the audit log.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "kms rotate", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				r, rotErr := kms.Rotate(ctx, c.KMS, c.DataDir, destroyPrevious)
				if rotErr != nil && r.Current == "" {
					return refused("kms rotate: %v (nothing was changed that a new run does not finish)", rotErr)
				}
				detail := fmt.Sprintf("provider=%s previous=%q current=%q rewrapped=%d previous_destroyed=%t", c.KMS.Provider, r.Previous, r.Current, r.Rewrapped, r.Destroyed)
				aerr := al.record(ctx, "kms.rotate", "", detail)
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(r)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "Rotated the root key: %s -> %s; re-wrapped %d key(s).\n", r.Previous, r.Current, r.Rewrapped)
					if !r.Destroyed {
						fmt.Fprintf(cmd.OutOrStdout(), "The previous key %s is kept; run again with --destroy-previous once every replica uses the new one.\n", r.Previous)
					}
				}
				if rotErr != nil {
					return refused("kms rotate: rotated, but destroying the previous key failed: %v", rotErr)
				}
				if aerr != nil {
					return refused("kms rotate: done, but %v", aerr)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&destroyPrevious, "destroy-previous", false, "pkcs11, vault: destroy the previous root key in the KMS once re-wrapped")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
