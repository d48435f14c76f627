package wardentest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/store"
)

// DefaultRoles are the roles a Gateway has unless told otherwise: "admin"
// (every model, every capability) and "chat-only" (model "gpt-test",
// capabilities chat and stream).
func DefaultRoles() []config.Role {
	return []config.Role{
		{Name: "admin", Models: []string{"*"}, Capabilities: slices.Clone(config.Capabilities)},
		{Name: "chat-only", Models: []string{"gpt-test"}, Capabilities: []string{"chat", "stream"}},
	}
}

// DefaultModels are the models a Gateway has unless told otherwise, all
// served by u: "gpt-test" (upstream name "upstream-model"), "gpt-other"
// ("other-model") and "embed-test" ("upstream-embed").
func DefaultModels(u *Upstream) []config.Model {
	return []config.Model{
		u.Model("gpt-test", "upstream-model"),
		u.Model("gpt-other", "other-model"),
		u.Model("embed-test", "upstream-embed"),
	}
}

// GatewayOptions configure NewGateway; the zero value is a plain-HTTP
// gateway with DefaultRoles and DefaultModels on a new Upstream.
type GatewayOptions struct {
	Roles    []config.Role  // nil: DefaultRoles()
	Models   []config.Model // nil: DefaultModels(Upstream)
	Upstream *Upstream      // serves the default models; nil: NewUpstream(t)
	// TLS serves HTTPS with a self-signed certificate (min_version 1.3
	// unless Configure changes it); Gateway.Client trusts it.
	TLS bool
	// ConfigFile writes the configuration to Dir/warden.yaml and starts the
	// server from that file, so Server.Reload rereads it.
	ConfigFile bool
	// Configure, if set, changes the configuration last, before defaults
	// are applied and it is validated.
	Configure func(c *config.Config)
	// Limiter, if set, holds the gateway's rate-limit counters (e.g. a
	// Redis limiter shared by two gateways); default: the one
	// Configure's ratelimit section names, as `warden serve` builds it.
	Limiter ratelimit.Limiter
}

// Gateway is a whole Warden gateway serving on a loopback port, with its own
// temporary data directory, master key and SQLite store. It is stopped when
// the test ends; if the test failed, the gateway's log is printed.
type Gateway struct {
	URL        string          // base URL of the data plane: "http://127.0.0.1:PORT/v1" (https with TLS)
	Addr       string          // listening address, "127.0.0.1:PORT"
	Server     *gateway.Server // the server under test
	Store      *store.DB       // its store
	KMS        kms.Provider    // its KMS
	Upstream   *Upstream       // the Upstream of the default models (nil if Models were given without one)
	Config     *config.Config  // the configuration it started with; do not modify
	Dir        string          // temporary directory holding everything
	ConfigPath string          // the config file, with GatewayOptions.ConfigFile
	RootCAs    *x509.CertPool  // trusts the server certificate, with TLS
	Client     *http.Client    // a client of its own for this gateway (HTTP/2 with TLS)

	cancel    context.CancelFunc // stops Serve
	done      chan struct{}      // closed when Serve has returned
	serveErr  error              // Serve's result, once done
	closeOnce sync.Once
	logs      *syncBuffer // the gateway's JSON log, at debug level
}

// NewGateway starts a gateway as opts describe and returns once it answers
// GET /healthz.
func NewGateway(t testing.TB, opts GatewayOptions) *Gateway {
	t.Helper()
	g := &Gateway{Dir: t.TempDir(), done: make(chan struct{}), logs: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := g.config(t, opts)
	ctx := context.Background()

	var err error
	if g.KMS, err = kms.Open(ctx, c.KMS, c.DataDir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.KMS.Close() })
	if g.Store, err = store.Open(ctx, c.Storage.Driver, string(c.Storage.DSN)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Store.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.Logs())
		}
	})
	limiter := opts.Limiter
	if limiter == nil {
		l, closeLimiter, err := ratelimit.Open(ctx, c.RateLimit)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeLimiter() })
		limiter = l
	}
	g.Server, err = gateway.New(c, gateway.Options{Store: g.Store, KMS: g.KMS, Logger: logger, ConfigPath: g.ConfigPath, Limiter: limiter,
		KeyCheckInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	g.Config = c

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.Addr = ln.Addr().String()
	scheme := "http"
	if c.Server.TLS != nil {
		scheme = "https"
	}
	g.URL = scheme + "://" + g.Addr + "/v1"
	g.Client = g.newClient()
	sctx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	go func() {
		defer close(g.done)
		g.serveErr = g.Server.Serve(sctx, ln)
		ln.Close() // in case Serve failed before serving
	}()
	t.Cleanup(func() {
		// Idle connections first: an HTTP/2 client that keeps one open
		// delays a graceful shutdown by the server's GOAWAY timeout (1s).
		g.Client.CloseIdleConnections()
		if err := g.Close(); err != nil {
			t.Errorf("gateway: Serve: %v", err)
		}
	})
	g.waitHealthy(t, scheme)
	return g
}

// config builds, writes (with ConfigFile) and validates the configuration.
func (g *Gateway) config(t testing.TB, opts GatewayOptions) *config.Config {
	t.Helper()
	dataDir := filepath.Join(g.Dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(g.Dir, "master.key") // outside data_dir, as required
	if err := kms.GenerateLocal(keyFile); err != nil {
		t.Fatal(err)
	}
	auditKey := filepath.Join(g.Dir, "audit.key")
	if err := auditlog.GenerateKey(auditKey, "warden.test/audit"); err != nil {
		t.Fatal(err)
	}
	g.Upstream = opts.Upstream
	if g.Upstream == nil && opts.Models == nil {
		g.Upstream = NewUpstream(t)
	}
	c := &config.Config{
		Version: config.Version,
		DataDir: dataDir,
		Server: config.Server{
			Listen:   "127.0.0.1:0", // informational: NewGateway listens itself
			Timeouts: config.Timeouts{Shutdown: config.Duration(10 * time.Second)},
		},
		Storage: config.Storage{Driver: "sqlite"},
		KMS:     config.KMS{Provider: "local", Local: config.LocalKMS{KeyFile: keyFile}},
		Log:     config.Log{Level: "debug", Format: "json"},
		Audit:   config.Audit{SigningKeyFile: auditKey, CheckpointInterval: config.Duration(100 * time.Millisecond)},
		Roles:   opts.Roles,
		Models:  opts.Models,
	}
	if c.Roles == nil {
		c.Roles = DefaultRoles()
	}
	if c.Models == nil {
		c.Models = DefaultModels(g.Upstream)
	}
	if opts.TLS {
		certFile, keyFile, roots := SelfSignedCert(t, g.Dir)
		c.Server.TLS = &config.TLS{CertFile: certFile, KeyFile: keyFile, MinVersion: "1.3"}
		g.RootCAs = roots
	}
	if opts.Configure != nil {
		opts.Configure(c)
	}
	c.ApplyDefaults()
	if probs := c.Validate(); len(probs) > 0 {
		t.Fatalf("wardentest: invalid gateway config: %v", &config.Error{Problems: probs})
	}
	if !opts.ConfigFile {
		return c
	}
	g.ConfigPath = filepath.Join(g.Dir, "warden.yaml")
	g.WriteConfig(t, c)
	lc, err := config.Load(g.ConfigPath)
	if err != nil {
		t.Fatalf("wardentest: the written config does not load: %v", err)
	}
	return lc
}

func (g *Gateway) newClient() *http.Client { return g.ClientWithCert(nil) }

// ClientWithCert returns a client of its own that presents cert (if not
// nil, even when the server asks for other CAs) and trusts the gateway's
// certificate.
func (g *Gateway) ClientWithCert(cert *tls.Certificate) *http.Client {
	tr := &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16}
	if g.RootCAs != nil || cert != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: g.RootCAs}
		if cert != nil {
			// Present it whatever CAs the server asks for, as an attacker would.
			tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func (g *Gateway) waitHealthy(t testing.TB, scheme string) {
	t.Helper()
	res, err := g.Client.Get(scheme + "://" + g.Addr + "/healthz")
	if err != nil {
		select {
		case <-g.done:
			t.Fatalf("gateway did not start: %v", g.serveErr)
		default:
		}
		t.Fatalf("gateway does not answer /healthz: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %s", res.Status)
	}
}

// Close stops the gateway gracefully, as SIGTERM would: it cancels Serve's
// context and waits for Serve to return (after in-flight requests finish),
// returning its error. Later calls return the same error.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.cancel()
		<-g.done
	})
	return g.serveErr
}

// Done is closed once Serve has returned.
func (g *Gateway) Done() <-chan struct{} { return g.done }

// WriteConfig writes c to ConfigPath as YAML, replacing the file by rename as
// editors do. It does not reload; call Server.Reload.
func (g *Gateway) WriteConfig(t testing.TB, c *config.Config) {
	t.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	g.WriteConfigBytes(t, b)
}

// WriteConfigBytes writes b to ConfigPath, replacing the file by rename.
func (g *Gateway) WriteConfigBytes(t testing.TB, b []byte) {
	t.Helper()
	if g.ConfigPath == "" {
		t.Fatal("wardentest: the gateway has no config file (set GatewayOptions.ConfigFile)")
	}
	tmp := g.ConfigPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, g.ConfigPath); err != nil {
		t.Fatal(err)
	}
}

// EditConfig loads the config file, applies edit and writes it back.
func (g *Gateway) EditConfig(t testing.TB, edit func(c *config.Config)) {
	t.Helper()
	c, err := config.Load(g.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	edit(c)
	g.WriteConfig(t, c)
}

// Logs returns everything the gateway has logged so far (JSON lines).
func (g *Gateway) Logs() string { return g.logs.String() }

// AccessLog returns the access log record ("msg": "request") of the request
// with the given X-Request-Id, waiting for it up to 5s: it is written just
// after the response ends.
func (g *Gateway) AccessLog(t testing.TB, requestID string) map[string]any {
	t.Helper()
	return g.AccessLogWhere(t, func(rec map[string]any) bool { return rec["request_id"] == requestID })
}

// AccessLogWhere returns the first access log record that match accepts,
// waiting for one up to 5s.
func (g *Gateway) AccessLogWhere(t testing.TB, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for line := range bytes.Lines([]byte(g.Logs())) {
			var rec map[string]any
			if json.Unmarshal(line, &rec) == nil && rec["msg"] == "request" && match(rec) {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching access log record in:\n%s", g.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
