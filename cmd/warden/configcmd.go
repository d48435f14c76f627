package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "work with the configuration file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "validate a config and print every problem (exit 1 if any)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			c, err := config.Load(path)
			if err == nil {
				// Compile as the server would: resolves secrets and upstreams.
				if _, cerr := gateway.Compile(c, nil); cerr != nil {
					err = &config.Error{File: path, Problems: []config.Problem{{Msg: oneLine(cerr.Error())}}}
				}
			}
			var ce *config.Error
			if errors.As(err, &ce) {
				return &exitError{exitRefused, ce}
			}
			if err != nil {
				return &exitError{exitUsage, err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK (%d roles, %d models)\n", path, len(c.Roles), len(c.Models))
			return nil
		},
	})
	return cmd
}
