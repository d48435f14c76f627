package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
)

func newRetention() *cobra.Command {
	cmd := &cobra.Command{Use: "retention", Short: "purge what is past retention"}
	cmd.AddCommand(newRetentionRun())
	return cmd
}

func newRetentionRun() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "destroy the keys of retention periods that have ended, and delete their payloads, now",
		Long: `Destroys the key-encryption key of every retention period that has ended (crypto-shredding:
the period's payloads become unreadable everywhere, backups included), then deletes those
payloads. warden serve does the same every hour. The run is recorded in the audit log.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "retention run", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				k := &retention.Keeper{Sealer: &seal.Sealer{Ring: b.kms.KeyRing()}, Store: b.store, Classes: c.Classifications}
				rep, runErr := k.Run(ctx)
				detail := rep.Detail()
				aerr := al.record(ctx, "retention.run", "", detail)
				if asJSON {
					keys := rep.Keys
					if keys == nil {
						keys = []string{}
					}
					held := rep.Held
					if held == nil {
						held = []string{}
					}
					json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"keys_destroyed": keys, "payloads_deleted": rep.Payloads, "keys_held": held})
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "Destroyed %d key(s), deleted %d payload(s).\n", len(rep.Keys), rep.Payloads)
					if len(rep.Held) > 0 {
						fmt.Fprintf(cmd.OutOrStdout(), "Kept %d expired period(s) under legal hold: %s\n", len(rep.Held), strings.Join(rep.Held, ", "))
					}
				}
				if runErr != nil {
					return refused("retention run: %v (run it again)", runErr)
				}
				if aerr != nil {
					return refused("retention run: done, but %v", aerr)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
