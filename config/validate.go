package config

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/content/presidio"
)

// Defaults applied by ApplyDefaults.
const (
	DefaultListen       = "0.0.0.0:8443"
	DefaultMaxBodyBytes = 1 << 20
)

// ApplyDefaults fills every unset key that has a default.
func (c *Config) ApplyDefaults() {
	if c.Audit.Durability == "" {
		c.Audit.Durability = DurabilitySync
	}
	if c.Audit.FailMode == "" {
		c.Audit.FailMode = FailClosed
	}
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Server.MaxBodyBytes == 0 {
		c.Server.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if t := c.Server.TLS; t != nil {
		if t.MinVersion == "" {
			t.MinVersion = "1.3"
		}
		if t.ClientAuth == "" {
			t.ClientAuth = "none"
		}
	}
	if c.Storage.Driver == "" {
		c.Storage.Driver = "sqlite"
	}
	if c.Storage.Driver == "sqlite" && c.Storage.DSN == "" && c.DataDir != "" {
		c.Storage.DSN = Secret(filepath.Join(c.DataDir, "warden.db"))
	}
	if c.KMS.Provider == "" {
		c.KMS.Provider = "local"
	}
	if c.RateLimit.Driver == "" {
		c.RateLimit.Driver = "memory"
	}
	if c.RateLimit.Driver == "redis" && c.RateLimit.Prefix == "" {
		c.RateLimit.Prefix = "warden:"
	}
	for i := range c.Auth.OIDC {
		o := &c.Auth.OIDC[i]
		if o.SubjectClaim == "" {
			o.SubjectClaim = "sub"
		}
		if o.GroupsClaim == "" {
			o.GroupsClaim = "groups"
		}
		if len(o.Algorithms) == 0 {
			o.Algorithms = slices.Clone(JWSAlgorithms)
		}
		if o.Leeway == 0 {
			o.Leeway = Duration(30 * time.Second)
		}
	}
	if c.Auth.MTLS.IdentityFrom == "" {
		c.Auth.MTLS.IdentityFrom = "auto"
	}
	if c.Auth.MTLS.GroupsFrom == "" {
		c.Auth.MTLS.GroupsFrom = "ou"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	for i := range c.Models {
		if m := &c.Models[i]; m.Builtin == "" && m.Upstream.Model == "" {
			m.Upstream.Model = m.Name
		}
	}
}

// classRE: classification names also name encryption keys.
var classRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$`)

// Validate returns every problem in c; nil means c is valid. It checks that
// referenced files exist but does not read secrets (the gateway resolves them).
func (c *Config) Validate() []Problem {
	var v validator
	if c.Version != Version {
		if c.Version == 0 {
			v.add("version", "required: set version: 1")
		} else {
			v.add("version", fmt.Sprintf("unsupported version %d; this build reads version 1", c.Version))
		}
	}
	if c.DataDir == "" {
		v.add("data_dir", "required")
	}
	c.validateServer(&v)
	c.validateStorage(&v)
	c.validateKMS(&v)
	c.validateRateLimit(&v)
	c.validateAuth(&v)
	c.validateAudit(&v)
	c.validateLog(&v)
	c.validateRoles(&v)
	c.validateClassifications(&v)
	c.validateModels(&v)
	c.validateContent(&v)
	c.validateApprovals(&v)
	c.validateAlerts(&v)
	c.validateSinks(&v)
	c.validateTelemetry(&v)
	c.validateConsole(&v)
	return v.probs
}

type validator struct{ probs []Problem }

func (v *validator) add(path, msg string) { v.probs = append(v.probs, Problem{Path: path, Msg: msg}) }

func (v *validator) file(path, name string) {
	if _, err := os.Stat(name); err != nil {
		v.add(path, fmt.Sprintf("cannot use %s: %v", name, unwrapPathErr(err)))
	}
}

func (v *validator) secret(path string, s Secret) {
	if s != "" && !s.IsRef() {
		v.add(path, "inline secrets are refused; write env:NAME or file:/path")
	}
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (c *Config) validateServer(v *validator) {
	s := c.Server
	if _, port, err := net.SplitHostPort(s.Listen); err != nil || port == "" {
		v.add("server.listen", fmt.Sprintf("want host:port, got %q", s.Listen))
	}
	if s.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(s.MetricsListen); err != nil || port == "" {
			v.add("server.metrics_listen", fmt.Sprintf("want host:port, got %q", s.MetricsListen))
		} else if s.MetricsListen == s.Listen {
			v.add("server.metrics_listen", "must differ from server.listen")
		}
	}
	if s.MaxBodyBytes < 1024 || s.MaxBodyBytes > 1<<30 {
		v.add("server.max_body_bytes", "must be between 1024 and 1073741824")
	}
	for i, p := range s.TrustedProxies {
		if _, err := ParsePrefix(p); err != nil {
			v.add(fmt.Sprintf("server.trusted_proxies[%d]", i), err.Error())
		}
	}
	if t := s.TLS; t != nil {
		if t.CertFile == "" || t.KeyFile == "" {
			v.add("server.tls", "cert_file and key_file are both required (omit tls to serve plain HTTP behind a TLS proxy)")
		} else {
			v.file("server.tls.cert_file", t.CertFile)
			v.file("server.tls.key_file", t.KeyFile)
		}
		if t.MinVersion != "1.2" && t.MinVersion != "1.3" {
			v.add("server.tls.min_version", fmt.Sprintf("want \"1.2\" or \"1.3\", got %q", t.MinVersion))
		}
		switch t.ClientAuth {
		case "none", "request":
		case "require":
			if t.ClientCAFile == "" {
				v.add("server.tls.client_ca_file", "required when client_auth is require")
			}
		default:
			v.add("server.tls.client_auth", fmt.Sprintf("want none, request or require, got %q", t.ClientAuth))
		}
		if t.ClientCAFile != "" {
			v.file("server.tls.client_ca_file", t.ClientCAFile)
		}
	}
	to := s.Timeouts
	for _, t := range []struct {
		name string
		d    Duration
	}{{"read_header", to.ReadHeader}, {"read", to.Read}, {"idle", to.Idle}, {"shutdown", to.Shutdown}, {"write_stall", to.WriteStall}} {
		if t.d < 0 {
			v.add("server.timeouts."+t.name, "must not be negative")
		}
	}
}

// ParsePrefixes parses a validated list of CIDRs or addresses.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, p := range list {
		pf, err := ParsePrefix(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pf)
	}
	return out, nil
}

// ParsePrefix parses a CIDR ("10.0.0.0/8") or a single address ("10.1.2.3").
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid address or CIDR %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (c *Config) validateStorage(v *validator) {
	switch c.Storage.Driver {
	case "sqlite":
		if c.Storage.DSN.IsRef() {
			v.add("storage.dsn", "for sqlite, a file path")
		}
	case "postgres":
		dsn := string(c.Storage.DSN)
		switch {
		case dsn == "":
			v.add("storage.dsn", "required for postgres (e.g. env:WARDEN_DATABASE_URL)")
		case !c.Storage.DSN.IsRef() && dsnHasPassword(dsn):
			v.add("storage.dsn", "contains a password; inline secrets are refused, write env:NAME or file:/path")
		}
	default:
		v.add("storage.driver", fmt.Sprintf("want sqlite or postgres, got %q", c.Storage.Driver))
	}
}

func dsnHasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return kvPasswordRE.MatchString(dsn)
}

// kvPasswordRE finds a password in a key=value DSN ("host=db password=x");
// libpq allows spaces around '=' and sslpassword is a secret too.
var kvPasswordRE = regexp.MustCompile(`(?i)password\s*=`)

func (c *Config) validateKMS(v *validator) {
	switch c.KMS.Provider {
	case "local":
		f := c.KMS.Local.KeyFile
		if f == "" {
			v.add("kms.local.key_file", "required (warden init writes one)")
			return
		}
		v.file("kms.local.key_file", f)
		if c.DataDir != "" && within(c.DataDir, f) {
			v.add("kms.local.key_file", "must not lie inside data_dir: the key that protects the data never sits beside it")
		}
	case "vault":
		vk := c.KMS.Vault
		if u, err := url.Parse(vk.Address); vk.Address == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("kms.vault.address", "required: the Vault server's URL, e.g. https://vault.example.com:8200")
		}
		if vk.Token == "" {
			v.add("kms.vault.token", "required: an env: or file: reference to a Vault token")
		} else if !vk.Token.IsRef() {
			v.add("kms.vault.token", "must be an env: or file: reference, not the token itself")
		}
	case "pkcs11":
		pk := c.KMS.PKCS11
		if pk.Module == "" {
			v.add("kms.pkcs11.module", "required: the path of the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so")
		} else {
			v.file("kms.pkcs11.module", pk.Module)
		}
		if pk.TokenLabel == "" {
			v.add("kms.pkcs11.token_label", "required: the label of the token that holds Warden's keys")
		}
		if pk.PIN == "" {
			v.add("kms.pkcs11.pin", "required: an env: or file: reference to the token's user PIN")
		} else if !pk.PIN.IsRef() {
			v.add("kms.pkcs11.pin", "must be an env: or file: reference, not the PIN itself")
		}
	case "awskms", "gcpkms", "azurekeyvault":
		p := c.KMS.Provider
		ck := map[string]CloudKMS{"awskms": c.KMS.AWSKMS, "gcpkms": c.KMS.GCPKMS, "azurekeyvault": c.KMS.AzureKeyVault}[p]
		if !strings.HasPrefix(ck.KeyURL, p+"://") || len(ck.KeyURL) == len(p+"://") {
			v.add("kms."+p+".key_url", fmt.Sprintf("required: the key's %s:// URL (see docs/encryption.md)", p))
		}
		if ck.KeyFile == "" {
			v.add("kms."+p+".key_file", "required: where the wrapped master key is kept (created on first use)")
		} else if c.DataDir != "" && within(c.DataDir, ck.KeyFile) {
			v.add("kms."+p+".key_file", "must not lie inside data_dir: the key ring beside it never sits beside the data")
		}
	default:
		v.add("kms.provider", fmt.Sprintf("unknown provider %q", c.KMS.Provider))
	}
}

// within reports whether file lies inside dir (both made absolute).
func within(dir, file string) bool {
	d, err1 := filepath.Abs(dir)
	f, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return false
	}
	if r, err := filepath.EvalSymlinks(d); err == nil {
		d = r
	}
	if r, err := filepath.EvalSymlinks(f); err == nil {
		f = r // the file itself may be a symlink into dir
	} else if r, err := filepath.EvalSymlinks(filepath.Dir(f)); err == nil {
		f = filepath.Join(r, filepath.Base(f))
	}
	rel, err := filepath.Rel(d, f)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (c *Config) validateLog(v *validator) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		v.add("log.level", fmt.Sprintf("want debug, info, warn or error, got %q", c.Log.Level))
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		v.add("log.format", fmt.Sprintf("want json or text, got %q", c.Log.Format))
	}
}

func (c *Config) validateRoles(v *validator) {
	seen := map[string]bool{}
	for i, r := range c.Roles {
		p := fmt.Sprintf("roles[%d]", i)
		switch {
		case r.Name == "":
			v.add(p+".name", "required")
		case !nameRE.MatchString(r.Name):
			v.add(p+".name", fmt.Sprintf("invalid name %q", r.Name))
		case seen[r.Name]:
			v.add(p+".name", fmt.Sprintf("duplicate role %q", r.Name))
		}
		seen[r.Name] = true
		for j, m := range r.Models {
			if m == "" {
				v.add(fmt.Sprintf("%s.models[%d]", p, j), "empty pattern")
			}
		}
		for j, g := range r.Groups {
			if g == "" || strings.TrimSpace(g) != g {
				v.add(fmt.Sprintf("%s.groups[%d]", p, j), "empty, or with leading or trailing spaces (groups match exactly)")
			}
		}
		v.prefixes(p+".ip_allow", r.IPAllow)
		if r.Classification != "" && c.Classification(r.Classification) == nil {
			v.add(p+".classification", fmt.Sprintf("%q is not defined in classifications", r.Classification))
		}
		// A slice, not a map: problems are listed in a stable order.
		for _, l := range []struct {
			name string
			n    int64
		}{{"requests_per_minute", r.Limits.RequestsPerMinute}, {"tokens_per_minute", r.Limits.TokensPerMinute},
			{"tokens_per_day", r.Limits.TokensPerDay}, {"tokens_per_month", r.Limits.TokensPerMonth},
			{"max_prompt_tokens", r.Limits.MaxPromptTokens}, {"max_tokens", r.Limits.MaxTokens}} {
			if l.n < 0 {
				v.add(p+".limits."+l.name, "must not be negative (0 = unlimited)")
			}
		}
		for j, cp := range r.Capabilities {
			if !slices.Contains(Capabilities, cp) {
				v.add(fmt.Sprintf("%s.capabilities[%d]", p, j), fmt.Sprintf("unknown capability %q (want one of %s)", cp, strings.Join(Capabilities, ", ")))
			}
		}
	}
}

func (c *Config) validateModels(v *validator) {
	seen := map[string]bool{}
	for i, m := range c.Models {
		p := fmt.Sprintf("models[%d]", i)
		switch {
		case m.Name == "":
			v.add(p+".name", "required")
		case !nameRE.MatchString(m.Name):
			v.add(p+".name", fmt.Sprintf("invalid name %q", m.Name))
		case seen[m.Name]:
			v.add(p+".name", fmt.Sprintf("duplicate model %q", m.Name))
		}
		seen[m.Name] = true
		if m.Limits.MaxPromptTokens < 0 {
			v.add(p+".limits.max_prompt_tokens", "must not be negative (0 = unlimited)")
		}
		if m.Limits.MaxTokens < 0 {
			v.add(p+".limits.max_tokens", "must not be negative (0 = unlimited)")
		}
		if m.Classification != "" && c.Classification(m.Classification) == nil {
			v.add(p+".classification", fmt.Sprintf("%q is not defined in classifications", m.Classification))
		}
		switch m.Builtin {
		case "":
			c.validateUpstream(v, p+".upstream", m.Upstream)
		case "demo":
			if m.Upstream != (Upstream{}) {
				v.add(p+".upstream", "a builtin model has no upstream")
			}
		default:
			v.add(p+".builtin", fmt.Sprintf("unknown builtin %q (want demo)", m.Builtin))
		}
	}
}

func (c *Config) validateClassifications(v *validator) {
	seen := map[string]bool{}
	for i, cl := range c.Classifications {
		p := fmt.Sprintf("classifications[%d]", i)
		switch {
		case cl.Name == "":
			v.add(p+".name", "required")
		case !classRE.MatchString(cl.Name):
			v.add(p+".name", fmt.Sprintf("invalid name %q (lower-case letters, digits, '-' and '_')", cl.Name))
		case seen[cl.Name]:
			v.add(p+".name", fmt.Sprintf("duplicate classification %q", cl.Name))
		}
		seen[cl.Name] = true
		switch cl.Store {
		case StoreFull:
			if cl.Retention <= 0 {
				v.add(p+".retention", "required with store: full (how long payloads are kept, e.g. 30d)")
			}
		case StoreHashOnly, StoreNone:
		case "":
			v.add(p+".store", "required: full, hash_only or none")
		default:
			v.add(p+".store", fmt.Sprintf("%q is not full, hash_only or none", cl.Store))
		}
		if cl.Retention < 0 {
			v.add(p+".retention", "must not be negative")
		}
	}
}

func (c *Config) validateUpstream(v *validator, p string, u Upstream) {
	if u.URL == "" {
		v.add(p+".url", "required (or set builtin: demo)")
	} else if pu, err := url.Parse(u.URL); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		v.add(p+".url", "want an absolute http:// or https:// URL")
	} else if pu.User != nil {
		v.add(p+".url", "must not carry credentials; use api_key: env:NAME")
	} else if pu.Fragment != "" {
		v.add(p+".url", "must not have a #fragment")
	}
	v.secret(p+".api_key", u.APIKey)
	if u.Timeout < 0 {
		v.add(p+".timeout", "must not be negative")
	}
	if u.IdleTimeout < 0 {
		v.add(p+".idle_timeout", "must not be negative")
	}
	switch u.API {
	case "", APIOpenAIChat, APIAnthropic:
	default:
		v.add(p+".api", fmt.Sprintf("%q is not openai_chat or anthropic", u.API))
	}
}

// validateAudit checks the audit signing key: it must be a note signer key,
// and its name is the log's origin (docs/audit.md), so audit.origin must match it.
func (c *Config) validateAudit(v *validator) {
	switch c.Audit.Durability {
	case "", DurabilitySync, DurabilityAsync:
	default:
		v.add("audit.durability", fmt.Sprintf("%q is not sync or async", c.Audit.Durability))
	}
	switch c.Audit.FailMode {
	case "", FailClosed, FailOpen:
	default:
		v.add("audit.fail_mode", fmt.Sprintf("%q is not closed or open", c.Audit.FailMode))
	}
	if d := c.Audit.CheckpointInterval; d != 0 && (d.D(0) < 100*time.Millisecond || d.D(0) > time.Hour) {
		v.add("audit.checkpoint_interval", "must be between 100ms and 1h")
	}
	f := c.Audit.SigningKeyFile
	if f == "" {
		v.add("audit.signing_key_file", "required: the audit log signs its checkpoints with it (warden init writes one)")
		return
	}
	b, err := os.ReadFile(f)
	if err != nil {
		v.add("audit.signing_key_file", fmt.Sprintf("cannot use %s: %v", f, unwrapPathErr(err)))
		return
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		v.add("audit.signing_key_file", "not a note signer key (warden init writes one)")
		return
	}
	if o := c.Audit.Origin; o != "" && o != signer.Name() {
		v.add("audit.origin", fmt.Sprintf("%q differs from the signing key's name %q; the origin is the key's name", o, signer.Name()))
	}
}

// JWSAlgorithms are the signature algorithms an OIDC issuer may be trusted
// with: asymmetric only, so never "none" and never HMAC with a public key.
var JWSAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func (v *validator) prefixes(path string, list []string) {
	for i, p := range list {
		if _, err := ParsePrefix(p); err != nil {
			v.add(fmt.Sprintf("%s[%d]", path, i), err.Error())
		}
	}
}

func (c *Config) validateRateLimit(v *validator) {
	switch c.RateLimit.Driver {
	case "memory":
		if c.RateLimit.URL != "" {
			// Otherwise a forgotten "driver: redis" leaves every replica
			// enforcing its own counters, silently multiplying the limits.
			v.add("ratelimit.url", "only used with driver redis (set driver: redis, or remove url)")
		}
	case "redis":
		u := string(c.RateLimit.URL)
		switch {
		case u == "":
			v.add("ratelimit.url", "required for redis (e.g. redis://127.0.0.1:6379/0)")
		case !c.RateLimit.URL.IsRef() && dsnHasPassword(u):
			v.add("ratelimit.url", "contains a password; inline secrets are refused, write env:NAME or file:/path")
		case !c.RateLimit.URL.IsRef():
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "redis" && pu.Scheme != "rediss") {
				v.add("ratelimit.url", "want redis:// or rediss:// URL")
			}
		}
	default:
		v.add("ratelimit.driver", fmt.Sprintf("want memory or redis, got %q", c.RateLimit.Driver))
	}
}

func (c *Config) validateAuth(v *validator) {
	v.prefixes("auth.ip_allow", c.Auth.IPAllow)
	seen := map[string]bool{}
	for i, o := range c.Auth.OIDC {
		p := fmt.Sprintf("auth.oidc[%d]", i)
		if o.Issuer == "" {
			v.add(p+".issuer", "required")
		} else if !SecureURL(o.Issuer) {
			v.add(p+".issuer", "want an https:// URL (http:// only on loopback)")
		} else if u, _ := url.Parse(o.Issuer); u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			// OpenID Connect Discovery 1.0 §2: no query or fragment; and
			// no credentials in a URL that is logged and compared.
			v.add(p+".issuer", "must have no user info, query or fragment")
		} else if seen[o.Issuer] {
			v.add(p+".issuer", "duplicate issuer")
		}
		seen[o.Issuer] = true
		if o.Audience == "" {
			v.add(p+".audience", "required: the aud value tokens for Warden carry")
		}
		if o.JWKSURL != "" {
			if !SecureURL(o.JWKSURL) {
				v.add(p+".jwks_url", "want an https:// URL (http:// only on loopback)")
			} else if u, _ := url.Parse(o.JWKSURL); u.User != nil {
				v.add(p+".jwks_url", "must not carry credentials")
			}
		}
		for j, a := range o.Algorithms {
			if !slices.Contains(JWSAlgorithms, a) {
				v.add(fmt.Sprintf("%s.algorithms[%d]", p, j), fmt.Sprintf("%q is not allowed (want one of %s)", a, strings.Join(JWSAlgorithms, ", ")))
			}
		}
		if o.SubjectClaim == "" {
			v.add(p+".subject_claim", "must not be empty")
		}
		if o.GroupsClaim == "" {
			v.add(p+".groups_claim", "must not be empty")
		}
		if o.Leeway < 0 || time.Duration(o.Leeway) > 5*time.Minute {
			v.add(p+".leeway", "must be between 0s and 5m")
		}
	}
	m := c.Auth.MTLS
	if m.Enabled {
		if t := c.Server.TLS; t == nil || t.ClientAuth == "none" || t.ClientCAFile == "" {
			v.add("auth.mtls.enabled", "needs server.tls with client_auth request or require and a client_ca_file")
		}
	}
	if m.IdentityFrom != "auto" && m.IdentityFrom != "cn" && m.IdentityFrom != "spiffe" {
		v.add("auth.mtls.identity_from", fmt.Sprintf("want auto, cn or spiffe, got %q", m.IdentityFrom))
	}
	if m.GroupsFrom != "ou" && m.GroupsFrom != "none" {
		v.add("auth.mtls.groups_from", fmt.Sprintf("want ou or none, got %q", m.GroupsFrom))
	}
	if m.CRLFile != "" {
		v.file("auth.mtls.crl_file", m.CRLFile)
	}
}

// SecureURL reports whether s is an absolute https URL, or http on loopback.
func SecureURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		a, err := netip.ParseAddr(h)
		return err == nil && a.IsLoopback()
	}
	return false
}

func (c *Config) validateContent(v *validator) {
	validateStage(v, "content.request", &c.Content.Request, true)
	validateStage(v, "content.response", &c.Content.Response, false)
	for i, r := range c.Roles {
		if r.Content != nil {
			validateStage(v, fmt.Sprintf("roles[%d].content.request", i), &r.Content.Request, true)
			validateStage(v, fmt.Sprintf("roles[%d].content.response", i), &r.Content.Response, false)
		}
	}
	for i, m := range c.Models {
		if m.Content != nil {
			validateStage(v, fmt.Sprintf("models[%d].content.request", i), &m.Content.Request, true)
			validateStage(v, fmt.Sprintf("models[%d].content.response", i), &m.Content.Response, false)
		}
	}
	validateAnalyzers(v, c.Content.Analyzers)
	validateGuards(v, c.Content.Guards)
	for i, r := range c.Content.PhoneRegions {
		if !content.Region(r) {
			v.add(fmt.Sprintf("content.phone_regions[%d]", i), fmt.Sprintf("unknown region %q (want an ISO 3166 code such as US, DE or GB)", r))
		}
	}
}

// validateAnalyzers checks content.analyzers.
func validateAnalyzers(v *validator, list []ContentAnalyzer) {
	names := map[string]bool{}
	for i, a := range list {
		p := fmt.Sprintf("content.analyzers[%d]", i)
		v.uniqueName(names, p, a.Name, "analyzer name", " (it appears in records)")
		if a.Type != "presidio" {
			v.add(p+".type", fmt.Sprintf("unknown type %q (want presidio)", a.Type))
		}
		if u, err := url.Parse(a.URL); a.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", "want the analyzer's http:// or https:// base URL (requests go to {url}/analyze)")
		} else if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			v.add(p+".url", "want a URL without credentials, query or fragment")
		}
		for j, t := range a.Entities {
			if _, ok := presidio.Entities[t]; !ok {
				v.add(fmt.Sprintf("%s.entities[%d]", p, j), fmt.Sprintf("%q is not a Presidio entity type Warden maps (want one of %s)", t, strings.Join(presidio.EntityTypes(), ", ")))
			}
		}
		if a.Language != "" && !analyzerLanguage.MatchString(a.Language) {
			v.add(p+".language", fmt.Sprintf("%q is not a language code (en, de, es, ...)", a.Language))
		}
		if a.ScoreThreshold < 0 || a.ScoreThreshold > 1 {
			v.add(p+".score_threshold", "must be between 0 and 1 (0: the default, 0.5)")
		}
		if d := a.Timeout.D(0); d < 0 || d > 30*time.Second {
			v.add(p+".timeout", "must be between 0 and 30s (0: the default, 2s)")
		}
		if a.OnError != "" && a.OnError != "block" && a.OnError != "allow" {
			v.add(p+".on_error", fmt.Sprintf("%q: want block (the default) or allow", a.OnError))
		}
	}
}

// validateGuards checks content.guards.
func validateGuards(v *validator, list []ContentGuard) {
	names := map[string]bool{}
	for i, g := range list {
		p := fmt.Sprintf("content.guards[%d]", i)
		v.uniqueName(names, p, g.Name, "guard name", " (it appears in records)")
		switch g.Type {
		case "http", "lakera":
		default:
			v.add(p+".type", fmt.Sprintf("unknown type %q (want http or lakera)", g.Type))
		}
		switch u, err := url.Parse(g.URL); {
		case g.URL == "" && g.Type == "lakera": // lakera's default: https://api.lakera.ai
		case g.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.add(p+".url", "want the guard's http:// or https:// URL (type http: the endpoint; lakera: the base URL, requests go to {url}/v2/guard)")
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			v.add(p+".url", "want a URL without credentials, query or fragment")
		}
		v.secret(p+".api_key", g.APIKey)
		if g.Type == "lakera" && g.APIKey == "" && (g.URL == "" || strings.HasSuffix(strings.TrimRight(g.URL, "/"), "api.lakera.ai")) {
			v.add(p+".api_key", "Lakera's service needs an API key: write env:NAME or file:/path")
		}
		if d := g.Timeout.D(0); d < 0 || d > 30*time.Second {
			v.add(p+".timeout", "must be between 0 and 30s (0: the default, 2s)")
		}
		if g.OnError != "" && g.OnError != "block" && g.OnError != "allow" {
			v.add(p+".on_error", fmt.Sprintf("%q: want block (the default) or allow", g.OnError))
		}
	}
}

// analyzerLanguage is a language code as Presidio takes it.
var analyzerLanguage = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?$`)

// validateStage checks one direction of a content policy at path.
func validateStage(v *validator, path string, stage *ContentStage, request bool) {
	for _, ent := range slices.Sorted(maps.Keys(stage.PII)) {
		p := path + ".pii." + ent
		if !content.PIIKey(ent) {
			v.add(p, fmt.Sprintf("unknown entity or preset %q (want one of %s; or a preset: %s)", ent, strings.Join(content.Entities(), ", "), strings.Join(content.Presets(), ", ")))
		}
		switch a, ok := content.ParseAction(stage.PII[ent]); {
		case !ok:
			v.add(p, fmt.Sprintf("unknown action %q (want allow, flag, mask, hash, pseudonymize, redact or block)", stage.PII[ent]))
		case a == content.Pseudonymize && !request:
			// Restoring is the request's: a response has no client value
			// to give back.
			v.add(p, "pseudonymize is an action of content.request (the response gets the request's values back); use redact here")
		}
	}
	names := map[string]bool{}
	for i, r := range stage.Deny {
		p := fmt.Sprintf("%s.deny[%d]", path, i)
		switch {
		case r.Name == "":
			v.add(p+".name", "required")
		case !content.RuleName(r.Name):
			v.add(p+".name", "use 1-64 characters of a-z, 0-9, '-', '_' and '.': the name appears in errors and records")
		case names[r.Name]:
			v.add(p+".name", fmt.Sprintf("duplicate rule name %q", r.Name))
		}
		names[r.Name] = true
		if (r.Pattern == "") == (len(r.Phrases) == 0) {
			v.add(p, "set one of pattern or phrases")
		}
		if r.Pattern != "" {
			if _, err := regexp.Compile(r.Pattern); err != nil {
				v.add(p+".pattern", "not a valid regular expression (RE2 syntax)")
			}
		}
		for j, ph := range r.Phrases {
			if strings.TrimSpace(ph) == "" {
				v.add(fmt.Sprintf("%s.phrases[%d]", p, j), "empty phrase")
			}
		}
		switch r.Action {
		case "", "block", "redact", "flag":
		default:
			v.add(p+".action", fmt.Sprintf("unknown action %q (want block, redact or flag)", r.Action))
		}
	}
	switch stage.Injection {
	case "", "off":
	case "block", "flag", "shadow":
		if !request {
			v.add(path+".injection", "injection screening applies to requests; set it under request")
		}
	default:
		v.add(path+".injection", fmt.Sprintf("unknown mode %q (want block, flag, shadow or off)", stage.Injection))
	}
	if t := stage.InjectionToolThreshold; t < 0 || t > 1 {
		v.add(path+".injection_tool_threshold", "must be in (0, 1] (0 or unset: the default)")
	}
	if t := stage.InjectionSystemThreshold; t < 0 || t > 1 {
		v.add(path+".injection_system_threshold", "must be in (0, 1] (0 or unset: the default)")
	}
	seen := map[string]bool{}
	for j, o := range stage.InjectionSources {
		p := fmt.Sprintf("%s.injection_sources[%d]", path, j)
		switch _, ok := content.ParseOrigin(o); {
		case !ok:
			v.add(p, fmt.Sprintf("unknown origin %q (want %s)", o, strings.Join(content.OriginNames(), ", ")))
		case seen[o]:
			v.add(p, fmt.Sprintf("%q is listed twice", o))
		}
		seen[o] = true
	}
	if stage.InjectionSources != nil && len(stage.InjectionSources) == 0 {
		v.add(path+".injection_sources", "lists no origin: set injection: off to screen nothing, or leave it out to screen every origin")
	}
	if !request && (stage.InjectionSources != nil || stage.InjectionToolThreshold != 0 || stage.InjectionSystemThreshold != 0) {
		v.add(path+".injection_sources", "injection screening applies to requests; set it under request")
	}
	if t := stage.InjectionThreshold; t < 0 || t > 1 {
		v.add(path+".injection_threshold", "must be between 0 (the default, content.InjectionThreshold) and 1: a probability")
	}
	for _, f := range []struct {
		name  string
		paths []string
	}{{"include", stage.Fields.Include}, {"exclude", stage.Fields.Exclude}} {
		for j, fp := range f.paths {
			if _, ok := ParseFieldPath(fp); !ok {
				v.add(fmt.Sprintf("%s.fields.%s[%d]", path, f.name, j), fmt.Sprintf("%q is not a field path (write messages[*].content, tools[*].function.name)", fp))
			}
		}
	}
}

// ParseFieldPath reads a field path such as messages[*].content or
// prompt: object keys joined by dots, [*] for any array element. It
// returns the path's elements, "[]" standing for [*].
func ParseFieldPath(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	var out []string
	for _, part := range strings.Split(s, ".") {
		key, arrays := part, 0
		for strings.HasSuffix(key, "[*]") {
			key, arrays = strings.TrimSuffix(key, "[*]"), arrays+1
		}
		if key == "" || strings.ContainsAny(key, "[]*") {
			return nil, false
		}
		out = append(out, key)
		for range arrays {
			out = append(out, "[]")
		}
	}
	return out, true
}

func (c *Config) validateApprovals(v *validator) {
	a := c.Approvals
	roles := map[string]bool{}
	for _, r := range c.Roles {
		roles[r.Name] = true
	}
	for i, r := range a.Approvers {
		if !roles[r] {
			v.add(fmt.Sprintf("approvals.approvers[%d]", i), fmt.Sprintf("%q is not defined in roles", r))
		}
	}
	if d := a.Hold.D(0); d < 0 || d > 5*time.Minute {
		v.add("approvals.hold", "must be between 0 and 5m")
	}
	if a.TTL < 0 {
		v.add("approvals.ttl", "must not be negative")
	}
	if a.MaxPending < 0 {
		v.add("approvals.max_pending", "must not be negative (0: the default, 10)")
	}
	validateNotify(v, "approvals.notify", a.Notify)
	names := map[string]bool{}
	for i, r := range a.Rules {
		p := fmt.Sprintf("approvals.rules[%d]", i)
		v.uniqueName(names, p, r.Name, "rule name", " (it appears in records)")
		for j, cp := range r.Capabilities {
			if cp != "chat" && cp != "completions" && cp != "embeddings" {
				v.add(fmt.Sprintf("%s.capabilities[%d]", p, j), fmt.Sprintf("%q: want chat, completions or embeddings", cp))
			}
		}
		for j, rn := range r.Roles {
			if !roles[rn] {
				v.add(fmt.Sprintf("%s.roles[%d]", p, j), fmt.Sprintf("%q is not defined in roles", rn))
			}
		}
		for j, e := range r.Entities {
			if !content.PIIKey(e) {
				v.add(fmt.Sprintf("%s.entities[%d]", p, j), fmt.Sprintf("unknown entity or preset %q (want one of %s; or a preset: %s)", e, strings.Join(content.Entities(), ", "), strings.Join(content.Presets(), ", ")))
			}
		}
		if r.MinPromptTokens < 0 {
			v.add(p+".min_prompt_tokens", "must not be negative")
		}
	}
}

// validateNotify checks notification targets at path.
func validateNotify(v *validator, path string, targets []NotifyTarget) {
	names := map[string]bool{}
	for i, t := range targets {
		p := fmt.Sprintf("%s[%d]", path, i)
		v.uniqueName(names, p, t.Name, "target", "")
		switch t.Type {
		case "slack":
			if !t.URL.IsRef() {
				v.add(p+".url", "a Slack webhook URL is a secret: write env:NAME or file:/path")
			}
		case "webhook":
			v.webURL(p+".url", t.URL)
			v.secret(p+".secret", t.Secret)
		default:
			v.add(p+".type", fmt.Sprintf("unknown type %q (want slack or webhook)", t.Type))
		}
	}
}

var alertKinds = []string{"denied", "volume", "restricted_model", "content_blocked", "injection", "key_expiry", "sink_lag"}

func (c *Config) validateAlerts(v *validator) {
	names := map[string]bool{}
	for i, a := range c.Alerts {
		p := fmt.Sprintf("alerts[%d]", i)
		v.uniqueName(names, p, a.Name, "alert", "")
		if !slices.Contains(alertKinds, a.When) {
			v.add(p+".when", fmt.Sprintf("unknown kind %q (want one of %s)", a.When, strings.Join(alertKinds, ", ")))
		}
		if a.When != "key_expiry" && a.Threshold <= 0 {
			v.add(p+".threshold", "required: a positive number (volume: a multiple of the baseline)")
		}
		if w := a.Window.D(time.Minute); w < 10*time.Second || w > 90*24*time.Hour {
			v.add(p+".window", "must be between 10s and 90d")
		}
		if a.MinCount < 0 {
			v.add(p+".min_count", "must not be negative")
		}
		validateNotify(v, p+".notify", a.Notify)
	}
}

func (c *Config) validateSinks(v *validator) {
	names := map[string]bool{}
	for i, sk := range c.Audit.Sinks {
		p := fmt.Sprintf("audit.sinks[%d]", i)
		v.uniqueName(names, p, sk.Name, "sink", " (it keys the sink's cursor)")
		needURL := func() { v.webURL(p+".url", sk.URL) }
		switch sk.Type {
		case "splunk_hec":
			needURL()
			if sk.Token == "" {
				v.add(p+".token", "required: an env: or file: reference to the HEC token")
			}
			v.secret(p+".token", sk.Token)
		case "elasticsearch":
			needURL()
			v.secret(p+".api_key", sk.APIKey)
			v.secret(p+".password", sk.Password)
		case "webhook":
			needURL()
			v.secret(p+".secret", sk.Secret)
		case "file":
			if sk.Path == "" {
				v.add(p+".path", "required")
			}
		case "syslog":
			if u, err := url.Parse(string(sk.URL)); !sk.URL.IsRef() && (err != nil || (u.Scheme != "tcp" && u.Scheme != "tls") || u.Port() == "") {
				v.add(p+".url", "want tcp://host:port or tls://host:port")
			}
			if sk.CAFile != "" {
				v.file(p+".ca_file", sk.CAFile)
			}
		case "s3":
			if sk.URL != "" {
				v.webURL(p+".url", sk.URL)
			}
			if sk.Bucket == "" {
				v.add(p+".bucket", "required: a bucket with Object Lock enabled")
			}
			if sk.Retention.D(0) <= 0 {
				v.add(p+".retention", "required: how long each archived object is locked, e.g. 7y (2555d)")
			}
			if sk.AccessKeyID == "" || sk.SecretAccessKey == "" {
				v.add(p+".access_key_id", "required with secret_access_key: env: or file: references")
			}
			v.secret(p+".access_key_id", sk.AccessKeyID)
			v.secret(p+".secret_access_key", sk.SecretAccessKey)
		case "azure_monitor":
			needURL()
			for _, f := range []struct{ name, val string }{{"rule_id", sk.RuleID}, {"stream", sk.Stream}, {"tenant_id", sk.TenantID}, {"client_id", sk.ClientID}} {
				if f.val == "" {
					v.add(p+"."+f.name, "required with azure_monitor")
				}
			}
			if sk.ClientSecret == "" {
				v.add(p+".client_secret", "required: an env: or file: reference")
			}
			v.secret(p+".client_secret", sk.ClientSecret)
		default:
			v.add(p+".type", fmt.Sprintf("unknown type %q (want splunk_hec, elasticsearch, azure_monitor, webhook, syslog, s3 or file)", sk.Type))
		}
		if sk.Batch < 0 || sk.Batch > 10000 {
			v.add(p+".batch", "must be between 0 (the default, 500) and 10000")
		}
		if sk.MaxSize < 0 {
			v.add(p+".max_size", "must not be negative")
		}
	}
}

// webURL checks a required URL that may be a secret: an http(s) URL
// without credentials or query, or an env:/file: reference.
func (v *validator) webURL(path string, s Secret) {
	switch {
	case s == "":
		v.add(path, "required")
	case s.IsRef():
	default:
		if u, err := url.Parse(string(s)); err != nil || !SecureURL(string(s)) {
			v.add(path, "want an https:// URL (http:// only on loopback), or an env: or file: reference")
		} else if u.User != nil || u.RawQuery != "" {
			v.add(path, "a URL with credentials or a query is a secret: write env:NAME or file:/path")
		}
	}
}

// uniqueName checks the name of list entry p: a rule name (content.RuleName,
// why says where it shows), not used before in names.
func (v *validator) uniqueName(names map[string]bool, p, name, kind, why string) {
	switch {
	case name == "" || !content.RuleName(name):
		v.add(p+".name", "required: 1-64 characters of a-z, 0-9, '-', '_' and '.'"+why)
	case names[name]:
		v.add(p+".name", fmt.Sprintf("duplicate %s %q", kind, name))
	}
	names[name] = true
}
