package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/doctor"
	"github.com/wardenhq/warden/gateway"
)

func newDoctor() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "security posture checks of the configuration and state, with a score (exit 1 if any check fails)",
		Long: `doctor checks what a valid configuration and its state still leave weaker than they could be:
plain-text hops, key files others can read, audit settings that trade evidence for speed,
API keys that never expire. Every finding says how to fix it. Nothing is changed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, path, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			in := doctor.Input{Config: c, ConfigPath: path, LogDir: gateway.LogDir(c.DataDir)}
			// The store is only read, and never created: a gateway that
			// has not run yet has no keys to check.
			if _, serr := os.Stat(string(c.Storage.DSN)); c.Storage.Driver == "sqlite" && errors.Is(serr, fs.ErrNotExist) {
				in.StoreErr = errors.New("no database yet (the gateway has not run)")
			} else if db, err := openStore(cmd.Context(), c); err != nil {
				in.StoreErr = err
			} else {
				defer db.Close()
				in.Store = db
			}
			r := doctor.Run(cmd.Context(), in)
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				printReport(out, r)
			}
			if r.Failed() {
				return refused("%d posture checks failed", r.Count(doctor.Fail))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"score": N, "checks": [{id, title, severity, status, detail, fix}]}`)
	return cmd
}

// printReport lists failures first, then warnings, passes and skipped
// checks, the most severe first within each.
func printReport(w io.Writer, r *doctor.Report) {
	fmt.Fprintf(w, "Warden security posture: %d/100 (%d passed, %d warnings, %d failed, %d skipped)\n\n",
		r.Score, r.Count(doctor.Pass), r.Count(doctor.Warn), r.Count(doctor.Fail), r.Count(doctor.Skip))
	order := map[doctor.Status]int{doctor.Fail: 0, doctor.Warn: 1, doctor.Pass: 2, doctor.Skip: 3}
	rs := slices.Clone(r.Results)
	slices.SortStableFunc(rs, func(a, b doctor.Result) int {
		return cmp.Or(cmp.Compare(order[a.Status], order[b.Status]), cmp.Compare(b.Severity, a.Severity))
	})
	for _, x := range rs {
		fmt.Fprintf(w, "%-4s  %-8s  %-24s %s\n", strings.ToUpper(string(x.Status)), x.Severity, x.ID, x.Title)
		if x.Detail != "" && x.Status != doctor.Pass {
			fmt.Fprintf(w, "%40s%s\n", "", x.Detail)
		}
		if x.Fix != "" {
			fmt.Fprintf(w, "%40sfix: %s\n", "", x.Fix)
		}
	}
}
