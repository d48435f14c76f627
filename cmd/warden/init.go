package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

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
	if err := writeAuditKey(filepath.Join(keys, "audit.key"), origin); err != nil {
		return err
	}
	r := strings.NewReplacer("{{DIR}}", dir, "{{ORIGIN}}", origin)
	return os.WriteFile(cfgPath, []byte(r.Replace(starterConfig)), 0o600)
}

// writeAuditKey writes a golang.org/x/mod/sumdb/note signer key named origin
// (0600) and its verifier key beside it (audit.pub).
func writeAuditKey(path, origin string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	_, err = f.WriteString(skey + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	pub := strings.TrimSuffix(path, filepath.Ext(path)) + ".pub"
	return os.WriteFile(pub, []byte(vkey+"\n"), 0o644)
}

const starterConfig = `# Warden configuration (version 1). Every key is described in docs/configuration.md.
# Secrets are never written inline: use env:NAME or file:/path.
version: 1
data_dir: {{DIR}}/data              # SQLite database and, later, the audit log

server:
  listen: "0.0.0.0:8443"
  # Without tls, Warden serves plain HTTP: only do that behind a TLS-terminating proxy.
  # tls:
  #   cert_file: /etc/warden/tls/cert.pem
  #   key_file: /etc/warden/tls/key.pem
  #   min_version: "1.3"
  trusted_proxies: []                 # CIDRs allowed to set X-Forwarded-For
  max_body_bytes: 1048576

storage:
  driver: sqlite                      # or postgres with dsn: env:WARDEN_DATABASE_URL

kms:
  provider: local
  local:
    key_file: {{DIR}}/keys/master.key # keep it outside data_dir

audit:
  origin: "{{ORIGIN}}"
  signing_key_file: {{DIR}}/keys/audit.key

roles:
  - name: admin
    models: ["*"]
    capabilities: [chat, completions, embeddings, stream, admin, audit.read, audit.decrypt, approve]
  - name: user
    models: ["demo"]
    capabilities: [chat, completions, embeddings, stream]

models:
  - name: demo                        # built-in demonstration model; replace with your own
    builtin: demo
  # - name: qwen-7b
  #   version: "2026-10-01"
  #   namespace: default
  #   upstream:
  #     url: http://vllm:8000/v1
  #     model: Qwen/Qwen2.5-7B-Instruct
  #     api_key: env:VLLM_API_KEY
  #     timeout: 120s
`
