package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
)

func newInit() *cobra.Command {
	var dir, origin string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "write a starter config, a master key and an audit signing key",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return usageErr("init: %v", err)
			}
			if origin == "" {
				host, _ := os.Hostname()
				if host == "" {
					host = "warden.local"
				}
				origin = host + "/audit"
			}
			if err := initDir(abs, origin); err != nil {
				return refused("init: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), `Wrote %[1]s/warden.yaml, %[1]s/keys/master.key, %[1]s/keys/audit.key and %[1]s/data/.
Next:
  warden --config %[1]s/warden.yaml keys create --name admin --role admin
  warden --config %[1]s/warden.yaml serve
`, abs)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory to initialise")
	cmd.Flags().StringVar(&origin, "origin", "", "audit log origin and signing key name (default HOSTNAME/audit)")
	return cmd
}

// initDir writes the starter files; it refuses to overwrite any of them.
func initDir(dir, origin string) error {
	cfgPath := filepath.Join(dir, "warden.yaml")
	keys, data := filepath.Join(dir, "keys"), filepath.Join(dir, "data")
	for _, p := range []string{cfgPath, filepath.Join(keys, "master.key"), filepath.Join(keys, "audit.key")} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s already exists; not overwriting", p)
		}
	}
	for _, d := range []string{keys, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := kms.GenerateLocal(filepath.Join(keys, "master.key")); err != nil {
		return err
	}
	if err := auditlog.GenerateKey(filepath.Join(keys, "audit.key"), origin); err != nil {
		return err
	}
	return os.WriteFile(cfgPath, config.Starter(dir, origin), 0o600)
}
