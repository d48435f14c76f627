package auth

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"
)

// TestMTLSExpiryCheckedPerRequest: the chain verified at the handshake is
// checked against the clock on every request, so a kept-alive connection
// does not keep an expired (or not yet valid) certificate working.
func TestMTLSExpiryCheckedPerRequest(t *testing.T) {
	m := &MTLS{identityFrom: "auto"}
	now := time.Now()
	cert := func(from, to time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "svc"}, NotBefore: from, NotAfter: to}
	}
	ca := cert(now.Add(-time.Hour), now.Add(time.Hour))
	for name, tt := range map[string]struct {
		leaf, ca *x509.Certificate
		ok       bool
	}{
		"valid":      {cert(now.Add(-time.Hour), now.Add(time.Hour)), ca, true},
		"expired":    {cert(now.Add(-time.Hour), now.Add(-time.Second)), ca, false},
		"not yet":    {cert(now.Add(time.Minute), now.Add(time.Hour)), ca, false},
		"CA expired": {cert(now.Add(-time.Hour), now.Add(time.Hour)), cert(now.Add(-2*time.Hour), now.Add(-time.Minute)), false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{tt.leaf, tt.ca}}}
		id, err := m.Authenticate(t.Context(), r)
		var ae *Error
		switch {
		case tt.ok && (err != nil || id.Name != "svc"):
			t.Errorf("%s: %v", name, err)
		case !tt.ok && (!errors.As(err, &ae) || ae.Reason != ReasonCertExpired):
			t.Errorf("%s: %v, want %s", name, err, ReasonCertExpired)
		}
	}
}
