package auth

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
)

// Reasons for refusing a client certificate. (Certificates from another CA
// never get this far: the TLS handshake refuses them.)
const (
	ReasonCertRevoked    Reason = "auth.mtls_certificate_revoked"
	ReasonCertNoIdentity Reason = "auth.mtls_no_identity"
	// ReasonCertAmbiguous: several CNs or SPIFFE IDs, or a CN that reads as
	// a SPIFFE ID (it could pass for the workload that ID names).
	ReasonCertAmbiguous Reason = "auth.mtls_ambiguous_identity"
	// ReasonCertExpired: a certificate (or one of its chain) that has
	// expired, or is not valid yet, since the connection's handshake: a
	// connection kept alive does not keep a certificate valid.
	ReasonCertExpired Reason = "auth.mtls_certificate_expired"
)

// MTLS authenticates verified client certificates: the identity is the
// certificate's SPIFFE ID (a spiffe:// URI SAN) or its subject CN, its groups
// the subject's OUs. The TLS layer has already verified the chain against
// server.tls.client_ca_file; MTLS adds the revocation list.
type MTLS struct {
	identityFrom string // auto, cn, spiffe
	groupsFromOU bool
	revoked      map[string]bool // serial numbers (decimal) on the CRL
}

var _ Authenticator = (*MTLS)(nil)

// NewMTLS builds the authenticator; the CRL, if any, must be signed by a
// certificate in caFile.
func NewMTLS(c config.MTLS, caFile string) (*MTLS, error) {
	m := &MTLS{identityFrom: c.IdentityFrom, groupsFromOU: c.GroupsFrom == "ou"}
	if c.CRLFile == "" {
		return m, nil
	}
	crl, err := LoadCRL(c.CRLFile)
	if err != nil {
		return nil, fmt.Errorf("auth.mtls.crl_file: %w", err)
	}
	cas, err := loadCerts(caFile)
	if err != nil {
		return nil, fmt.Errorf("auth.mtls: client CA: %w", err)
	}
	signed := false
	for _, ca := range cas {
		if crl.CheckSignatureFrom(ca) == nil {
			signed = true
			break
		}
	}
	if !signed {
		return nil, errors.New("auth.mtls.crl_file: not signed by a certificate in server.tls.client_ca_file")
	}
	m.revoked = make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		m.revoked[e.SerialNumber.String()] = true
	}
	return m, nil
}

// LoadCRL reads a CRL file, PEM or DER.
func LoadCRL(name string) (*x509.RevocationList, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if p, _ := pem.Decode(b); p != nil {
		b = p.Bytes
	}
	return x509.ParseRevocationList(b)
}

func loadCerts(name string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var p *pem.Block
		if p, b = pem.Decode(b); p == nil {
			break
		}
		if c, err := x509.ParseCertificate(p.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// Authenticate implements Authenticator.
func (m *MTLS) Authenticate(_ context.Context, r *http.Request) (*Identity, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, ErrNoCredentials
	}
	leaf := r.TLS.VerifiedChains[0][0]
	now := time.Now()
	for _, c := range r.TLS.VerifiedChains[0] {
		if now.After(c.NotAfter) || now.Before(c.NotBefore) {
			return nil, &Error{Reason: ReasonCertExpired, Msg: "client certificate expired"}
		}
	}
	if m.revoked[leaf.SerialNumber.String()] {
		return nil, &Error{Reason: ReasonCertRevoked, Msg: "client certificate revoked"}
	}
	if ambiguous(leaf) {
		return nil, &Error{Reason: ReasonCertAmbiguous, Msg: "client certificate names its identity ambiguously"}
	}
	name := m.name(leaf)
	if name == "" {
		return nil, &Error{Reason: ReasonCertNoIdentity, Msg: "client certificate names no identity (CN or SPIFFE ID)"}
	}
	id := &Identity{ID: "mtls:" + name, Type: "mtls", Name: name}
	if m.groupsFromOU {
		id.Groups = leaf.Subject.OrganizationalUnit
	}
	return id, nil
}

var oidCN = asn1.ObjectIdentifier{2, 5, 4, 3}

// ambiguous reports a certificate with several CNs or SPIFFE IDs, or whose
// CN is shaped like a SPIFFE ID.
func ambiguous(c *x509.Certificate) bool {
	cns, ids := 0, 0
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidCN) {
			cns++
		}
	}
	for _, u := range c.URIs {
		if strings.EqualFold(u.Scheme, "spiffe") {
			ids++
		}
	}
	return cns > 1 || ids > 1 || len(c.Subject.CommonName) >= 7 && strings.EqualFold(c.Subject.CommonName[:7], "spiffe:")
}

func (m *MTLS) name(c *x509.Certificate) string {
	var spiffe string
	for _, u := range c.URIs {
		if strings.EqualFold(u.Scheme, "spiffe") {
			spiffe = u.String()
			break
		}
	}
	switch m.identityFrom {
	case "spiffe":
		return spiffe
	case "cn":
		return c.Subject.CommonName
	}
	if spiffe != "" {
		return spiffe
	}
	return c.Subject.CommonName
}
