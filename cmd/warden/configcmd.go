package main

import (
	"errors"
	"fmt"
	"strings"

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
				// What serve would do: resolve secrets, load the certificate and the master key.
				if cerr := gateway.Check(c); cerr != nil {
					ce := &config.Error{File: path}
					for _, line := range strings.Split(cerr.Error(), "\n") {
						ce.Problems = append(ce.Problems, config.Problem{Msg: line})
					}
					err = ce
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
