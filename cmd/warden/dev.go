package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
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
	if err := ensure(auditKey, func() error { return writeAuditKey(auditKey, "warden.localhost/audit") }); err != nil {
		return nil, err
	}
	cert, key := filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	if err := ensure(cert, func() error { return selfSigned(cert, key) }); err != nil {
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
		Models: []config.Model{{Name: "demo", Version: "builtin", Namespace: "default", Builtin: "demo"}},
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

// devWelcome issues a fresh admin key and prints how to use it.
func devWelcome(ctx context.Context, out io.Writer, b *backends, c *config.Config, url string) error {
	key, _, err := createKey(ctx, b, auth.KeySpec{Name: "dev-admin", Role: "admin", ExpiresIn: 7 * 24 * time.Hour})
	if err != nil {
		return err
	}
	cert := c.Server.TLS.CertFile
	fmt.Fprintf(out, `
Warden is running in DEVELOPMENT mode (self-signed certificate, built-in demo model; not for production).

  URL        %s
  Admin key  %s   (valid 7 days; shown once)
  CA cert    %s

Try it:
  export OPENAI_BASE_URL=%s OPENAI_API_KEY=%s SSL_CERT_FILE=%s
  curl --cacert %s $OPENAI_BASE_URL/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" \
    -H 'Content-Type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"Hello"}]}'

`, url, key, cert, url, key, cert, cert)
	return nil
}

// selfSigned writes a self-signed ECDSA certificate for localhost that can
// also serve as its own trust anchor (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS).
func selfSigned(certFile, keyFile string) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "warden dev (localhost)", Organization: []string{"Warden development"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
