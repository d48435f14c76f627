package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/store"
)

func newHolds() *cobra.Command {
	cmd := &cobra.Command{Use: "holds", Short: "legal holds: payloads they cover survive every purge"}
	cmd.AddCommand(newHoldsCreate(), newHoldsList(), newHoldsRelease())
	return cmd
}

func newHoldsCreate() *cobra.Command {
	var h store.Hold
	var since, until string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --case ID [--principal P] [--namespace NS] [--since T] [--until T]",
		Short: "place a legal hold on the payloads of a principal and/or namespace in a period",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if h.Case == "" {
				return usageErr("holds create: --case is required")
			}
			var err error
			if h.Since, err = gateway.ParseTime(since, time.Now()); err != nil {
				return usageErr("holds create: --since: %v", err)
			}
			if h.Until, err = gateway.ParseTime(until, time.Now()); err != nil {
				return usageErr("holds create: --until: %v", err)
			}
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "holds create", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				h.CreatedBy = "cli:" + osUser()
				created, err := b.store.CreateHold(ctx, h)
				if err != nil {
					return refused("holds create: %v", err)
				}
				aerr := al.record(ctx, "holds.create", created.ID, "case="+created.Case)
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(created)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "Placed hold %s for case %s.\n", created.ID, created.Case)
				}
				if aerr != nil {
					return refused("holds create: hold %s was placed, but %v", created.ID, aerr)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&h.Case, "case", "", "the case the hold is for (required)")
	f.StringVar(&h.Principal, "principal", "", "cover only this principal's records")
	f.StringVar(&h.Namespace, "namespace", "", "cover only this namespace's records")
	f.StringVar(&since, "since", "", "cover records from this time (RFC 3339, a date, or a duration back from now)")
	f.StringVar(&until, "until", "", "cover records before this time")
	f.BoolVar(&asJSON, "json", false, "print the hold as JSON")
	return cmd
}

func newHoldsList() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list legal holds, active and released",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				holds, err := b.store.ListHolds(ctx)
				if err != nil {
					return refused("holds list: %v", err)
				}
				if asJSON {
					if holds == nil {
						holds = []store.Hold{}
					}
					return json.NewEncoder(cmd.OutOrStdout()).Encode(holds)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCASE\tPRINCIPAL\tNAMESPACE\tSINCE\tUNTIL\tSTATE")
				for _, h := range holds {
					state := "active"
					if !h.Active() {
						state = "released " + h.ReleasedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Case, dash(h.Principal), dash(h.Namespace), when(h.Since), when(h.Until), state)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newHoldsRelease() *cobra.Command {
	return &cobra.Command{
		Use:   "release ID",
		Short: "release a legal hold; the next purge takes what only it kept",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "holds release", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				err = b.store.ReleaseHold(ctx, args[0], "cli:"+osUser(), time.Now().UTC())
				switch {
				case errors.Is(err, store.ErrNotFound):
					return refused("holds release: no hold with id %q", args[0])
				case errors.Is(err, store.ErrReleased):
					return refused("holds release: hold %s is released already", args[0])
				case err != nil:
					return refused("holds release: %v", err)
				}
				aerr := al.record(ctx, "holds.release", args[0], "")
				fmt.Fprintf(cmd.OutOrStdout(), "Released hold %s.\n", args[0])
				if aerr != nil {
					return refused("holds release: hold %s was released, but %v", args[0], aerr)
				}
				return nil
			})
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
