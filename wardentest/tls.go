package wardentest

import (
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/devcert"
)

// SelfSignedCert writes a new self-signed certificate for 127.0.0.1, ::1 and
// localhost, valid for a day, and its key (mode 0600) into dir as cert.pem
// and key.pem. It returns both paths and a pool that trusts the certificate.
func SelfSignedCert(t testing.TB, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert, err := devcert.Write(certFile, keyFile, "wardentest", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}
