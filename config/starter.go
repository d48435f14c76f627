package config

import "strings"

// Starter returns the commented starter configuration that `warden init`
// writes, with its files under dir and the audit origin set.
func Starter(dir, origin string) []byte {
	return []byte(strings.NewReplacer("{{DIR}}", dir, "{{ORIGIN}}", origin).Replace(starterTemplate))
}

const starterTemplate = `# Warden configuration (version 1). Every key is described in docs/configuration.md.
# Secrets are never written inline: use env:NAME or file:/path.
version: 1
data_dir: {{DIR}}/data              # SQLite database and, later, the audit log

server:
  # Loopback only until TLS is configured: without tls, Warden serves plain HTTP,
  # which belongs only behind a TLS-terminating proxy. Then listen on "0.0.0.0:8443".
  listen: "127.0.0.1:8443"
  # tls:
  #   cert_file: /etc/warden/tls/cert.pem
  #   key_file: /etc/warden/tls/key.pem
  #   min_version: "1.3"
  trusted_proxies: []                 # CIDRs allowed to set X-Forwarded-For
  max_body_bytes: 1048576
  metrics_listen: "127.0.0.1:9464"    # /metrics only here, not on the public listener

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
