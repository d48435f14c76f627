package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/kms"
)

func newAudit() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "verify, search, prove and export the audit log"}
	cmd.AddCommand(newAuditVerify(), newAuditSearch(), newAuditProof(), newAuditExport(), newAuditHash(), newAuditSinks())
	return cmd
}

func newAuditHash() *cobra.Command {
	var role, messages string
	cmd := &cobra.Command{
		Use:   "hash TEXT|-",
		Short: "the keyed hash of a text, to look it up in audit records (prompt_hash, response_hash)",
		Long: `Prints the content hash that audit records carry for a one-part content: by default a
chat with one user message TEXT (- reads it from standard input, as is). --role hashes it as
another part (assistant for a response, prompt for a completion, input for an embedding).
--messages FILE hashes a whole request body (a chat's messages, a prompt or an input) as the
gateway does. A record's prompt_hash is of the request as the client sent it, before any
redaction (forwarded_hash, if any, is of what was forwarded). The hash is keyed with the
configured master key: see docs/audit.md.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if messages != "" {
				return noArgs(cmd, args)
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			k, err := kms.Open(cmd.Context(), c.KMS, c.DataDir)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			defer k.Close()
			h := auditlog.NewHasher(k.DeriveKey(kms.PurposeAuditContent))
			var parts []auditlog.Part
			if messages != "" {
				body, err := os.ReadFile(messages)
				if err != nil {
					return usageErr("audit hash: %v", err)
				}
				if parts, err = auditlog.PromptParts(body); err != nil {
					return usageErr("audit hash: %s is not a request body: %v", messages, err)
				}
			} else {
				text := args[0]
				if text == "-" {
					b, err := io.ReadAll(cmd.InOrStdin())
					if err != nil {
						return usageErr("audit hash: %v", err)
					}
					text = string(b)
				}
				parts = []auditlog.Part{{Role: role, Text: text}}
			}
			fmt.Fprintln(cmd.OutOrStdout(), h.Sum(parts))
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "user", "the part's role: user, assistant, system, prompt, input, ...")
	cmd.Flags().StringVar(&messages, "messages", "", "hash a request body (JSON file) as the gateway does")
	return cmd
}
