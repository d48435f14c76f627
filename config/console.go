package config

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// Console configures the web console at /console/ (docs/console.md): who
// may sign in (OIDC authorisation code with PKCE, SAML 2.0), and for how
// long a session lasts. Roles come from roles[].groups, as for the API;
// roles[].require_mfa asks for a second factor at sign-in.
type Console struct {
	// URL is the console's external base URL, as browsers reach the
	// gateway (https://warden.example.com): the OIDC redirect URI, the
	// SAML ACS and metadata URLs are derived from it.
	URL     string         `yaml:"url"`
	Session ConsoleSession `yaml:"session"`
	OIDC    *ConsoleOIDC   `yaml:"oidc"` // nil: no OIDC sign-in
	SAML    *ConsoleSAML   `yaml:"saml"` // nil: no SAML sign-in
}

// On reports whether the console is served: it is when a way to sign in
// is configured.
func (c Console) On() bool { return c.OIDC != nil || c.SAML != nil }

// ConsoleSession bounds a console session.
type ConsoleSession struct {
	IdleTimeout Duration `yaml:"idle_timeout"` // ends after this long without a request; default 30m
	MaxAge      Duration `yaml:"max_age"`      // ends this long after sign-in whatever happens; default 12h
}

// ConsoleOIDC is the OpenID Provider people sign in with.
type ConsoleOIDC struct {
	Issuer       string `yaml:"issuer"`    // exact iss; discovery at ISSUER/.well-known/openid-configuration
	ClientID     string `yaml:"client_id"` // the ID token's audience
	ClientSecret Secret `yaml:"client_secret"`
	// Scopes asked for; default [openid, profile, email, groups].
	Scopes      []string `yaml:"scopes"`
	GroupsClaim string   `yaml:"groups_claim"` // default "groups"
	// MFA lists the amr or acr values that count as a second factor for
	// roles[].require_mfa; default [mfa, otp, hwk, swk, sc, fpt, face].
	MFA []string `yaml:"mfa"`
}

// ConsoleSAML makes the console a SAML 2.0 service provider.
type ConsoleSAML struct {
	IdPMetadataURL  string `yaml:"idp_metadata_url"`  // the IdP's metadata, fetched at start
	IdPMetadataFile string `yaml:"idp_metadata_file"` // or read from a file
	// EntityID is the SP's entity id; default URL/console/saml/metadata.
	EntityID string `yaml:"entity_id"`
	CertFile string `yaml:"cert_file"` // the SP's certificate (PEM), published in its metadata
	KeyFile  string `yaml:"key_file"`  // its private key (PEM), signs authentication requests
	// GroupsAttribute names the assertion attribute holding groups;
	// default "groups".
	GroupsAttribute string `yaml:"groups_attribute"`
	// MFA lists the AuthnContextClassRef values that count as a second
	// factor for roles[].require_mfa.
	MFA []string `yaml:"mfa"`
	// AllowIdPInitiated accepts assertions no request of the console asked
	// for (the IdP's app tile); replays are refused all the same.
	AllowIdPInitiated bool `yaml:"allow_idp_initiated"`
}

// DefaultOIDCMFA are the amr values (RFC 8176) that count as a second
// factor when console.oidc.mfa is not set.
var DefaultOIDCMFA = []string{"mfa", "otp", "hwk", "swk", "sc", "fpt", "face"}

func (c *Config) validateConsole(v *validator) {
	k := c.Console
	if !k.On() {
		if k.URL != "" {
			v.add("console", "set console.oidc or console.saml (or remove console.url)")
		}
		for _, r := range c.Roles {
			if r.RequireMFA {
				v.add("console", "roles ask for require_mfa but no console sign-in is configured")
				break
			}
		}
		return
	}
	u, err := url.Parse(k.URL)
	switch {
	case k.URL == "":
		v.add("console.url", "required: the URL browsers reach the gateway at, e.g. https://warden.example.com")
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		v.add("console.url", "want a base URL with no path, query or credentials, e.g. https://warden.example.com")
	case u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())):
		v.add("console.url", "want https:// (the session cookie is Secure); http:// only on a loopback address")
	}
	if k.Session.IdleTimeout < 0 {
		v.add("console.session.idle_timeout", "must not be negative")
	}
	if k.Session.MaxAge < 0 {
		v.add("console.session.max_age", "must not be negative")
	}
	if k.Session.IdleTimeout > 0 && k.Session.MaxAge > 0 && k.Session.IdleTimeout > k.Session.MaxAge {
		v.add("console.session.idle_timeout", "longer than console.session.max_age")
	}
	if o := k.OIDC; o != nil {
		if iu, err := url.Parse(o.Issuer); o.Issuer == "" || err != nil || iu.Host == "" || (iu.Scheme != "https" && !(iu.Scheme == "http" && loopback(iu.Hostname()))) {
			v.add("console.oidc.issuer", "want the issuer's https:// URL (http:// only on a loopback address)")
		}
		if o.ClientID == "" {
			v.add("console.oidc.client_id", "required")
		}
		v.secret("console.oidc.client_secret", o.ClientSecret)
		if len(o.Scopes) > 0 && !slices.Contains(o.Scopes, "openid") {
			v.add("console.oidc.scopes", "must include openid")
		}
	}
	if s := k.SAML; s != nil {
		switch {
		case s.IdPMetadataURL == "" && s.IdPMetadataFile == "":
			v.add("console.saml", "set idp_metadata_url or idp_metadata_file")
		case s.IdPMetadataURL != "" && s.IdPMetadataFile != "":
			v.add("console.saml", "set one of idp_metadata_url and idp_metadata_file, not both")
		case s.IdPMetadataFile != "":
			v.file("console.saml.idp_metadata_file", s.IdPMetadataFile)
		default:
			if mu, err := url.Parse(s.IdPMetadataURL); err != nil || mu.Host == "" || (mu.Scheme != "https" && !(mu.Scheme == "http" && loopback(mu.Hostname()))) {
				v.add("console.saml.idp_metadata_url", "want an https:// URL (http:// only on a loopback address)")
			}
		}
		if s.CertFile == "" {
			v.add("console.saml.cert_file", "required: the SP's certificate (PEM)")
		} else {
			v.file("console.saml.cert_file", s.CertFile)
		}
		if s.KeyFile == "" {
			v.add("console.saml.key_file", "required: the SP's private key (PEM)")
		} else {
			v.file("console.saml.key_file", s.KeyFile)
		}
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
