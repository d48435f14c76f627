package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/pipeline"
)

func newContent() *cobra.Command {
	cmd := &cobra.Command{Use: "content", Short: "content controls"}
	cmd.AddCommand(newContentTest())
	return cmd
}

func newContentTest() *cobra.Command {
	var bodyFile, role, model string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test [TEXT|-]",
		Short: "show what the configured request policy does to a text or a request body",
		Long: `Applies the configuration's content.request policy to TEXT (or standard input with -), or with
--body FILE to an OpenAI request body, exactly as the gateway does, and prints the result and what
was done: which entities and rules matched, with which action, how often. Nothing is sent anywhere
and nothing is recorded. Exit status 1 if a rule would block.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if bodyFile != "" {
				return noArgs(cmd, args)
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			key := make([]byte, 32)
			if k, err := kms.Open(cmd.Context(), c.KMS, c.DataDir); err == nil {
				key = k.DeriveKey(kms.PurposeContentHash)
				k.Close()
			} else {
				rand.Read(key)
				fmt.Fprintf(cmd.ErrOrStderr(), "warden: content test: the KMS is not available (%s); hashes are shown under a throw-away key\n", oneLine(err.Error()))
			}
			if role != "" {
				if err := oneOf("content test", "role", role, roleNames(c)); err != nil {
					return err
				}
			}
			if model != "" {
				if err := oneOf("content test", "model", model, modelNames(c)); err != nil {
					return err
				}
			}
			p := gateway.RequestContentPolicy(c, key, role, model)
			var out []byte
			var s *content.Session
			if bodyFile != "" {
				in, err := readInput(cmd, bodyFile)
				if err != nil {
					return err
				}
				if _, err := pipeline.ParseRequest(in); err != nil {
					return usageErr("content test: %s: %v", bodyFile, err)
				}
				if out, s, err = pipeline.FilterRequest(p, in); err != nil {
					return usageErr("content test: %v", err)
				}
			} else {
				in := []byte(args[0])
				if args[0] == "-" {
					if in, err = readInput(cmd, "-"); err != nil {
						return err
					}
				}
				s = p.NewSession()
				out = s.Filter(in)
			}
			counts := s.Counts()
			if counts == nil {
				counts = []content.Count{}
			}
			if asJSON {
				res := map[string]any{"blocked": s.Blocked(), "actions": counts}
				if s.Blocked() == "" {
					res["output"] = string(out)
				}
				json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			} else {
				w := cmd.OutOrStdout()
				if s.Blocked() != "" {
					fmt.Fprintf(w, "BLOCKED by %s\n", s.Blocked())
				} else {
					fmt.Fprintf(w, "%s\n", strings.TrimRight(string(out), "\n"))
				}
				for _, c := range counts {
					fmt.Fprintf(w, "  %-8s %-20s %-8s x%d\n", c.Type, c.Entity, c.Action, c.N)
				}
			}
			if s.Blocked() != "" {
				return refused("content test: the request would be blocked by rule %s", s.Blocked())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&bodyFile, "body", "", "a request body (JSON) to filter, or - for standard input")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&role, "role", "", "apply the policy as for requests of this role (with its content overrides)")
	cmd.Flags().StringVar(&model, "model", "", "apply the policy as for requests to this model (with its content overrides)")
	return cmd
}

func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<20))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageErr("content test: %v", err)
	}
	return b, nil
}
