// Command warden is the Warden gateway and its operator CLI.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes (docs/operations.md, "The CLI's exit status").
const (
	exitOK      = 0
	exitRefused = 1 // the check failed or the request was refused
	exitUsage   = 2 // usage or config error
)

// exitError carries an exit code; its message is printed as one line,
// except a config error, whose problems are all listed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

func refused(format string, a ...any) error {
	return &exitError{exitRefused, fmt.Errorf(format, a...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "warden: "+ce.Error())
		return code
	}
	fmt.Fprintln(stderr, "warden: "+oneLine(err.Error()))
	return code
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "warden",
		Short:         "Warden: a secure gateway for AI inference",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	def := os.Getenv("WARDEN_CONFIG")
	if def == "" {
		def = "warden.yaml"
	}
	root.PersistentFlags().String("config", def, "config file (or $WARDEN_CONFIG)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(newServe(), newInit(), newConfigCmd(), newKeys(), newAudit(), newRetention(), newHolds(), newKMS(), newContent(), newApprovals(), newDoctor(), newVersion())
	return root
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// versionLine says which Warden this is: the version set at build time
// (or the module's, for `go install ...@version`), the VCS revision and
// time the build info records, and whether the tree was modified.
func versionLine() string {
	v, extra := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		var rev, at, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", modified"
				}
			}
		}
		if rev != "" {
			extra = fmt.Sprintf(" (revision %s, %s%s)", rev, at, dirty)
		}
		extra += " " + bi.GoVersion
	}
	return "warden " + v + extra
}

// noArgs and exactArgs report argument mistakes as usage errors.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("%s takes no arguments (got %q)", cmd.CommandPath(), args[0])
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("%s takes %d argument(s): %s", cmd.CommandPath(), n, cmd.Use)
		}
		return nil
	}
}
