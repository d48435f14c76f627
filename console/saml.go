package console

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
)

// SAML makes the console a SAML 2.0 service provider (crewjam/saml, with
// goxmldsig for signatures): SP-initiated sign-in with the HTTP-Redirect
// binding, assertions received at the ACS with HTTP-POST, IdP-initiated
// sign-in if allowed. crewjam checks the signature, issuer, audience,
// recipient, validity window and InResponseTo; SAML adds a replay cache of
// assertion ids and the binding of a response to the browser that asked.
type SAML struct {
	SP  *saml.ServiceProvider
	cfg config.ConsoleSAML

	mu   sync.Mutex
	seen map[string]time.Time // assertion id -> when it may be forgotten
}

// NewSAML loads the SP's key pair and the IdP's metadata; base is
// console.url.
func NewSAML(ctx context.Context, cfg config.ConsoleSAML, base string, client *http.Client) (*SAML, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("console.saml: key pair: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("console.saml.cert_file: %w", err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("console.saml.key_file: not a signing key")
	}
	md, err := readMetadata(ctx, cfg, client)
	if err != nil {
		return nil, err
	}
	if cfg.GroupsAttribute == "" {
		cfg.GroupsAttribute = "groups"
	}
	b, _ := url.Parse(strings.TrimRight(base, "/"))
	meta, acs := *b, *b
	meta.Path, acs.Path = "/console/saml/metadata", "/console/saml/acs"
	entity := cfg.EntityID
	if entity == "" {
		entity = meta.String()
	}
	sp := &saml.ServiceProvider{EntityID: entity, Key: signer, Certificate: cert, HTTPClient: client,
		MetadataURL: meta, AcsURL: acs, IDPMetadata: md, AllowIDPInitiated: cfg.AllowIdPInitiated,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat, SignatureMethod: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
	return &SAML{SP: sp, cfg: cfg, seen: map[string]time.Time{}}, nil
}

func readMetadata(ctx context.Context, cfg config.ConsoleSAML, client *http.Client) (*saml.EntityDescriptor, error) {
	var data []byte
	var err error
	if cfg.IdPMetadataFile != "" {
		data, err = os.ReadFile(cfg.IdPMetadataFile)
	} else {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, cfg.IdPMetadataURL, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				} else {
					data, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("console.saml: IdP metadata: %w", err)
	}
	return ParseMetadata(data)
}

// ParseMetadata reads an IdP's metadata: an EntityDescriptor, or the
// first IdP in an EntitiesDescriptor.
func ParseMetadata(data []byte) (*saml.EntityDescriptor, error) {
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(data, &ed); err == nil && len(ed.IDPSSODescriptors) > 0 {
		return &ed, nil
	}
	var eds saml.EntitiesDescriptor
	if err := xml.Unmarshal(data, &eds); err != nil {
		return nil, errors.New("console.saml: IdP metadata is not SAML metadata")
	}
	for i := range eds.EntityDescriptors {
		if len(eds.EntityDescriptors[i].IDPSSODescriptors) > 0 {
			return &eds.EntityDescriptors[i], nil
		}
	}
	return nil, errors.New("console.saml: IdP metadata names no identity provider")
}

// AuthURL returns the IdP's sign-in URL for a new request, and its id.
func (s *SAML) AuthURL(relayState string) (string, string, error) {
	req, err := s.SP.MakeAuthenticationRequest(s.SP.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", err
	}
	u, err := req.Redirect(relayState, s.SP)
	if err != nil {
		return "", "", err
	}
	return u.String(), req.ID, nil
}

// Metadata is the SP's metadata document.
func (s *SAML) Metadata() ([]byte, error) {
	return xml.MarshalIndent(s.SP.Metadata(), "", "  ")
}

// ErrReplayed: an assertion was presented a second time.
var ErrReplayed = errors.New("saml: assertion replayed")

// Accept checks the POSTed response r. possible are the request ids this
// browser's sign-ins are waiting for; it returns the claims and the id
// the response answers ("" if IdP-initiated).
func (s *SAML) Accept(r *http.Request, possible []string, now time.Time) (Claims, string, error) {
	a, err := s.SP.ParseResponse(r, possible)
	if err != nil {
		var ie *saml.InvalidResponseError
		if errors.As(err, &ie) {
			err = fmt.Errorf("saml: %w: %v", err, ie.PrivateErr)
		}
		return Claims{}, "", err
	}
	inResponseTo := ""
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if sc.SubjectConfirmationData != nil && sc.SubjectConfirmationData.InResponseTo != "" {
				inResponseTo = sc.SubjectConfirmationData.InResponseTo
			}
		}
	}
	switch {
	case inResponseTo != "" && !slices.Contains(possible, inResponseTo):
		return Claims{}, "", errors.New("saml: the response answers no sign-in of this browser")
	case inResponseTo == "" && !s.cfg.AllowIdPInitiated:
		return Claims{}, "", errors.New("saml: IdP-initiated sign-in is not allowed")
	}
	if err := s.remember(a, now); err != nil {
		return Claims{}, "", err
	}
	return s.claims(a), inResponseTo, nil
}

// remember refuses an assertion id seen before and keeps it until the
// assertion could no longer be accepted anyway.
func (s *SAML) remember(a *saml.Assertion, now time.Time) error {
	until := now.Add(saml.MaxIssueDelay + saml.MaxClockSkew)
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() {
		until = a.Conditions.NotOnOrAfter.Add(saml.MaxClockSkew)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.seen {
		if now.After(t) {
			delete(s.seen, id)
		}
	}
	if a.ID == "" {
		return errors.New("saml: assertion has no id")
	}
	if _, ok := s.seen[a.ID]; ok {
		return ErrReplayed
	}
	s.seen[a.ID] = until
	return nil
}

func (s *SAML) claims(a *saml.Assertion) Claims {
	id := auth.Identity{Type: "saml"}
	if a.Subject != nil && a.Subject.NameID != nil {
		id.Name = a.Subject.NameID.Value
	}
	id.ID = s.SP.IDPMetadata.EntityID + "#" + id.Name
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name != s.cfg.GroupsAttribute && at.FriendlyName != s.cfg.GroupsAttribute {
				continue
			}
			for _, v := range at.Values {
				if v.Value != "" && !slices.Contains(id.Groups, v.Value) {
					id.Groups = append(id.Groups, v.Value)
				}
			}
		}
	}
	mfa := false
	for _, st := range a.AuthnStatements {
		if ref := st.AuthnContext.AuthnContextClassRef; ref != nil && slices.Contains(s.cfg.MFA, ref.Value) {
			mfa = true
		}
	}
	return Claims{Identity: id, MFA: mfa}
}
