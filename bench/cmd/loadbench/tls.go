package main

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/internal/devcert"
)

// certs is the run's TLS material: one self-signed certificate for
// 127.0.0.1 that the floor and Warden both serve, and the pool the
// generator trusts it in.
type certs struct {
	certFile, keyFile string
	pool              *x509.CertPool
}

// newCerts writes a fresh certificate and key into dir (devcert's, as
// `warden serve --dev` makes them).
func newCerts(dir string) (*certs, error) {
	c := &certs{certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key"), pool: x509.NewCertPool()}
	cert, err := devcert.Write(c.certFile, c.keyFile, "loadbench", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	c.pool.AddCert(cert)
	return c, nil
}

// clientConfig is the generator's TLS configuration: TLS 1.3, the run's
// certificate trusted, sessions resumed.
func (c *certs) clientConfig() *tls.Config {
	if c == nil {
		return nil
	}
	return &tls.Config{RootCAs: c.pool, MinVersion: tls.VersionTLS13, ClientSessionCache: tls.NewLRUClientSessionCache(0)}
}

// serverConfig is the floor's: the certificate, TLS 1.3.
func serverConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}, nil
}
