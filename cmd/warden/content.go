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
	var bodyFile, role, model, origin string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test [TEXT|-]",
		Short: "show what the configured request policy does to a text or a request body",
		Long: `Applies the configuration's content.request policy to TEXT (or standard input with -), or with
--body FILE to an OpenAI request body, exactly as the gateway does, and prints the result and what
was done: which entities and rules matched, with which action, how often. With injection screening
on, it shows each injection's category, score and origin (user, tool, system: a TEXT is screened
as --origin says) and the features that drove the score. External analyzers and guards are not
asked: nothing is sent anywhere and nothing is recorded. Exit status 1 if a rule would block.`,
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
			type screenedText struct {
				Origin    string  `json:"origin"`
				Score     float64 `json:"score"`
				Threshold float64 `json:"threshold"`
			}
			var screened *screenedText // TEXT's score, when screened
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
				o, ok := content.ParseOrigin(origin)
				if !ok {
					return usageErr("content test: --origin %q: want %s", origin, strings.Join(content.OriginNames(), ", "))
				}
				s = p.NewSession()
				out = s.Filter(in)
				if p.ScreensOrigin(o) {
					score, _ := content.ScoreInjection(out)
					screened = &screenedText{Origin: o.String(), Score: content.RoundScore(score), Threshold: p.Threshold(o)}
				}
				s.Screen(out, o)
			}
			type injection struct {
				Category string                     `json:"category"`
				Score    float64                    `json:"score"`
				Origin   string                     `json:"origin"`
				Features []content.InjectionFeature `json:"features"`
			}
			injections := []injection{}
			for _, h := range s.Injections() {
				injections = append(injections, injection{h.Category, content.RoundScore(h.Score), h.Origin.String(), content.ExplainInjection(h.Text, 5)})
			}
			counts := s.Counts()
			if counts == nil {
				counts = []content.Count{}
			}
			if asJSON {
				res := map[string]any{"blocked": s.Blocked(), "actions": counts, "injections": injections}
				if screened != nil {
					res["screened"] = screened
				}
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
					fmt.Fprintf(w, "  %-8s %-20s %-8s x%d", c.Type, c.Entity, c.Action, c.N)
					if c.Type == "injection" {
						fmt.Fprintf(w, "  score %g  origin %s", c.Score, c.Origin)
					}
					fmt.Fprintln(w)
				}
				if screened != nil && len(injections) == 0 {
					fmt.Fprintf(w, "  injection: score %g below the threshold %g (origin %s)\n", screened.Score, screened.Threshold, screened.Origin)
				}
				for _, in := range injections {
					fmt.Fprintf(w, "  injection %s: score %g, origin %s; features:", in.Category, in.Score, in.Origin)
					for _, f := range in.Features {
						fmt.Fprintf(w, " %s (%+.2f)", f.Feature, f.Weight)
					}
					fmt.Fprintln(w)
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
	cmd.Flags().StringVar(&origin, "origin", "user", "screen TEXT for injection as a text of this origin: user, tool or system")
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
