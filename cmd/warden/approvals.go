package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

func newApprovals() *cobra.Command {
	cmd := &cobra.Command{Use: "approvals", Short: "decide on requests held for approval"}
	cmd.AddCommand(newApprovalsList(), newApprovalsDecide(true), newApprovalsDecide(false))
	return cmd
}

func newApprovalsList() *cobra.Command {
	var all, asJSON bool
	var days int
	cmd := &cobra.Command{
		Use:   "list [--all] [--days N] [--json]",
		Short: "list the requests waiting for a decision (with --all, every approval of the last --days)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if days < 1 {
				return usageErr("approvals list: --days must be 1 or more")
			}
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				now := time.Now()
				var shown []store.Approval
				var err error
				if all {
					shown, err = b.store.ListApprovals(ctx, now.AddDate(0, 0, -days), 1000)
				} else {
					shown, err = b.store.ListPending(ctx, now)
				}
				if err != nil {
					return refused("approvals list: %v", err)
				}
				if err := previews(b).OpenPreviews(ctx, shown); err != nil {
					return refused("approvals list: opening the previews: %v", err)
				}
				views := []map[string]any{}
				for _, a := range shown {
					views = append(views, a.View(now))
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(views)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tSTATUS\tPRINCIPAL\tMODEL\tWHY\tCREATED\tPREVIEW")
				for _, a := range shown {
					p := a.Preview
					if len([]rune(p)) > 60 {
						p = string([]rune(p)[:60]) + "…"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State(now), a.Principal, a.Model, strings.Join(a.Reasons, ","),
						a.CreatedAt.UTC().Format(time.RFC3339), p)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every approval, decided or not")
	cmd.Flags().IntVar(&days, "days", 7, "how far back")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newApprovalsDecide(approve bool) *cobra.Command {
	verb, action := "deny", "approvals.deny"
	if approve {
		verb, action = "approve", "approvals.approve"
	}
	var reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " ID [--reason TEXT]",
		Short: verb + " a held request (the operator's own decision, recorded as cli:<user>)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "approvals "+verb, c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				now := time.Now()
				validTo := now.Add(c.Approvals.TTL.D(time.Hour)) // a decision stands until then
				a, err := b.store.GetApproval(ctx, id)
				if errors.Is(err, store.ErrNotFound) {
					return refused("approvals %s: no approval %s", verb, id)
				}
				if err != nil {
					return refused("approvals %s: %v", verb, err)
				}
				err = b.store.DecideApproval(ctx, id, approve, "cli:"+osUser(), reason, now, validTo)
				if errors.Is(err, store.ErrDecided) {
					return refused("approvals %s: %s was decided already, or has lapsed", verb, id)
				}
				if err != nil {
					return refused("approvals %s: %v", verb, err)
				}
				aerr := al.record(ctx, action, id, fmt.Sprintf("principal=%s model=%s", a.Principal, a.Model))
				a, _ = b.store.GetApproval(ctx, id)
				previews(b).OpenPreview(ctx, &a) // decided already: an unreadable preview is shown empty
				if asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(a.View(now))
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (principal %s, model %s).\n", id, a.State(now), a.Principal, a.Model)
				}
				if aerr != nil {
					return refused("approvals %s: done, but %v", verb, aerr)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown with the approval, and recorded)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the approval as JSON")
	return cmd
}

// previews opens the sealed previews of approvals with the KMS's keys.
func previews(b *backends) *retention.Keeper {
	return &retention.Keeper{Sealer: &seal.Sealer{Ring: b.kms.KeyRing()}, Store: b.store}
}
