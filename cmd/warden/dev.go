package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/devcert"
	"github.com/wardenhq/warden/kms"
)

const devListen = "127.0.0.1:8443"

// devConfig prepares dir (data, keys and a self-signed certificate, created
// once and reused) and returns the built-in development configuration.
func devConfig(dir string) (*config.Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, keys, tlsDir := filepath.Join(abs, "data"), filepath.Join(abs, "keys"), filepath.Join(abs, "tls")
	for _, d := range []string{data, keys, tlsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("dev: %w", err)
		}
	}
	master := filepath.Join(keys, "master.key")
	if err := ensure(master, func() error { return kms.GenerateLocal(master) }); err != nil {
		return nil, err
	}
	auditKey := filepath.Join(keys, "audit.key")
	if err := ensure(auditKey, func() error { return auditlog.GenerateKey(auditKey, "warden.localhost/audit") }); err != nil {
		return nil, err
	}
	cert, key := filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	if err := ensure(cert, func() error {
		_, err := devcert.Write(cert, key, "warden dev (localhost)", 365*24*time.Hour)
		return err
	}); err != nil {
		return nil, err
	}
	c := &config.Config{
		Version: config.Version,
		DataDir: data,
		Server:  config.Server{Listen: devListen, TLS: &config.TLS{CertFile: cert, KeyFile: key}},
		KMS:     config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: master}},
		Audit:   config.Audit{Origin: "warden.localhost/audit", SigningKeyFile: auditKey},
		Log:     config.Log{Level: "info", Format: "text"},
		Roles: []config.Role{
			{Name: "admin", Models: []string{"*"}, Capabilities: config.Capabilities},
			{Name: "user", Models: []string{"demo"}, Capabilities: []string{"chat", "completions", "embeddings", "stream"}},
		},
		Models: []config.Model{{Name: "demo", Version: "builtin", Namespace: "default", Builtin: "demo", Classification: "demo"}},
		// Enough policy to see every feature at work on the demo model:
		// redaction (the demo echoes what it was sent, so it shows what a
		// model would have read), blocked secrets, flagged injections, and
		// payloads sealed for a day.
		Classifications: []config.Classification{{Name: "demo", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)}},
		Content: config.Content{
			Request: config.ContentStage{
				PII:       map[string]string{"email": "redact", "phone": "mask", "credit_card": "redact", "us_ssn": "redact", "iban": "redact", "secret": "block"},
				Injection: "flag",
			},
		},
	}
	c.ApplyDefaults()
	if probs := c.Validate(); len(probs) > 0 {
		return nil, &config.Error{File: "dev config", Problems: probs}
	}
	return c, nil
}

func ensure(path string, create func() error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dev: %w", err)
	}
	return create()
}

// devAdminKey names the admin key issued at each dev start.
const devAdminKey = "dev-admin"

// devWelcome revokes the admin keys of earlier dev starts, issues a fresh
// one and prints how to use it.
func devWelcome(ctx context.Context, out io.Writer, b *backends, c *config.Config, url string) error {
	keys, err := b.store.ListKeys(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, k := range keys {
		if k.Name == devAdminKey && !k.Revoked() {
			if err := b.store.RevokeKey(ctx, k.ID, now); err != nil {
				return err
			}
		}
	}
	key, _, err := createKey(ctx, b, auth.KeySpec{Name: devAdminKey, Role: "admin", ExpiresIn: 7 * 24 * time.Hour})
	if err != nil {
		return err
	}
	cert := c.Server.TLS.CertFile
	fmt.Fprintf(out, `
Warden is running in DEVELOPMENT mode (self-signed certificate, built-in demo model; not for production).

  URL        %s
  Admin key  %s   (valid 7 days or until the next start; shown once)
  CA cert    %s

Try it:
  export OPENAI_BASE_URL=%s OPENAI_API_KEY=%s
  export SSL_CERT_FILE=%s NODE_EXTRA_CA_CERTS=%s   # Python, Go, curl; Node.js
  curl --cacert %s $OPENAI_BASE_URL/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" \
    -H 'Content-Type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"Hello"}]}'

`, url, key, cert, url, key, cert, cert, cert)
	return nil
}
