package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fullConfig sets every key this version supports.
const fullConfig = `version: 1
data_dir: {{DIR}}/data
server:
  listen: "127.0.0.1:9443"
  tls:
    cert_file: {{DIR}}/tls/cert.pem
    key_file: {{DIR}}/tls/key.pem
    min_version: "1.2"
    client_ca_file: {{DIR}}/tls/ca.pem
    client_auth: request
  trusted_proxies: ["10.0.0.0/8", "192.168.1.10", "2001:db8::/32"]
  max_body_bytes: 2097152
  timeouts:
    read_header: 5s
    read: 2m
    idle: 1d
    shutdown: 45s
storage:
  driver: postgres
  dsn: env:WARDEN_DATABASE_URL
ratelimit:
  driver: redis
  url: env:WARDEN_REDIS_URL
  prefix: "{team-a}:"
kms:
  provider: local
  local:
    key_file: {{DIR}}/keys/master.key
audit:
  origin: "warden.example.com/audit"
  signing_key_file: {{DIR}}/keys/audit.key
auth:
  api_keys:
    enabled: false
  oidc:
    - issuer: https://login.example.com/realms/corp
      audience: warden
      subject_claim: preferred_username
      groups_claim: realm_access.roles
      algorithms: [RS256, ES256]
      jwks_url: https://login.example.com/realms/corp/protocol/openid-connect/certs
      leeway: 1m
    - issuer: http://127.0.0.1:5556/dex
      audience: warden-local
  mtls:
    enabled: true
    identity_from: spiffe
    groups_from: none
    crl_file: {{DIR}}/tls/crl.pem
  ip_allow: ["10.0.0.0/8", "2001:db8::1"]
log:
  level: debug
  format: text
roles:
  - name: legal
    groups: [legal, "Legal Team"]
    models: ["contract-*"]
    namespaces: [legal]
    capabilities: [chat, completions, embeddings, stream]
    ip_allow: [10.20.0.0/16]
    limits: {requests_per_minute: 60, tokens_per_minute: 100000, tokens_per_day: 2000000, tokens_per_month: 40000000}
  - name: admin
    models: ["*"]
    capabilities: [chat, completions, embeddings, stream, admin, audit.read, audit.decrypt, approve]
models:
  - name: contract-analyzer
    version: "2026-10-01"
    digest: "sha256:0123abcd"
    namespace: legal
    upstream:
      url: http://vllm:8000/v1
      model: Qwen/Qwen2.5-7B-Instruct
      api_key: file:/run/secrets/vllm
      timeout: 5m
  - name: demo
    version: builtin
    namespace: default
    builtin: demo
`

func TestParse(t *testing.T) {
	tr := newTree(t, t.TempDir())
	off := false
	tests := []struct {
		name string
		text string
		want *Config
	}{
		{
			name: "every key",
			text: fullConfig,
			want: &Config{
				Version: 1,
				DataDir: tr.Data,
				Server: Server{
					Listen: "127.0.0.1:9443",
					TLS: &TLS{
						CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.2",
						ClientCAFile: tr.CA, ClientAuth: "request",
					},
					TrustedProxies: []string{"10.0.0.0/8", "192.168.1.10", "2001:db8::/32"},
					MaxBodyBytes:   2 << 20,
					Timeouts: Timeouts{
						ReadHeader: Duration(5 * time.Second),
						Read:       Duration(2 * time.Minute),
						Idle:       Duration(24 * time.Hour),
						Shutdown:   Duration(45 * time.Second),
					},
				},
				Storage:   Storage{Driver: "postgres", DSN: "env:WARDEN_DATABASE_URL"},
				RateLimit: RateLimit{Driver: "redis", URL: "env:WARDEN_REDIS_URL", Prefix: "{team-a}:"},
				KMS:       KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master}},
				Audit:     Audit{Origin: "warden.example.com/audit", SigningKeyFile: tr.AuditKey, Durability: "sync", FailMode: "closed"},
				Auth: Auth{
					APIKeys: APIKeys{Enabled: &off},
					OIDC: []OIDC{
						{
							Issuer: "https://login.example.com/realms/corp", Audience: "warden",
							SubjectClaim: "preferred_username", GroupsClaim: "realm_access.roles",
							Algorithms: []string{"RS256", "ES256"},
							JWKSURL:    "https://login.example.com/realms/corp/protocol/openid-connect/certs",
							Leeway:     Duration(time.Minute),
						},
						{
							Issuer: "http://127.0.0.1:5556/dex", Audience: "warden-local",
							SubjectClaim: "sub", GroupsClaim: "groups", Algorithms: JWSAlgorithms, Leeway: Duration(30 * time.Second),
						},
					},
					MTLS:    MTLS{Enabled: true, IdentityFrom: "spiffe", GroupsFrom: "none", CRLFile: tr.CRL},
					IPAllow: []string{"10.0.0.0/8", "2001:db8::1"},
				},
				Log: Log{Level: "debug", Format: "text"},
				Roles: []Role{
					{
						Name: "legal", Groups: []string{"legal", "Legal Team"}, Models: []string{"contract-*"}, Namespaces: []string{"legal"},
						Capabilities: []string{"chat", "completions", "embeddings", "stream"}, IPAllow: []string{"10.20.0.0/16"},
						Limits: Limits{RequestsPerMinute: 60, TokensPerMinute: 100000, TokensPerDay: 2000000, TokensPerMonth: 40000000},
					},
					{Name: "admin", Models: []string{"*"}, Capabilities: Capabilities},
				},
				Models: []Model{
					{
						Name: "contract-analyzer", Version: "2026-10-01", Digest: "sha256:0123abcd", Namespace: "legal",
						Upstream: Upstream{
							URL: "http://vllm:8000/v1", Model: "Qwen/Qwen2.5-7B-Instruct",
							APIKey: "file:/run/secrets/vllm", Timeout: Duration(5 * time.Minute),
						},
					},
					{Name: "demo", Version: "builtin", Namespace: "default", Builtin: "demo"},
				},
			},
		},
		{
			name: "defaults",
			text: minimal + `server:
  tls: {cert_file: {{DIR}}/tls/cert.pem, key_file: {{DIR}}/tls/key.pem}
models:
  - name: llama
    upstream: {url: "https://llm.internal/v1"}
`,
			want: &Config{
				Version: 1,
				DataDir: tr.Data,
				Server: Server{
					Listen:       DefaultListen,
					TLS:          &TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.3", ClientAuth: "none"},
					MaxBodyBytes: DefaultMaxBodyBytes,
				},
				Storage:   Storage{Driver: "sqlite", DSN: Secret(filepath.Join(tr.Data, "warden.db"))},
				RateLimit: RateLimit{Driver: "memory"},
				KMS:       KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master}},
				Audit:     Audit{SigningKeyFile: tr.AuditKey, Durability: "sync", FailMode: "closed"},
				Auth:      Auth{MTLS: MTLS{IdentityFrom: "auto", GroupsFrom: "ou"}},
				Log:       Log{Level: "info", Format: "json"},
				Models:    []Model{{Name: "llama", Upstream: Upstream{URL: "https://llm.internal/v1", Model: "llama"}}},
			},
		},
		{
			name: "unquoted min_version and empty optional sections",
			text: minimal + `server:
  tls: {cert_file: {{DIR}}/tls/cert.pem, key_file: {{DIR}}/tls/key.pem, min_version: 1.2}
auth: {}
roles: []
`,
			want: &Config{
				Version: 1,
				DataDir: tr.Data,
				Server: Server{
					Listen:       DefaultListen,
					TLS:          &TLS{CertFile: tr.Cert, KeyFile: tr.Key, MinVersion: "1.2", ClientAuth: "none"},
					MaxBodyBytes: DefaultMaxBodyBytes,
				},
				Storage:   Storage{Driver: "sqlite", DSN: Secret(filepath.Join(tr.Data, "warden.db"))},
				RateLimit: RateLimit{Driver: "memory"},
				KMS:       KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master}},
				Audit:     Audit{SigningKeyFile: tr.AuditKey, Durability: "sync", FailMode: "closed"},
				Auth:      Auth{MTLS: MTLS{IdentityFrom: "auto", GroupsFrom: "ou"}},
				Log:       Log{Level: "info", Format: "json"},
				Roles:     []Role{},
			},
		},
		{
			name: "merge keys share settings",
			text: minimal + `models:
  - name: a
    upstream: &vllm {url: "http://vllm:8000/v1", model: qwen, timeout: 30s}
  - name: b
    upstream:
      <<: *vllm
      model: llama
`,
			want: &Config{
				Version:   1,
				DataDir:   tr.Data,
				Server:    Server{Listen: DefaultListen, MaxBodyBytes: DefaultMaxBodyBytes},
				Storage:   Storage{Driver: "sqlite", DSN: Secret(filepath.Join(tr.Data, "warden.db"))},
				RateLimit: RateLimit{Driver: "memory"},
				KMS:       KMS{Provider: "local", Local: LocalKMS{KeyFile: tr.Master}},
				Audit:     Audit{SigningKeyFile: tr.AuditKey, Durability: "sync", FailMode: "closed"},
				Auth:      Auth{MTLS: MTLS{IdentityFrom: "auto", GroupsFrom: "ou"}},
				Log:       Log{Level: "info", Format: "json"},
				Models: []Model{
					{Name: "a", Upstream: Upstream{URL: "http://vllm:8000/v1", Model: "qwen", Timeout: Duration(30 * time.Second)}},
					{Name: "b", Upstream: Upstream{URL: "http://vllm:8000/v1", Model: "llama", Timeout: Duration(30 * time.Second)}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tr.fill(tt.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyDefaultsIdempotent(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c, err := Parse(tr.fill(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	before := *c
	c.ApplyDefaults()
	if diff := cmp.Diff(&before, c); diff != "" {
		t.Errorf("second ApplyDefaults changed the config (-before +after):\n%s", diff)
	}
}

func TestAPIKeysOn(t *testing.T) {
	on, off := true, false
	for _, tt := range []struct {
		enabled *bool
		want    bool
	}{{nil, true}, {&on, true}, {&off, false}} {
		if got := (APIKeys{Enabled: tt.enabled}).On(); got != tt.want {
			t.Errorf("APIKeys{Enabled: %v}.On() = %v, want %v", tt.enabled, got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	tr := newTree(t, t.TempDir())
	good := filepath.Join(tr.Dir, "warden.yaml")
	writeFile(t, good, string(tr.fill(minimal)))
	if _, err := Load(good); err != nil {
		t.Errorf("Load(valid file): %v", err)
	}

	bad := filepath.Join(tr.Dir, "bad.yaml")
	writeFile(t, bad, "version: 2\n")
	_, err := Load(bad)
	probs := problemsOf(t, err)
	if len(probs) == 0 {
		t.Fatal("Load(invalid file) succeeded")
	}
	var ce *Error
	errors.As(err, &ce)
	if ce.File != bad {
		t.Errorf("Error.File = %q, want %q", ce.File, bad)
	}
	if want := bad + ": 4 problem(s)\n  version: unsupported version 2"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to start with %q", err.Error(), want)
	}

	_, err = Load(filepath.Join(tr.Dir, "missing.yaml"))
	if err == nil || errors.As(err, &ce) {
		t.Errorf("Load(missing file) = %v, want a plain error (not *config.Error)", err)
	}
}
