package doctor_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/doctor"
	"github.com/wardenhq/warden/store"
)

// base is a strong configuration: every check passes, files made for real.
func base(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	data := filepath.Join(dir, "data")
	for _, d := range []string{keys, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string) string {
		p := filepath.Join(keys, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := &config.Config{
		DataDir: data,
		Server: config.Server{Listen: "0.0.0.0:8443", MetricsListen: "127.0.0.1:9090",
			TLS: &config.TLS{CertFile: file("tls.crt"), KeyFile: file("tls.key"), MinVersion: "1.3"}},
		KMS:   config.KMS{Provider: "vault", Local: config.LocalKMS{KeyFile: file("master.key")}},
		Audit: config.Audit{SigningKeyFile: file("audit.key"), Durability: "sync", FailMode: "closed", Sinks: []config.AuditSink{{Name: "siem", Type: "splunk_hec"}, {Name: "worm", Type: "s3"}}},
		Roles: []config.Role{{Name: "user", Capabilities: []string{"chat"}, Limits: config.Limits{RequestsPerMinute: 60}}, {Name: "admin", Capabilities: []string{"admin"}}},
		Models: []config.Model{{Name: "gpt", Upstream: config.Upstream{URL: "https://api.example.com/v1"}},
			{Name: "local", Upstream: config.Upstream{URL: "http://127.0.0.1:8000/v1"}}},
		Content: config.Content{Request: config.ContentStage{PII: map[string]string{"secret": "block"}, Injection: "flag"}},
		Alerts: []config.Alert{{Name: "denied", When: "denied",
			Notify: config.Notify{{Name: "soc", Type: "webhook", URL: "https://soc.example.com/hook", Secret: "env:HOOK_KEY"}}}},
	}
	return c
}

// local switches to the local KMS, whose key file is then checked.
func local(c *config.Config) { c.KMS.Provider = "local" }

func statuses(r *doctor.Report) map[string]doctor.Status {
	m := map[string]doctor.Status{}
	for _, x := range r.Results {
		m[x.ID] = x.Status
	}
	return m
}

func TestStrongConfigPasses(t *testing.T) {
	r := doctor.Run(context.Background(), doctor.Input{Config: base(t)})
	for _, x := range r.Results {
		if x.Status == doctor.Fail || x.Status == doctor.Warn {
			t.Errorf("%s: %s (%s)", x.ID, x.Status, x.Detail)
		}
	}
	if r.Score != 100 || r.Failed() {
		t.Fatalf("score %d", r.Score)
	}
}

func TestWeaknessesFound(t *testing.T) {
	tests := []struct {
		id     string
		want   doctor.Status
		weaken func(t *testing.T, c *config.Config)
	}{
		{"tls.enabled", doctor.Fail, func(t *testing.T, c *config.Config) { c.Server.TLS = nil }},
		{"tls.enabled", doctor.Warn, func(t *testing.T, c *config.Config) { c.Server.TLS, c.Server.Listen = nil, "127.0.0.1:8443" }},
		{"tls.min_version", doctor.Warn, func(t *testing.T, c *config.Config) { c.Server.TLS.MinVersion = "1.2" }},
		{"tls.key_file", doctor.Fail, func(t *testing.T, c *config.Config) { os.Chmod(c.Server.TLS.KeyFile, 0o640) }},
		{"kms.key_file", doctor.Fail, func(t *testing.T, c *config.Config) { local(c); os.Chmod(c.KMS.Local.KeyFile, 0o604) }},
		{"kms.key_file", doctor.Fail, func(t *testing.T, c *config.Config) { local(c); os.Chmod(filepath.Dir(c.KMS.Local.KeyFile), 0o777) }},
		{"kms.key_file", doctor.Fail, func(t *testing.T, c *config.Config) { local(c); c.KMS.Local.KeyFile += ".missing" }},
		{"kms.provider", doctor.Warn, func(t *testing.T, c *config.Config) { local(c) }},
		{"audit.signing_key", doctor.Fail, func(t *testing.T, c *config.Config) { os.Chmod(c.Audit.SigningKeyFile, 0o644) }},
		{"data_dir", doctor.Fail, func(t *testing.T, c *config.Config) { os.Chmod(c.DataDir, 0o755) }},
		{"upstream.tls", doctor.Fail, func(t *testing.T, c *config.Config) { c.Models[0].Upstream.URL = "http://10.0.0.5:8000/v1" }},
		{"server.trusted_proxies", doctor.Fail, func(t *testing.T, c *config.Config) { c.Server.TrustedProxies = []string{"10.0.0.0/8", "0.0.0.0/0"} }},
		{"server.metrics_listen", doctor.Warn, func(t *testing.T, c *config.Config) { c.Server.MetricsListen = "" }},
		{"audit.durability", doctor.Warn, func(t *testing.T, c *config.Config) { c.Audit.Durability = "async" }},
		{"audit.fail_mode", doctor.Warn, func(t *testing.T, c *config.Config) { c.Audit.FailMode = "open" }},
		{"audit.sinks", doctor.Warn, func(t *testing.T, c *config.Config) { c.Audit.Sinks = nil }},
		{"audit.archive", doctor.Warn, func(t *testing.T, c *config.Config) { c.Audit.Sinks = c.Audit.Sinks[:1] }},
		{"content.request", doctor.Warn, func(t *testing.T, c *config.Config) { c.Content.Request.PII = map[string]string{"email": "allow"} }},
		{"content.injection", doctor.Warn, func(t *testing.T, c *config.Config) { c.Content.Request.Injection = "off" }},
		{"roles.limits", doctor.Warn, func(t *testing.T, c *config.Config) { c.Roles[0].Limits = config.Limits{} }},
		{"ratelimit.driver", doctor.Warn, func(t *testing.T, c *config.Config) { c.Storage.Driver = "postgres" }},
		{"approvals.self_approval", doctor.Warn, func(t *testing.T, c *config.Config) {
			c.Approvals = config.Approvals{SelfApproval: true, Rules: []config.ApprovalRule{{Name: "r"}}}
		}},
		{"roles.reach", doctor.Warn, func(t *testing.T, c *config.Config) {
			c.Roles = append(c.Roles, config.Role{Name: "security", Capabilities: []string{"approve"}})
		}},
		{"alerts", doctor.Warn, func(t *testing.T, c *config.Config) { c.Alerts = nil }},
		{"notify.signed", doctor.Warn, func(t *testing.T, c *config.Config) {
			c.Alerts[0].Notify = config.Notify{{Name: "soc", Type: "webhook", URL: "https://soc.example.com/hook"}}
		}},
	}
	for _, tt := range tests {
		c := base(t)
		tt.weaken(t, c)
		r := doctor.Run(context.Background(), doctor.Input{Config: c})
		if got := statuses(r)[tt.id]; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.id, got, tt.want)
		}
		if r.Score >= 100 {
			t.Errorf("%s: score %d", tt.id, r.Score)
		}
		if r.Failed() != (tt.want == doctor.Fail) {
			t.Errorf("%s: Failed() = %v", tt.id, r.Failed())
		}
	}
}

func TestConfigFileWritableByOthers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "warden.yaml")
	os.WriteFile(p, []byte("version: 1\n"), 0o666)
	os.Chmod(p, 0o666)
	r := doctor.Run(context.Background(), doctor.Input{Config: base(t), ConfigPath: p})
	if statuses(r)["config.file"] != doctor.Fail {
		t.Fatalf("%+v", r.Results)
	}
}

// TestKeys reads keys from a real SQLite store: a key that never expires
// and a key unused for months are reported by id; revoked and expired
// keys are not live and not counted.
func TestKeys(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	mk := func(id string, created, expires, revoked time.Time) {
		k := store.APIKey{ID: id, Name: id, Role: "user", Prefix: "wdn_" + id[4:], CreatedAt: created, ExpiresAt: expires, RevokedAt: revoked}
		if err := db.CreateKey(ctx, k, store.Secret{Hash: []byte(id + "-hash-padding-to-32-bytes-long!!")[:32], Prefix: k.Prefix}); err != nil {
			t.Fatal(err)
		}
		if !revoked.IsZero() {
			if err := db.RevokeKey(ctx, id, revoked); err != nil {
				t.Fatal(err)
			}
		}
	}
	month := 30 * 24 * time.Hour
	mk("key_fresh", now.Add(-time.Hour), now.Add(month), time.Time{})
	in := doctor.Input{Config: base(t), Store: db, Now: now}
	if s := statuses(doctor.Run(ctx, in)); s["keys.expiry"] != doctor.Pass || s["keys.unused"] != doctor.Pass {
		t.Fatalf("one fresh expiring key: %v", s)
	}
	mk("key_forever", now.Add(-time.Hour), time.Time{}, time.Time{})
	mk("key_oldie", now.Add(-4*month), now.Add(month), time.Time{})
	mk("key_revoked", now.Add(-4*month), time.Time{}, now.Add(-month))
	mk("key_expired", now.Add(-4*month), now.Add(-month), time.Time{})
	r := doctor.Run(ctx, in)
	for _, x := range r.Results {
		switch x.ID {
		case "keys.expiry":
			if x.Status != doctor.Warn || x.Detail != "1 of 3 live keys never expire: key_forever" {
				t.Errorf("keys.expiry: %s %q", x.Status, x.Detail)
			}
		case "keys.unused":
			if x.Status != doctor.Warn || x.Detail != "1 keys unused for over 90 days: key_oldie" {
				t.Errorf("keys.unused: %s %q", x.Status, x.Detail)
			}
		}
	}
}

// TestStaleCRL: a CRL past its next update fails the check; a current one
// passes; none is a warning.
func TestStaleCRL(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	ca, _ := x509.ParseCertificate(der)
	crl := func(next time.Time) string {
		b, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: next}, ca, key)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "ca.crl")
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: b}), 0o644)
		return p
	}
	for file, want := range map[string]doctor.Status{crl(now.Add(-time.Hour)): doctor.Fail, crl(now.Add(24 * time.Hour)): doctor.Pass, "": doctor.Warn} {
		c := base(t)
		c.Auth.MTLS = config.MTLS{Enabled: true, CRLFile: file}
		if got := statuses(doctor.Run(context.Background(), doctor.Input{Config: c}))["auth.mtls.crl"]; got != want {
			t.Errorf("crl %q: %s, want %s", file, got, want)
		}
	}
}

// TestAuditLogCheck: a log whose tree matches its signed checkpoint
// passes; one whose checkpoint was replaced by another key's fails.
func TestAuditLogCheck(t *testing.T) {
	ctx := context.Background()
	c := base(t)
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := auditlog.GenerateKey(keyFile, "doctor.test/audit"); err != nil {
		t.Fatal(err)
	}
	c.Audit.SigningKeyFile = keyFile
	key, _ := auditlog.LoadKey(keyFile)
	dir := filepath.Join(t.TempDir(), "log")
	l, err := auditlog.Open(ctx, auditlog.LogOptions{Dir: dir, Signer: key.Signer, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := l.Append([]byte(fmt.Sprintf(`{"id":"aud_%d"}`, i))).Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	in := doctor.Input{Config: c, LogDir: dir}
	if got := statuses(doctor.Run(ctx, in))["audit.log"]; got != doctor.Pass {
		t.Fatalf("a sound log: %s", got)
	}
	other := filepath.Join(t.TempDir(), "other.key")
	auditlog.GenerateKey(other, "doctor.test/audit")
	c.Audit.SigningKeyFile = other // the checkpoint on disk is not signed by this key
	if got := statuses(doctor.Run(ctx, in))["audit.log"]; got != doctor.Fail {
		t.Fatalf("a checkpoint of another key: %s", got)
	}
	in.LogDir = filepath.Join(t.TempDir(), "none")
	if got := statuses(doctor.Run(ctx, in))["audit.log"]; got != doctor.Skip {
		t.Fatalf("no log yet: %s", got)
	}
}
