package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
)

func newAuditSinks() *cobra.Command {
	cmd := &cobra.Command{Use: "sinks", Short: "the audit sinks: where the log is shipped"}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status [--json]",
		Short: "each sink's cursor, lag and last error",
		Long: `Shows, for every sink in the store (of every replica's log), the next leaf index it will ship,
how many indexed records it has yet to ship (its lag), when it last shipped and its last error.
The lag is counted against the search index, which follows the log within a fraction of a second.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				list, err := b.store.ListSinkCursors(ctx)
				if err != nil {
					return refused("audit sinks status: %v", err)
				}
				views := []map[string]any{}
				for _, sc := range list {
					lag := int64(-1)
					if size, err := b.store.AuditCursor(ctx, sc.Origin); err == nil {
						lag = max(0, int64(size)-int64(sc.Next))
					}
					views = append(views, gateway.SinkView(sc, lag))
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(views)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "SINK\tORIGIN\tNEXT\tLAG\tSHIPPED\tLAST ERROR")
				for _, v := range views {
					fmt.Fprintf(w, "%v\t%v\t%v\t%v\t%v\t%v\n", v["sink"], v["origin"], v["next_index"], v["lag"], v["shipped_at"], v["last_error"])
				}
				return w.Flush()
			})
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(status)
	return cmd
}
