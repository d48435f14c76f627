package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidateListsEveryProblem(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c := &Config{
		Version: 2,
		Server: Server{
			Listen:         "localhost",
			MaxBodyBytes:   10,
			TrustedProxies: []string{"10.0.0.0/8", "10.0.0.0/33"},
			TLS:            &TLS{CertFile: tr.Cert, KeyFile: filepath.Join(tr.Dir, "nope.pem"), MinVersion: "1.1", ClientAuth: "always"},
			Timeouts:       Timeouts{Read: -1, Shutdown: -1},
		},
		Storage:   Storage{Driver: "mysql"},
		KMS:       KMS{Provider: "pkcs12"},
		RateLimit: RateLimit{Driver: "memcached"},
		Auth: Auth{
			IPAllow: []string{"10.0.0.0/8", "everywhere"},
			OIDC: []OIDC{
				{Issuer: "http://idp.example.com", JWKSURL: "ftp://idp.example.com/keys", Algorithms: []string{"RS256", "HS256", "none"}, Leeway: Duration(time.Hour)},
				{Audience: "warden", SubjectClaim: "sub", GroupsClaim: "groups"},
			},
			MTLS: MTLS{Enabled: true, IdentityFrom: "dn", GroupsFrom: "o", CRLFile: filepath.Join(tr.Dir, "missing.crl")},
		},
		Audit: Audit{SigningKeyFile: filepath.Join(tr.Dir, "missing.key")},
		Log:   Log{Level: "loud", Format: "xml"},
		Roles: []Role{
			{
				Name: "ops", Models: []string{"*", ""}, Groups: []string{"ops", " ops"}, IPAllow: []string{"10.0.0.0/33"},
				Limits:       Limits{RequestsPerMinute: -1, TokensPerMinute: 1, TokensPerDay: -1, TokensPerMonth: -1},
				Capabilities: []string{"chat", "sudo"},
			},
			{Name: "ops"},
			{Name: "bad name!"},
		},
		Models: []Model{
			{Name: "m", Upstream: Upstream{URL: "ftp://host/v1", APIKey: "sk-inline", Timeout: -1}},
			{Name: "m", Builtin: "magic"},
			{Name: "d", Builtin: "demo", Upstream: Upstream{URL: "http://x/v1"}},
			{Upstream: Upstream{URL: "https://user:pw@host/v1"}},
			{Name: "n"},
		},
	}
	want := []string{
		"version",
		"data_dir",
		"server.listen",
		"server.max_body_bytes",
		"server.trusted_proxies[1]",
		"server.tls.key_file",
		"server.tls.min_version",
		"server.tls.client_auth",
		"server.timeouts.read",
		"server.timeouts.shutdown",
		"storage.driver",
		"kms.provider",
		"ratelimit.driver",
		"auth.ip_allow[1]",
		"auth.oidc[0].issuer",
		"auth.oidc[0].audience",
		"auth.oidc[0].jwks_url",
		"auth.oidc[0].algorithms[1]",
		"auth.oidc[0].algorithms[2]",
		"auth.oidc[0].subject_claim",
		"auth.oidc[0].groups_claim",
		"auth.oidc[0].leeway",
		"auth.oidc[1].issuer",
		"auth.mtls.enabled",
		"auth.mtls.identity_from",
		"auth.mtls.groups_from",
		"auth.mtls.crl_file",
		"audit.signing_key_file",
		"log.level",
		"log.format",
		"roles[0].models[1]",
		"roles[0].groups[1]",
		"roles[0].ip_allow[0]",
		"roles[0].limits.requests_per_minute",
		"roles[0].limits.tokens_per_day",
		"roles[0].limits.tokens_per_month",
		"roles[0].capabilities[1]",
		"roles[1].name",
		"roles[2].name",
		"models[0].upstream.url",
		"models[0].upstream.api_key",
		"models[0].upstream.timeout",
		"models[1].name",
		"models[1].builtin",
		"models[2].upstream",
		"models[3].name",
		"models[3].upstream.url",
		"models[4].upstream.url",
	}
	// Run several times: the order is stable.
	for range 20 {
		if diff := cmp.Diff(want, paths(c.Validate())); diff != "" {
			t.Fatalf("Validate paths (-want +got):\n%s", diff)
		}
	}
	for _, p := range c.Validate() {
		if strings.Contains(p.Msg, "sk-inline") || strings.Contains(p.Msg, ":pw@") {
			t.Errorf("%s: message reveals a secret: %q", p.Path, p.Msg)
		}
	}
}

func TestValidateValid(t *testing.T) {
	tr := newTree(t, t.TempDir())
	if probs := validConfig(tr).Validate(); probs != nil {
		t.Errorf("Validate(valid) = %q, want nil", probs)
	}
}

func TestValidateServer(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name   string
		server Server
		want   []wantProblem
	}{
		{"port only", Server{Listen: ":8443"}, nil},
		{"ipv6", Server{Listen: "[::1]:8443"}, nil},
		{"no port", Server{Listen: "0.0.0.0:"}, []wantProblem{{"server.listen", "want host:port"}}},
		{"smallest body", Server{MaxBodyBytes: 1024}, nil},
		{"largest body", Server{MaxBodyBytes: 1 << 30}, nil},
		{"body too large", Server{MaxBodyBytes: 1<<30 + 1}, []wantProblem{{"server.max_body_bytes", "between 1024 and 1073741824"}}},
		{"negative body", Server{MaxBodyBytes: -1}, []wantProblem{{"server.max_body_bytes", "between"}}},
		{"proxies", Server{TrustedProxies: []string{"10.0.0.0/8", "::1", "fd00::/8"}}, nil},
		{"bad proxy", Server{TrustedProxies: []string{"10.0.0.0/8", "ten"}}, []wantProblem{{"server.trusted_proxies[1]", `invalid address or CIDR "ten"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Server = tt.server
			c.ApplyDefaults()
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateTLS(t *testing.T) {
	tr := newTree(t, t.TempDir())
	missing := filepath.Join(tr.Dir, "missing.pem")
	tests := []struct {
		name string
		tls  TLS
		want []wantProblem
	}{
		{"defaults", TLS{CertFile: tr.Cert, KeyFile: tr.Key}, nil},
		{"1.2", TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.2"}, nil},
		{"1.3", TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.3"}, nil},
		{"1.1", TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.1"}, []wantProblem{{"server.tls.min_version", `want "1.2" or "1.3", got "1.1"`}}},
		{"TLS1.3 spelled out", TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "TLS1.3"}, []wantProblem{{"server.tls.min_version", "TLS1.3"}}},
		{"none", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "none"}, nil},
		{"request without CA", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "request"}, nil},
		{"request with CA", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "request", ClientCAFile: tr.CA}, nil},
		{"require with CA", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "require", ClientCAFile: tr.CA}, nil},
		{"require without CA", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "require"}, []wantProblem{{"server.tls.client_ca_file", "required when client_auth is require"}}},
		{"bad client_auth", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "verify"}, []wantProblem{{"server.tls.client_auth", `want none, request or require, got "verify"`}}},
		{"missing cert file", TLS{CertFile: missing, KeyFile: tr.Key}, []wantProblem{{"server.tls.cert_file", "no such file"}}},
		{"missing key file", TLS{CertFile: tr.Cert, KeyFile: missing}, []wantProblem{{"server.tls.key_file", "no such file"}}},
		{"missing CA file", TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientCAFile: missing}, []wantProblem{{"server.tls.client_ca_file", "no such file"}}},
		{"no key_file", TLS{CertFile: tr.Cert}, []wantProblem{{"server.tls", "cert_file and key_file are both required"}}},
		{"empty", TLS{}, []wantProblem{{"server.tls", "cert_file and key_file are both required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Server.TLS = &tt.tls
			c.ApplyDefaults()
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateKMSKeyOutsideDataDir(t *testing.T) {
	tr := newTree(t, t.TempDir())
	inside := filepath.Join(tr.Data, "master.key")
	writeFile(t, inside, "k")
	// link -> data: the data directory seen through a symlink.
	link := filepath.Join(tr.Dir, "link")
	if err := os.Symlink(tr.Data, link); err != nil {
		t.Fatal(err)
	}
	// keys/sneaky.key -> data/master.key: the key file itself is a symlink.
	sneaky := filepath.Join(tr.Dir, "keys", "sneaky.key")
	if err := os.Symlink(inside, sneaky); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dataDir string
		keyFile string
		refused bool
	}{
		{"outside", tr.Data, tr.Master, false},
		{"sibling with a common prefix", tr.Data, filepath.Join(tr.Dir, "data2", "k"), false},
		{"inside", tr.Data, inside, true},
		{"inside via ..", tr.Data, filepath.Join(tr.Dir, "keys", "..", "data", "master.key"), true},
		{"relative key file", tr.Data, filepath.Join("data", "master.key"), true},
		{"relative data dir", "data", tr.Master, false},
		{"relative both", "data", filepath.Join(".", "data", "master.key"), true},
		{"data_dir is a symlink", link, inside, true},
		{"key through a symlinked dir", tr.Data, filepath.Join(link, "master.key"), true},
		{"key through a symlinked dir, not yet created", tr.Data, filepath.Join(link, "later.key"), true},
		{"key file is a symlink into data_dir", tr.Data, sneaky, true},
		{"key is data_dir", tr.Data, tr.Data, true},
	}
	t.Chdir(tr.Dir) // relative paths resolve against the working directory
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.DataDir, c.KMS.Local.KeyFile = tt.dataDir, tt.keyFile
			c.ApplyDefaults()
			var got bool
			for _, p := range at(c.Validate(), "kms.local.key_file") {
				if strings.Contains(p.Msg, "must not lie inside data_dir") {
					got = true
				}
			}
			if got != tt.refused {
				t.Errorf("data_dir %q, key_file %q: refused = %v, want %v (problems: %q)", tt.dataDir, tt.keyFile, got, tt.refused, c.Validate())
			}
		})
	}
}

func TestValidateKMS(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name string
		kms  KMS
		want []wantProblem
	}{
		{"local", KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master}}, nil},
		{"no key file", KMS{Provider: "local"}, []wantProblem{{"kms.local.key_file", "required"}}},
		{"missing key file", KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master + ".old"}}, []wantProblem{{"kms.local.key_file", "no such file"}}},
		{"vault", KMS{Provider: "vault", Vault: VaultKMS{Address: "https://vault.example.com:8200", Token: "env:VAULT_TOKEN"}}, nil},
		{"vault without address or token", KMS{Provider: "vault"}, []wantProblem{{"kms.vault.address", "required"}, {"kms.vault.token", "required"}}},
		{"vault with an inline token and a bad address", KMS{Provider: "vault", Vault: VaultKMS{Address: "vault:8200", Token: "s.abc"}},
			[]wantProblem{{"kms.vault.address", "required"}, {"kms.vault.token", "reference"}}},
		{"pkcs11", KMS{Provider: "pkcs11", PKCS11: PKCS11KMS{Module: tr.Master, TokenLabel: "warden", PIN: "env:PKCS11_PIN"}}, nil},
		{"pkcs11 without settings", KMS{Provider: "pkcs11"}, []wantProblem{{"kms.pkcs11.module", "required"}, {"kms.pkcs11.token_label", "required"}, {"kms.pkcs11.pin", "required"}}},
		{"pkcs11 with an inline PIN and no module", KMS{Provider: "pkcs11", PKCS11: PKCS11KMS{Module: "/nope.so", TokenLabel: "warden", PIN: "1234"}},
			[]wantProblem{{"kms.pkcs11.module", "no such file"}, {"kms.pkcs11.pin", "reference"}}},
		{"awskms", KMS{Provider: "awskms", AWSKMS: CloudKMS{KeyURL: "awskms://alias/warden?region=eu-central-1", KeyFile: tr.Master + ".wrapped"}}, nil},
		{"gcpkms with another provider's URL and a key file in data_dir", KMS{Provider: "gcpkms", GCPKMS: CloudKMS{KeyURL: "awskms://alias/warden", KeyFile: filepath.Join(tr.Data, "master.wrapped")}},
			[]wantProblem{{"kms.gcpkms.key_url", "gcpkms://"}, {"kms.gcpkms.key_file", "inside data_dir"}}},
		{"azurekeyvault without settings", KMS{Provider: "azurekeyvault"}, []wantProblem{{"kms.azurekeyvault.key_url", "required"}, {"kms.azurekeyvault.key_file", "required"}}},
		{"unknown", KMS{Provider: "rot13"}, []wantProblem{{"kms.provider", `unknown provider "rot13"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.KMS = tt.kms
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateStorage(t *testing.T) {
	tr := newTree(t, t.TempDir())
	const password = "hunter2-Pa55"
	tests := []struct {
		name    string
		storage Storage
		want    []wantProblem
	}{
		{"sqlite default", Storage{}, nil},
		{"sqlite path", Storage{Driver: "sqlite", DSN: "/var/lib/warden/other.db"}, nil},
		{"sqlite with a reference", Storage{Driver: "sqlite", DSN: "env:DB"}, []wantProblem{{"storage.dsn", "for sqlite, a file path"}}},
		{"postgres env", Storage{Driver: "postgres", DSN: "env:WARDEN_DATABASE_URL"}, nil},
		{"postgres file", Storage{Driver: "postgres", DSN: "file:/run/secrets/dsn"}, nil},
		{"postgres URL without password", Storage{Driver: "postgres", DSN: "postgres://warden@db:5432/warden?sslmode=verify-full"}, nil},
		{"postgres key=value without password", Storage{Driver: "postgres", DSN: "host=db user=warden dbname=warden sslmode=verify-full"}, nil},
		{"postgres without dsn", Storage{Driver: "postgres"}, []wantProblem{{"storage.dsn", "required for postgres"}}},
		{"postgres URL with password", Storage{Driver: "postgres", DSN: Secret("postgres://warden:" + password + "@db:5432/warden")}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"postgresql URL with password", Storage{Driver: "postgres", DSN: Secret("postgresql://warden:" + password + "@db/warden")}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"postgres URL with password parameter", Storage{Driver: "postgres", DSN: Secret("postgres://warden@db/warden?password=" + password)}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"postgres key=value with password", Storage{Driver: "postgres", DSN: Secret("host=db user=warden password=" + password)}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"postgres key = value with password", Storage{Driver: "postgres", DSN: Secret("host=db user=warden password = " + password)}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"postgres key=value with PASSWORD", Storage{Driver: "postgres", DSN: Secret("host=db PASSWORD='" + password + "'")}, []wantProblem{{"storage.dsn", "contains a password"}}},
		{"unknown driver", Storage{Driver: "mysql"}, []wantProblem{{"storage.driver", `want sqlite or postgres, got "mysql"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Storage = tt.storage
			c.ApplyDefaults()
			probs := c.Validate()
			checkProblems(t, probs, tt.want)
			checkNoSecret(t, probs, password)
		})
	}
}

func TestSQLiteDefaultDSN(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c, err := Parse(tr.fill(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if want := Secret(filepath.Join(tr.Data, "warden.db")); c.Storage.DSN != want || c.Storage.Driver != "sqlite" {
		t.Errorf("storage = %+v, want driver sqlite, dsn %q", c.Storage, want)
	}
	// An explicit path is kept; postgres gets no default.
	c = &Config{DataDir: "/d", Storage: Storage{DSN: "/elsewhere/w.db"}}
	c.ApplyDefaults()
	if c.Storage.DSN != "/elsewhere/w.db" {
		t.Errorf("explicit sqlite dsn replaced by %q", c.Storage.DSN)
	}
	c = &Config{DataDir: "/d", Storage: Storage{Driver: "postgres"}}
	c.ApplyDefaults()
	if c.Storage.DSN != "" {
		t.Errorf("postgres got a default dsn %q", c.Storage.DSN)
	}
}

func TestValidateRolesAndModels(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name   string
		roles  []Role
		models []Model
		want   []wantProblem
	}{
		{"every capability", []Role{{Name: "all", Capabilities: Capabilities}}, nil, nil},
		{"no roles, no models", nil, nil, nil},
		{"role without name", []Role{{}}, nil, []wantProblem{{"roles[0].name", "required"}}},
		{"role name with space", []Role{{Name: "a b"}}, nil, []wantProblem{{"roles[0].name", `invalid name "a b"`}}},
		{"duplicate role", []Role{{Name: "a"}, {Name: "b"}, {Name: "a"}}, nil, []wantProblem{{"roles[2].name", `duplicate role "a"`}}},
		{"unknown capability", []Role{{Name: "a", Capabilities: []string{"chat", "Chat"}}}, nil, []wantProblem{{"roles[0].capabilities[1]", `unknown capability "Chat"`}}},
		{"empty model pattern", []Role{{Name: "a", Models: []string{""}}}, nil, []wantProblem{{"roles[0].models[0]", "empty pattern"}}},
		{"model names", nil, []Model{{Name: "Qwen/Qwen2.5-7B-Instruct", Upstream: Upstream{URL: "http://x/v1"}}, {Name: "gpt-4o@2024:1+x", Builtin: "demo"}}, nil},
		{"model name too long", nil, []Model{{Name: strings.Repeat("m", 129), Builtin: "demo"}}, []wantProblem{{"models[0].name", "invalid name"}}},
		{"model name starting with a dash", nil, []Model{{Name: "-m", Builtin: "demo"}}, []wantProblem{{"models[0].name", "invalid name"}}},
		{"duplicate model", nil, []Model{{Name: "a", Builtin: "demo"}, {Name: "a", Builtin: "demo"}}, []wantProblem{{"models[1].name", `duplicate model "a"`}}},
		{"no upstream", nil, []Model{{Name: "a"}}, []wantProblem{{"models[0].upstream.url", "required (or set builtin: demo)"}}},
		{"relative url", nil, []Model{{Name: "a", Upstream: Upstream{URL: "/v1"}}}, []wantProblem{{"models[0].upstream.url", "absolute http:// or https://"}}},
		{"url with credentials", nil, []Model{{Name: "a", Upstream: Upstream{URL: "https://u:p@x/v1"}}}, []wantProblem{{"models[0].upstream.url", "must not carry credentials"}}},
		{"builtin with upstream", nil, []Model{{Name: "a", Builtin: "demo", Upstream: Upstream{Model: "x"}}}, []wantProblem{{"models[0].upstream", "a builtin model has no upstream"}}},
		{"unknown builtin", nil, []Model{{Name: "a", Builtin: "echo"}}, []wantProblem{{"models[0].builtin", `unknown builtin "echo"`}}},
		{"groups", []Role{{Name: "a", Groups: []string{"legal", "Legal Team", "/corp/legal", "CN=Legal,OU=Groups,DC=corp"}}, {Name: "b", Groups: []string{"legal"}}}, nil, nil},
		{"empty group", []Role{{Name: "a", Groups: []string{"legal", ""}}}, nil, []wantProblem{{"roles[0].groups[1]", "empty, or with leading or trailing spaces"}}},
		{"group with a leading space", []Role{{Name: "a", Groups: []string{" legal"}}}, nil, []wantProblem{{"roles[0].groups[0]", "groups match exactly"}}},
		{"group with a trailing tab", []Role{{Name: "a", Groups: []string{"legal\t"}}}, nil, []wantProblem{{"roles[0].groups[0]", "groups match exactly"}}},
		{"blank group", []Role{{Name: "a", Groups: []string{"   "}}}, nil, []wantProblem{{"roles[0].groups[0]", "empty"}}},
		{"limits", []Role{{Name: "a", Limits: Limits{RequestsPerMinute: 60, TokensPerMinute: 100000, TokensPerDay: 2000000, TokensPerMonth: 40000000}}}, nil, nil},
		{"zero limits are unlimited", []Role{{Name: "a", Limits: Limits{}}}, nil, nil},
		{"negative requests_per_minute", []Role{{Name: "a", Limits: Limits{RequestsPerMinute: -1}}}, nil, []wantProblem{{"roles[0].limits.requests_per_minute", "must not be negative (0 = unlimited)"}}},
		{"negative tokens_per_minute", []Role{{Name: "a", Limits: Limits{TokensPerMinute: -5}}}, nil, []wantProblem{{"roles[0].limits.tokens_per_minute", "must not be negative"}}},
		{"negative tokens_per_day", []Role{{Name: "a", Limits: Limits{TokensPerDay: -1}}}, nil, []wantProblem{{"roles[0].limits.tokens_per_day", "must not be negative"}}},
		{"negative tokens_per_month", []Role{{Name: "a", Limits: Limits{TokensPerMonth: -1}}}, nil, []wantProblem{{"roles[0].limits.tokens_per_month", "must not be negative"}}},
		{"every limit negative, in key order", []Role{{Name: "a"}, {Name: "b", Limits: Limits{RequestsPerMinute: -1, TokensPerMinute: -1, TokensPerDay: -1, TokensPerMonth: -1}}}, nil, []wantProblem{
			{"roles[1].limits.requests_per_minute", "negative"},
			{"roles[1].limits.tokens_per_minute", "negative"},
			{"roles[1].limits.tokens_per_day", "negative"},
			{"roles[1].limits.tokens_per_month", "negative"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Roles, c.Models = tt.roles, tt.models
			c.ApplyDefaults()
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateVersionAndLog(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name   string
		change func(*Config)
		want   []wantProblem
	}{
		{"version missing", func(c *Config) { c.Version = 0 }, []wantProblem{{"version", "required: set version: 1"}}},
		{"version 2", func(c *Config) { c.Version = 2 }, []wantProblem{{"version", "unsupported version 2"}}},
		{"log levels", func(c *Config) { c.Log.Level = "warn" }, nil},
		{"log level", func(c *Config) { c.Log.Level = "INFO" }, []wantProblem{{"log.level", `got "INFO"`}}},
		{"log format", func(c *Config) { c.Log.Format = "logfmt" }, []wantProblem{{"log.format", `want json or text, got "logfmt"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			tt.change(c)
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "10.1.2.3/8", want: "10.0.0.0/8"}, // host bits masked
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "192.168.1.7", want: "192.168.1.7/32"},
		{in: "2001:db8::/32", want: "2001:db8::/32"},
		{in: "2001:db8:1::5/48", want: "2001:db8:1::/48"},
		{in: "::1", want: "::1/128"},
		{in: "::ffff:10.1.2.3", want: "10.1.2.3/32"}, // an IPv4-mapped address is the IPv4 address
		{in: "", wantErr: `invalid address or CIDR ""`},
		{in: "ten", wantErr: `invalid address or CIDR "ten"`},
		{in: "300.1.1.1", wantErr: "invalid address or CIDR"},
		{in: "10.0.0.0/33", wantErr: `invalid CIDR "10.0.0.0/33"`},
		{in: "2001:db8::/129", wantErr: "invalid CIDR"},
		{in: "10.0.0.0/", wantErr: "invalid CIDR"},
		{in: "/8", wantErr: "invalid CIDR"},
		{in: "fe80::1%eth0/64", wantErr: "invalid CIDR"},
		{in: " 10.0.0.1", wantErr: "invalid address or CIDR"},
		{in: "10.0.0.0/8,10.1.0.0/16", wantErr: "invalid CIDR"},
	}
	for _, tt := range tests {
		got, err := ParsePrefix(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePrefix(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != netip.MustParsePrefix(tt.want) {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestAuditKey: the signing key must be a note signer key, and audit.origin
// (the checkpoint origin) must be its name.
func TestAuditKey(t *testing.T) {
	tr := newTree(t, t.TempDir())
	junk := filepath.Join(tr.Dir, "junk.key")
	writeFile(t, junk, "not a key\n")
	for _, tt := range []struct {
		name, audit string
		want        []string // problem paths
	}{
		{"matching origin", `audit: {origin: "` + testOrigin + `", signing_key_file: ` + tr.AuditKey + `}`, nil},
		{"origin omitted", `audit: {signing_key_file: ` + tr.AuditKey + `}`, nil},
		{"origin differs", `audit: {origin: "other.example/audit", signing_key_file: ` + tr.AuditKey + `}`, []string{"audit.origin"}},
		{"not a signer key", `audit: {signing_key_file: ` + junk + `}`, []string{"audit.signing_key_file"}},
		{"missing", `audit: {signing_key_file: ` + filepath.Join(tr.Dir, "nope") + `}`, []string{"audit.signing_key_file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tr.fill(strings.Replace(minimal, "audit: {signing_key_file: {{DIR}}/keys/audit.key}", tt.audit, 1)))
			var got []string
			var ce *Error
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					got = append(got, p.Path)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("problems %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestValidateRateLimit(t *testing.T) {
	tr := newTree(t, t.TempDir())
	const password = "hunter2-Pa55"
	tests := []struct {
		name string
		rl   RateLimit
		want []wantProblem
	}{
		{"memory default", RateLimit{}, nil},
		{"memory", RateLimit{Driver: "memory"}, nil},
		{"memory with a url", RateLimit{Driver: "memory", URL: "redis://127.0.0.1:6379/0"}, []wantProblem{{"ratelimit.url", "only used with driver redis"}}},
		{"url without driver", RateLimit{URL: "env:REDIS_URL"}, []wantProblem{{"ratelimit.url", "only used with driver redis"}}},
		{"redis URL", RateLimit{Driver: "redis", URL: "redis://127.0.0.1:6379/0"}, nil},
		{"rediss URL with a user", RateLimit{Driver: "redis", URL: "rediss://warden@redis.internal:6380/2"}, nil},
		{"redis env", RateLimit{Driver: "redis", URL: "env:WARDEN_REDIS_URL"}, nil},
		{"redis file", RateLimit{Driver: "redis", URL: "file:/run/secrets/redis-url"}, nil},
		{"redis without url", RateLimit{Driver: "redis"}, []wantProblem{{"ratelimit.url", "required for redis"}}},
		{"redis URL with password", RateLimit{Driver: "redis", URL: Secret("redis://:" + password + "@127.0.0.1:6379/0")}, []wantProblem{{"ratelimit.url", "contains a password"}}},
		{"redis URL with user and password", RateLimit{Driver: "redis", URL: Secret("redis://warden:" + password + "@redis:6379")}, []wantProblem{{"ratelimit.url", "contains a password"}}},
		{"redis URL with password parameter", RateLimit{Driver: "redis", URL: Secret("redis://redis:6379/0?password=" + password)}, []wantProblem{{"ratelimit.url", "contains a password"}}},
		{"not a redis URL", RateLimit{Driver: "redis", URL: "http://redis:6379"}, []wantProblem{{"ratelimit.url", "want redis:// or rediss:// URL"}}},
		{"bare host:port", RateLimit{Driver: "redis", URL: "127.0.0.1:6379"}, []wantProblem{{"ratelimit.url", "want redis:// or rediss://"}}},
		{"unknown driver", RateLimit{Driver: "memcached"}, []wantProblem{{"ratelimit.driver", `want memory or redis, got "memcached"`}}},
		{"driver case matters", RateLimit{Driver: "Redis", URL: "redis://r:6379"}, []wantProblem{{"ratelimit.driver", `got "Redis"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.RateLimit = tt.rl
			c.ApplyDefaults()
			probs := c.Validate()
			checkProblems(t, probs, tt.want)
			checkNoSecret(t, probs, password)
		})
	}
}

func TestValidateOIDC(t *testing.T) {
	tr := newTree(t, t.TempDir())
	const iss = "https://login.example.com/realms/corp"
	ok := OIDC{Issuer: iss, Audience: "warden"}
	with := func(f func(*OIDC)) []OIDC {
		o := ok
		f(&o)
		return []OIDC{o}
	}
	tests := []struct {
		name string
		oidc []OIDC
		want []wantProblem
	}{
		{"none", nil, nil},
		{"minimal", []OIDC{ok}, nil},
		{"every key", with(func(o *OIDC) {
			o.SubjectClaim, o.GroupsClaim = "preferred_username", "realm_access.roles"
			o.Algorithms = []string{"PS256", "EdDSA"}
			o.JWKSURL = iss + "/protocol/openid-connect/certs"
			o.Leeway = Duration(5 * time.Minute)
		}), nil},
		{"every algorithm", with(func(o *OIDC) { o.Algorithms = JWSAlgorithms }), nil},
		{"two issuers", []OIDC{ok, {Issuer: "https://accounts.google.com", Audience: "123.apps.googleusercontent.com"}}, nil},
		{"http on loopback", []OIDC{{Issuer: "http://127.0.0.1:5556/dex", Audience: "w"}, {Issuer: "http://localhost:8080/realms/dev", Audience: "w"}, {Issuer: "http://[::1]:9000", Audience: "w", JWKSURL: "http://[::1]:9000/keys"}}, nil},
		{"no issuer", []OIDC{{Audience: "warden"}}, []wantProblem{{"auth.oidc[0].issuer", "required"}}},
		{"http issuer", with(func(o *OIDC) { o.Issuer = "http://login.example.com" }), []wantProblem{{"auth.oidc[0].issuer", "want an https:// URL (http:// only on loopback)"}}},
		{"http issuer on a name that looks local", with(func(o *OIDC) { o.Issuer = "http://localhost.example.com" }), []wantProblem{{"auth.oidc[0].issuer", "https://"}}},
		{"relative issuer", with(func(o *OIDC) { o.Issuer = "login.example.com" }), []wantProblem{{"auth.oidc[0].issuer", "https://"}}},
		{"issuer with a query", with(func(o *OIDC) { o.Issuer = iss + "?tenant=a" }), []wantProblem{{"auth.oidc[0].issuer", "no user info, query or fragment"}}},
		{"issuer with an empty query", with(func(o *OIDC) { o.Issuer = iss + "?" }), []wantProblem{{"auth.oidc[0].issuer", "query"}}},
		{"issuer with a fragment", with(func(o *OIDC) { o.Issuer = iss + "#x" }), []wantProblem{{"auth.oidc[0].issuer", "fragment"}}},
		{"issuer with user info", with(func(o *OIDC) { o.Issuer = "https://u:p@login.example.com" }), []wantProblem{{"auth.oidc[0].issuer", "user info"}}},
		{"duplicate issuer", []OIDC{ok, {Issuer: "https://other.example.com", Audience: "a"}, {Issuer: iss, Audience: "b"}}, []wantProblem{{"auth.oidc[2].issuer", "duplicate issuer"}}},
		{"issuers differing by a slash are distinct", []OIDC{ok, {Issuer: iss + "/", Audience: "b"}}, nil},
		{"no audience", with(func(o *OIDC) { o.Audience = "" }), []wantProblem{{"auth.oidc[0].audience", "required"}}},
		{"http jwks_url", with(func(o *OIDC) { o.JWKSURL = "http://login.example.com/certs" }), []wantProblem{{"auth.oidc[0].jwks_url", "want an https:// URL"}}},
		{"jwks_url with credentials", with(func(o *OIDC) { o.JWKSURL = "https://u:p@login.example.com/certs" }), []wantProblem{{"auth.oidc[0].jwks_url", "must not carry credentials"}}},
		{"alg none", with(func(o *OIDC) { o.Algorithms = []string{"RS256", "none"} }), []wantProblem{{"auth.oidc[0].algorithms[1]", `"none" is not allowed`}}},
		{"HMAC algorithms", with(func(o *OIDC) { o.Algorithms = []string{"HS256", "HS384", "HS512"} }), []wantProblem{
			{"auth.oidc[0].algorithms[0]", `"HS256" is not allowed`},
			{"auth.oidc[0].algorithms[1]", `"HS384"`},
			{"auth.oidc[0].algorithms[2]", `"HS512"`},
		}},
		{"algorithm case matters", with(func(o *OIDC) { o.Algorithms = []string{"rs256"} }), []wantProblem{{"auth.oidc[0].algorithms[0]", `"rs256" is not allowed`}}},
		{"largest leeway", with(func(o *OIDC) { o.Leeway = Duration(5 * time.Minute) }), nil},
		{"leeway too large", with(func(o *OIDC) { o.Leeway = Duration(5*time.Minute + time.Second) }), []wantProblem{{"auth.oidc[0].leeway", "between 0s and 5m"}}},
		{"negative leeway", with(func(o *OIDC) { o.Leeway = -1 }), []wantProblem{{"auth.oidc[0].leeway", "between 0s and 5m"}}},
		{"problems in the second issuer", []OIDC{ok, {Issuer: "ftp://x"}}, []wantProblem{{"auth.oidc[1].issuer", "https://"}, {"auth.oidc[1].audience", "required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Auth.OIDC = tt.oidc
			c.ApplyDefaults()
			probs := c.Validate()
			checkProblems(t, probs, tt.want)
			checkNoSecret(t, probs, "u:p@")
		})
	}
}

// TestValidateOIDCEmptyClaims: ApplyDefaults fills the claims, so only a
// Config built in Go can have them empty; Validate still refuses it.
func TestValidateOIDCEmptyClaims(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c := validConfig(tr)
	c.Auth.OIDC = []OIDC{{Issuer: "https://idp.example.com", Audience: "w", Algorithms: []string{"ES256"}, Leeway: Duration(time.Second)}}
	checkProblems(t, c.Validate(), []wantProblem{
		{"auth.oidc[0].subject_claim", "must not be empty"},
		{"auth.oidc[0].groups_claim", "must not be empty"},
	})
}

func TestOIDCDefaults(t *testing.T) {
	c := &Config{Auth: Auth{OIDC: []OIDC{{Issuer: "https://idp.example.com", Audience: "w"}, {Issuer: "https://b.example.com", Audience: "w", Algorithms: []string{"ES256"}, Leeway: Duration(time.Second)}}}}
	c.ApplyDefaults()
	want := []OIDC{
		{Issuer: "https://idp.example.com", Audience: "w", SubjectClaim: "sub", GroupsClaim: "groups", Algorithms: JWSAlgorithms, Leeway: Duration(30 * time.Second)},
		{Issuer: "https://b.example.com", Audience: "w", SubjectClaim: "sub", GroupsClaim: "groups", Algorithms: []string{"ES256"}, Leeway: Duration(time.Second)},
	}
	if diff := cmp.Diff(want, c.Auth.OIDC); diff != "" {
		t.Fatalf("OIDC defaults (-want +got):\n%s", diff)
	}
	// The default list is a copy: changing one issuer's list changes neither
	// the allowlist itself nor another issuer's.
	c.Auth.OIDC[0].Algorithms[0] = "none"
	if JWSAlgorithms[0] != "RS256" {
		t.Fatalf("ApplyDefaults shares JWSAlgorithms with the config: it is now %q", JWSAlgorithms)
	}
	for _, a := range JWSAlgorithms {
		if a == "none" || strings.HasPrefix(a, "HS") {
			t.Errorf("JWSAlgorithms allows %q", a)
		}
	}
}

func TestValidateMTLS(t *testing.T) {
	tr := newTree(t, t.TempDir())
	withCA := func(auth string) *TLS {
		return &TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: auth, ClientCAFile: tr.CA}
	}
	tests := []struct {
		name string
		tls  *TLS
		mtls MTLS
		want []wantProblem
	}{
		{"off", nil, MTLS{}, nil},
		{"require", withCA("require"), MTLS{Enabled: true}, nil},
		{"request", withCA("request"), MTLS{Enabled: true}, nil},
		{"every key", withCA("require"), MTLS{Enabled: true, IdentityFrom: "cn", GroupsFrom: "none", CRLFile: tr.CRL}, nil},
		{"spiffe", withCA("require"), MTLS{Enabled: true, IdentityFrom: "spiffe"}, nil},
		{"auto, ou", withCA("require"), MTLS{Enabled: true, IdentityFrom: "auto", GroupsFrom: "ou"}, nil},
		{"without tls", nil, MTLS{Enabled: true}, []wantProblem{{"auth.mtls.enabled", "needs server.tls with client_auth request or require and a client_ca_file"}}},
		{"client_auth none", withCA("none"), MTLS{Enabled: true}, []wantProblem{{"auth.mtls.enabled", "client_auth request or require"}}},
		{"client_auth defaulted to none", &TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientCAFile: tr.CA}, MTLS{Enabled: true}, []wantProblem{{"auth.mtls.enabled", "client_auth request or require"}}},
		{"request without a CA", &TLS{CertFile: tr.Cert, KeyFile: tr.Key, ClientAuth: "request"}, MTLS{Enabled: true}, []wantProblem{{"auth.mtls.enabled", "client_ca_file"}}},
		{"bad identity_from", withCA("require"), MTLS{Enabled: true, IdentityFrom: "dn"}, []wantProblem{{"auth.mtls.identity_from", `want auto, cn or spiffe, got "dn"`}}},
		{"identity_from case matters", withCA("require"), MTLS{Enabled: true, IdentityFrom: "CN"}, []wantProblem{{"auth.mtls.identity_from", `got "CN"`}}},
		{"bad groups_from", withCA("require"), MTLS{Enabled: true, GroupsFrom: "o"}, []wantProblem{{"auth.mtls.groups_from", `want ou or none, got "o"`}}},
		{"missing crl_file", withCA("require"), MTLS{Enabled: true, CRLFile: tr.CRL + ".old"}, []wantProblem{{"auth.mtls.crl_file", "no such file"}}},
		{"values checked while off", nil, MTLS{IdentityFrom: "dn", GroupsFrom: "o"}, []wantProblem{{"auth.mtls.identity_from", "dn"}, {"auth.mtls.groups_from", `"o"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Server.TLS, c.Auth.MTLS = tt.tls, tt.mtls
			c.ApplyDefaults()
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateIPAllow(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name   string
		global []string
		role   []string
		want   []wantProblem
	}{
		{"none", nil, nil, nil},
		{"empty lists", []string{}, []string{}, nil},
		{"addresses and CIDRs", []string{"10.0.0.0/8", "192.168.1.10", "2001:db8::/32", "::1"}, []string{"10.20.0.0/16", "fd00::1"}, nil},
		{"bad global entry", []string{"10.0.0.0/8", "ten"}, nil, []wantProblem{{"auth.ip_allow[1]", `invalid address or CIDR "ten"`}}},
		{"bad global CIDR", []string{"10.0.0.0/33"}, nil, []wantProblem{{"auth.ip_allow[0]", `invalid CIDR "10.0.0.0/33"`}}},
		{"empty global entry", []string{""}, nil, []wantProblem{{"auth.ip_allow[0]", "invalid address or CIDR"}}},
		{"bad role entry", nil, []string{"10.0.0.1", "10.0.0.0/8,10.1.0.0/16"}, []wantProblem{{"roles[0].ip_allow[1]", "invalid CIDR"}}},
		{"both", []string{"any"}, []string{"*"}, []wantProblem{{"auth.ip_allow[0]", `"any"`}, {"roles[0].ip_allow[0]", `"*"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Auth.IPAllow, c.Roles[0].IPAllow = tt.global, tt.role
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

// checkNoSecret fails if any problem's message contains secret.
func checkNoSecret(t *testing.T, probs []Problem, secret string) {
	t.Helper()
	for _, p := range probs {
		if strings.Contains(p.Msg, secret) {
			t.Errorf("%s: message reveals a secret: %q", p.Path, p.Msg)
		}
	}
}

func TestValidateClassifications(t *testing.T) {
	tr := newTree(t, t.TempDir())
	for _, tt := range []struct {
		name string
		cls  []Classification
		use  string
		want []string
	}{
		{"none", nil, "", nil},
		{"valid", []Classification{{Name: "public", Store: StoreHashOnly}, {Name: "confidential", Store: StoreFull, Retention: Duration(90 * 24 * time.Hour)}}, "confidential", nil},
		{"full needs a retention", []Classification{{Name: "c", Store: StoreFull}}, "", []string{"classifications[0].retention"}},
		{"bad store", []Classification{{Name: "c", Store: "some"}}, "", []string{"classifications[0].store"}},
		{"no store", []Classification{{Name: "c"}}, "", []string{"classifications[0].store"}},
		{"bad names", []Classification{{Name: "Secret", Store: StoreNone}, {Name: "a b", Store: StoreNone}, {Store: StoreNone}}, "", []string{"classifications[0].name", "classifications[1].name", "classifications[2].name"}},
		{"duplicate", []Classification{{Name: "c", Store: StoreNone}, {Name: "c", Store: StoreNone}}, "", []string{"classifications[1].name"}},
		{"negative retention", []Classification{{Name: "c", Store: StoreHashOnly, Retention: -1}}, "", []string{"classifications[0].retention"}},
		{"undefined on a model", nil, "secret", []string{"models[0].classification"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(tr)
			c.Classifications = tt.cls
			c.Models[0].Classification = tt.use
			if got := paths(c.Validate()); !slices.Equal(got, tt.want) {
				t.Fatalf("problems %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateContent(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c := validConfig(tr)
	c.Content = Content{
		Request: ContentStage{
			PII:                map[string]string{"email": "redact", "zodiac_sign": "redact", "gdpr": "redact", "phone": "shred"},
			Deny:               []DenyRule{{Name: "x", Pattern: "("}, {Name: "x", Phrases: []string{" "}}, {Name: "Bad Name", Pattern: "a", Phrases: []string{"b"}, Action: "burn"}},
			Injection:          "sometimes",
			InjectionThreshold: 11,
			Fields:             FieldRules{Include: []string{"messages[*].content"}, Exclude: []string{"messages[*", ""}},
		},
		Response:     ContentStage{Injection: "block"},
		PhoneRegions: []string{"US", "XX"},
	}
	c.Roles[0].Content = &ContentOverride{Request: ContentStage{PII: map[string]string{"secret": "maybe"}}}
	checkProblems(t, c.Validate(), []wantProblem{
		{"content.request.pii.phone", `unknown action "shred"`},
		{"content.request.pii.zodiac_sign", "unknown entity or preset"},
		{"content.request.deny[0].pattern", "not a valid regular expression"},
		{"content.request.deny[1].name", "duplicate rule name"},
		{"content.request.deny[1].phrases[0]", "empty phrase"},
		{"content.request.deny[2].name", "use 1-64 characters"},
		{"content.request.deny[2]", "set one of pattern or phrases"},
		{"content.request.deny[2].action", `unknown action "burn"`},
		{"content.request.injection", `unknown mode "sometimes"`},
		{"content.request.injection_threshold", "between 0"},
		{"content.request.fields.exclude[0]", "is not a field path"},
		{"content.request.fields.exclude[1]", "is not a field path"},
		{"content.response.injection", "applies to requests"},
		{"roles[0].content.request.pii.secret", `unknown action "maybe"`},
		{"content.phone_regions[1]", "unknown region"},
	})
}

func TestValidateApprovals(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c := validConfig(tr)
	c.Approvals = Approvals{
		Approvers: []string{"nobody"},
		Hold:      Duration(10 * time.Minute),
		Rules: []ApprovalRule{{Name: "Bad Name", Capabilities: []string{"admin"}, Roles: []string{"ghost"}, Entities: []string{"zodiac_sign"}, MinPromptTokens: -1},
			{Name: "ok"}, {Name: "ok"}},
		Notify: []NotifyTarget{{Name: "s", Type: "slack", URL: "https://hooks.slack.com/services/T/B/X"},
			{Name: "w", Type: "webhook", URL: "https://user:pw@soc.example.com/h", Secret: "inline"},
			{Name: "x", Type: "pager"}},
	}
	checkProblems(t, c.Validate(), []wantProblem{
		{"approvals.approvers[0]", "not defined in roles"},
		{"approvals.hold", "between 0 and 5m"},
		{"approvals.notify[0].url", "is a secret"},
		{"approvals.notify[1].url", "credentials"},
		{"approvals.notify[1].secret", "inline secrets are refused"},
		{"approvals.notify[2].type", `unknown type "pager"`},
		{"approvals.rules[0].name", "required"},
		{"approvals.rules[0].capabilities[0]", "want chat, completions or embeddings"},
		{"approvals.rules[0].roles[0]", "not defined in roles"},
		{"approvals.rules[0].entities[0]", "unknown entity"},
		{"approvals.rules[0].min_prompt_tokens", "must not be negative"},
		{"approvals.rules[2].name", "duplicate rule name"},
	})
}
