package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/admin"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/store"
)

func newKeys() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "manage API keys (works offline against the configured storage; acts are audited in the local log)"}
	cmd.AddCommand(newKeysCreate(), newKeysList(), newKeysRotate(), newKeysRevoke())
	return cmd
}

// withBackends loads the config, opens the store and KMS, and runs f.
func withBackends(cmd *cobra.Command, f func(ctx context.Context, c *config.Config, b *backends) error) error {
	c, _, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	b, err := openBackends(ctx, c)
	if err != nil {
		return err
	}
	defer b.Close()
	return f(ctx, c, b)
}

// createKey issues a key; the returned secret is the only copy there is.
func createKey(ctx context.Context, b *backends, s auth.KeySpec) (string, store.APIKey, error) {
	return auth.IssueKey(ctx, b.store, b.hasher(), s, time.Now())
}

func newKeysCreate() *cobra.Command {
	var name, role, models, ipAllow, expires string
	var rpm, tpm int
	var perDay, perMonth, maxPrompt, maxTokens int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name N --role R",
		Short: "issue an API key (shown once)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				spec := auth.KeySpec{Name: name, Role: role}
				if name == "" || role == "" {
					return usageErr("keys create: --name and --role are required")
				}
				if err := oneOf("keys create", "role", role, roleNames(c)); err != nil {
					return err
				}
				spec.Models = splitList(models)
				for _, c := range splitList(ipAllow) {
					p, err := config.ParsePrefix(c)
					if err != nil {
						return usageErr("keys create: --ip-allow: %v", err)
					}
					spec.IPAllow = append(spec.IPAllow, p.String())
				}
				if rpm < 0 || tpm < 0 || perDay < 0 || perMonth < 0 || maxPrompt < 0 || maxTokens < 0 {
					return usageErr("keys create: limits must not be negative")
				}
				spec.RPM, spec.TPM = rpm, tpm
				spec.TokensPerDay, spec.TokensPerMonth, spec.MaxPromptTokens, spec.MaxTokens = perDay, perMonth, maxPrompt, maxTokens
				if expires != "" {
					d, err := config.ParseDuration(expires)
					if err != nil || d <= 0 {
						return usageErr("keys create: --expires-in: want a positive duration such as 90d or 12h")
					}
					spec.ExpiresIn = d
				}
				al, err := openActAudit(ctx, "keys create", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				spec.Issuer = al.issuer()
				secret, k, err := createKey(ctx, b, spec)
				if err != nil {
					return refused("keys create: %v", err)
				}
				aerr := al.record(ctx, "keys.create", k.ID, "role="+k.Role)
				// The key exists: show its secret even if its record is missing.
				if err := printNewKey(cmd.OutOrStdout(), asJSON, k.ID, secret, fmt.Sprintf("Created key %s (%s, role %s).", k.ID, k.Name, k.Role)); err != nil {
					return err
				}
				if aerr != nil {
					return refused("keys create: key %s was created, but %v", k.ID, aerr)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "a label for the key")
	f.StringVar(&role, "role", "", "role from the config")
	f.StringVar(&models, "models", "", "comma-separated model globs narrowing the role")
	f.StringVar(&ipAllow, "ip-allow", "", "comma-separated CIDRs the key may be used from (within its role's)")
	f.IntVar(&rpm, "rpm", 0, "requests per minute for this key (narrows the role's limit)")
	f.IntVar(&tpm, "tpm", 0, "tokens per minute for this key (narrows the role's limit)")
	f.Int64Var(&perDay, "tokens-per-day", 0, "tokens per day for this key (narrows the role's limit)")
	f.Int64Var(&perMonth, "tokens-per-month", 0, "tokens per month for this key (narrows the role's limit)")
	f.Int64Var(&maxPrompt, "max-prompt-tokens", 0, "largest prompt, in tokens, for this key (narrows the role's limit)")
	f.Int64Var(&maxTokens, "max-tokens", 0, "most completion tokens a request may ask for with this key (narrows the role's limit)")
	f.StringVar(&expires, "expires-in", "", "lifetime, e.g. 90d (default: no expiry)")
	f.BoolVar(&asJSON, "json", false, `print {"id": ..., "key": ...}`)
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func printNewKey(w io.Writer, asJSON bool, id, secret, what string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]string{"id": id, "key": secret})
	}
	_, err := fmt.Fprintf(w, "%s\n%s\nStore it now: Warden keeps only a hash and cannot show it again.\n", what, secret)
	return err
}

func newKeysList() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list API keys (never their secrets)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				keys, err := b.store.ListKeys(ctx)
				if err != nil {
					return refused("keys list: %v", err)
				}
				out := cmd.OutOrStdout()
				if asJSON {
					list := make([]admin.KeyInfo, len(keys))
					for i, k := range keys {
						list[i] = admin.NewKeyInfo(k)
					}
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					return enc.Encode(list)
				}
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tROLE\tPREFIX\tMODELS\tEXPIRES\tLAST USED\tSTATUS")
				now := time.Now()
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.Prefix,
						orDash(strings.Join(k.Models, ",")), fmtTime(k.ExpiresAt), fmtTime(k.LastUsedAt), status(k, now))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func status(k store.APIKey, now time.Time) string {
	switch {
	case k.Revoked():
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	}
	return "active"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newKeysRotate() *cobra.Command {
	var grace string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rotate ID",
		Short: "issue a new secret for a key; the old one stays valid for --grace",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := config.ParseDuration(grace)
			if err != nil || g < 0 {
				return usageErr("keys rotate: --grace: want a duration such as 0s, 1h or 7d")
			}
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "keys rotate", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				now := time.Now().UTC()
				secret, err := auth.RotateKey(ctx, b.store, b.hasher(), args[0], g, now, al.issuer())
				if err != nil {
					return keyErr("keys rotate", args[0], err)
				}
				aerr := al.record(ctx, "keys.rotate", args[0], "")
				if err := printNewKey(cmd.OutOrStdout(), asJSON, args[0], secret,
					fmt.Sprintf("Rotated key %s; the previous secret stops working at %s.", args[0], now.Add(g).Format(time.RFC3339))); err != nil {
					return err
				}
				if aerr != nil {
					return refused("keys rotate: key %s was rotated, but %v", args[0], aerr)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&grace, "grace", "24h", "how long the previous secret keeps working")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"id": ..., "key": ...}`)
	return cmd
}

func newKeysRevoke() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "revoke a key; effective on the next request",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBackends(cmd, func(ctx context.Context, c *config.Config, b *backends) error {
				al, err := openActAudit(ctx, "keys revoke", c, b, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				defer al.close(ctx)
				if err := b.store.RevokeKey(ctx, args[0], time.Now().UTC()); err != nil {
					return keyErr("keys revoke", args[0], err)
				}
				aerr := al.record(ctx, "keys.revoke", args[0], "")
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked key %s.\n", args[0])
				if aerr != nil {
					return refused("keys revoke: key %s was revoked, but %v", args[0], aerr)
				}
				return nil
			})
		},
	}
}

func keyErr(op, id string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refused("%s: no key with id %q", op, id)
	case errors.Is(err, store.ErrRevoked):
		return refused("%s: key %s is revoked", op, id)
	}
	return refused("%s: %v", op, err)
}
