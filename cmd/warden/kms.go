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
	cmd.AddCommand(newKMSRotate(), newKMSDestroyPrevious())
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
      The previous keys are kept for other replicas' copies of that file unless --destroy-previous;
      once every replica has the rotated file, warden kms destroy-previous destroys them.

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
					return refused("kms rotate: %v (run it again to finish)", rotErr)
				}
				if r.Destroyed == nil {
					r.Destroyed = []string{}
				}
				detail := fmt.Sprintf("provider=%s previous=%q current=%q rewrapped=%d destroyed=%q", c.KMS.Provider, r.Previous, r.Current, r.Rewrapped, r.Destroyed)
				aerr := al.record(ctx, "kms.rotate", "", detail)
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(r)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "Rotated the root key: %s -> %s; re-wrapped %d key(s).\n", r.Previous, r.Current, r.Rewrapped)
					if len(r.Destroyed) == 0 {
						fmt.Fprintf(cmd.OutOrStdout(), "The previous key %s is kept: copy data_dir/kms-root.%s to every replica, then run warden kms destroy-previous.\n", r.Previous, c.KMS.Provider)
					}
				}
				if rotErr != nil {
					return refused("kms rotate: rotated, but destroying the previous keys failed: %v", rotErr)
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

func newKMSDestroyPrevious() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "destroy-previous",
		Short: "destroy the root keys older than the one in use (pkcs11, vault)",
		Long: `Destroys, in the KMS, every root key older than the one that wraps data_dir/kms-root.<provider>:
the last step of a rotation, once every replica's copy of that file is the rotated one. A copy of
the file wrapped by a destroyed key no longer opens. Recorded in the audit log.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "kms destroy-previous", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				gone, derr := kms.DestroyPrevious(ctx, c.KMS, c.DataDir)
				if derr != nil && len(gone) == 0 {
					return refused("kms destroy-previous: %v", derr)
				}
				aerr := al.record(ctx, "kms.destroy_previous", "", fmt.Sprintf("provider=%s destroyed=%q", c.KMS.Provider, gone))
				if gone == nil {
					gone = []string{}
				}
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"destroyed": gone})
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "Destroyed %d previous root key(s).\n", len(gone))
				}
				if derr != nil {
					return refused("kms destroy-previous: %v", derr)
				}
				if aerr != nil {
					return refused("kms destroy-previous: done, but %v", aerr)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
