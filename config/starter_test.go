package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// starterMirror mirrors starterConfig in cmd/warden/init.go, the file that
// `warden init --dir DIR` writes ({{DIR}} and {{ORIGIN}} are filled in).
// Package main cannot be imported, so the text is copied here; keep the two
// in step. TestStarterConfig also reads the real constant from the source
// file when it is there and parses that too, so the guarantee holds even if
// this copy drifts.
const starterMirror = `# Warden configuration (version 1). Every key is described in docs/configuration.md.
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

// initSource is where starterConfig is defined, relative to this package.
const initSource = "../cmd/warden/init.go"

func TestStarterConfig(t *testing.T) {
	texts := map[string]string{"mirror": starterMirror}
	if real, ok := readStarterConfig(t); ok {
		texts["cmd/warden/init.go"] = real
		if diff := cmp.Diff(starterMirror, real); diff != "" {
			// Not fatal: the real text is parsed below, which is what matters.
			t.Logf("starterMirror has drifted from %s; update it (-mirror +real):\n%s", initSource, diff)
		}
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			tr := newTree(t, t.TempDir())
			const origin = "warden.example.com/audit"
			c, err := Parse(tr.fill(strings.ReplaceAll(text, "{{ORIGIN}}", origin)))
			if err != nil {
				t.Fatalf("the starter config does not parse: %v", err)
			}
			if c.DataDir != tr.Data || c.KMS.Local.KeyFile != tr.Master || c.Audit.Origin != origin ||
				c.Audit.SigningKeyFile != tr.AuditKey || c.Server.TLS != nil || !c.Auth.APIKeys.On() {
				t.Errorf("unexpected starter config: %+v", c)
			}
			// The commented-out upstream model is valid once uncommented.
			var b strings.Builder
			for line := range strings.Lines(text) {
				if strings.HasPrefix(line, "  # - name: qwen-7b") || (b.Len() > 0 && strings.HasPrefix(line, "  #   ")) {
					b.WriteString(strings.Replace(line, "# ", "", 1))
				}
			}
			if b.Len() == 0 {
				return
			}
			withModel := strings.ReplaceAll(text, "{{ORIGIN}}", origin) + b.String()
			if _, err := Parse(tr.fill(withModel)); err != nil {
				t.Errorf("the starter config with its example model uncommented does not parse: %v\n%s", err, withModel)
			}
		})
	}
}

// readStarterConfig returns the starterConfig constant from cmd/warden's
// source, if that file is present (it is in a checkout of the repository).
func readStarterConfig(t *testing.T) (string, bool) {
	t.Helper()
	src, err := os.ReadFile(initSource)
	if err != nil {
		t.Logf("not checking the real starter config: %v", err)
		return "", false
	}
	f, err := parser.ParseFile(token.NewFileSet(), initSource, src, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", initSource, err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != "starterConfig" || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s: starterConfig is not a string literal", initSource)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				return v, true
			}
		}
	}
	t.Fatalf("%s: no const starterConfig", initSource)
	return "", false
}
