package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/sink"
	"github.com/wardenhq/warden/store"
)

// openSinks builds a shipper per audit.sinks entry, following this
// gateway's log (audit needs a restart to change).
func (s *Server) openSinks(c *config.Config) error {
	for i, sc := range c.Audit.Sinks {
		if sc.Type == "s3" {
			a, err := newArchive(fmt.Sprintf("audit.sinks[%d]", i), sc)
			if err != nil {
				return err
			}
			a.Origin, a.Reader, a.Store, a.Logger = s.indexer.Origin, s.indexer.Reader, s.opts.Store, s.log
			s.archives = append(s.archives, a)
			continue
		}
		sk, err := newSink(fmt.Sprintf("audit.sinks[%d]", i), sc)
		if err != nil {
			return err
		}
		s.shippers = append(s.shippers, &sink.Shipper{Sink: sk, Origin: s.indexer.Origin, Reader: s.indexer.Reader,
			Store: s.opts.Store, Logger: s.log, Batch: sc.Batch})
	}
	if len(s.shippers) == 0 && len(s.archives) == 0 {
		return nil
	}
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "warden_audit_sink_lag_max", Help: "Records the furthest-behind audit sink has yet to ship.",
	}, func() float64 { return float64(s.sinkLag()) }))
	for _, sh := range s.shippers {
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "warden_audit_sink_lag", Help: "Records an audit sink has yet to ship.", ConstLabels: prometheus.Labels{"sink": sh.Sink.Name()},
		}, func() float64 { return float64(sh.Lag()) }))
	}
	for _, a := range s.archives {
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "warden_audit_sink_lag", Help: "Records an audit sink has yet to ship.", ConstLabels: prometheus.Labels{"sink": a.Name},
		}, func() float64 { return float64(a.Lag()) }))
	}
	return nil
}

func (s *Server) sinkLag() int64 {
	var m int64
	for _, sh := range s.shippers {
		m = max(m, sh.Lag())
	}
	for _, a := range s.archives {
		m = max(m, a.Lag())
	}
	return m
}

// runSinks ships until ctx ends.
func (s *Server) runSinks(ctx context.Context) {
	for _, sh := range s.shippers {
		go sh.Run(ctx, SinkInterval)
	}
	for _, a := range s.archives {
		go a.Run(ctx, ArchiveInterval)
	}
}

// SinkInterval is how often each sink looks for new records;
// ArchiveInterval how often the S3 archive archives the newest checkpoint
// and what it needs.
var (
	SinkInterval    = time.Second
	ArchiveInterval = time.Minute
)

// newArchive builds an s3 sink (validated already).
func newArchive(path string, sc config.AuditSink) (*sink.S3Archive, error) {
	endpoint, err := secretOf(path+".url", sc.URL)
	if err != nil {
		return nil, err
	}
	id, err := secretOf(path+".access_key_id", sc.AccessKeyID)
	if err != nil {
		return nil, err
	}
	key, err := secretOf(path+".secret_access_key", sc.SecretAccessKey)
	if err != nil {
		return nil, err
	}
	region := sc.Region
	if region == "" {
		region = "us-east-1"
	}
	return &sink.S3Archive{Name: sc.Name, Client: sink.NewS3Client(endpoint, region, id, key, sc.PathStyle),
		Bucket: sc.Bucket, Prefix: sc.Prefix, Retention: sc.Retention.D(0)}, nil
}

func secretOf(path string, v config.Secret) (string, error) {
	if v == "" || !v.IsRef() {
		return string(v), nil
	}
	out, err := v.Resolve()
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// newSink builds the sink a config entry names (validated already).
func newSink(path string, sc config.AuditSink) (sink.Sink, error) {
	u, err := secretOf(path+".url", sc.URL)
	if err != nil {
		return nil, err
	}
	switch sc.Type {
	case "splunk_hec", "elasticsearch", "webhook", "azure_monitor":
		// Checked here too, resolved, since a reference was not checked
		// before; the value is never quoted (it may hold a password).
		u = strings.TrimSpace(u)
		if !config.SecureURL(u) {
			return nil, fmt.Errorf("%s.url: the value is not an https:// URL (http:// only on loopback)", path)
		}
	}
	switch sc.Type {
	case "splunk_hec":
		tok, err := secretOf(path+".token", sc.Token)
		if err != nil {
			return nil, err
		}
		return &sink.SplunkHEC{SinkName: sc.Name, URL: u, Token: tok, Index: sc.Index, Ack: sc.Ack}, nil
	case "elasticsearch":
		key, err := secretOf(path+".api_key", sc.APIKey)
		if err != nil {
			return nil, err
		}
		pw, err := secretOf(path+".password", sc.Password)
		if err != nil {
			return nil, err
		}
		return &sink.Elasticsearch{SinkName: sc.Name, URL: u, Index: sc.Index, APIKey: key, Username: sc.Username, Password: pw}, nil
	case "webhook":
		sec, err := secretOf(path+".secret", sc.Secret)
		if err != nil {
			return nil, err
		}
		return &sink.Webhook{SinkName: sc.Name, URL: u, Secret: []byte(sec)}, nil
	case "file":
		return &sink.File{SinkName: sc.Name, Path: sc.Path, MaxSize: sc.MaxSize}, nil
	case "azure_monitor":
		secret, err := secretOf(path+".client_secret", sc.ClientSecret)
		if err != nil {
			return nil, err
		}
		return &sink.AzureMonitor{SinkName: sc.Name, Endpoint: u, RuleID: sc.RuleID, Stream: sc.Stream, TenantID: sc.TenantID,
			ClientID: sc.ClientID, ClientSecret: secret}, nil
	case "syslog":
		pu, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("%s.url: %w", path, err)
		}
		sl := &sink.Syslog{SinkName: sc.Name, Address: pu.Host, Hostname: sc.Hostname}
		if pu.Scheme == "tls" {
			sl.TLS = &tls.Config{ServerName: pu.Hostname(), MinVersion: tls.VersionTLS12}
			if sc.CAFile != "" {
				pem, err := os.ReadFile(sc.CAFile)
				if err != nil {
					return nil, fmt.Errorf("%s.ca_file: %w", path, err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("%s.ca_file: no PEM certificate in %s", path, sc.CAFile)
				}
				sl.TLS.RootCAs = pool
			}
		}
		return sl, nil
	}
	return nil, fmt.Errorf("%s.type: %q is not available", path, sc.Type)
}

// sinkRoutes serves GET /admin/v1/audit/sinks (audit.read): each sink's
// cursor, lag and last error.
func (s *Server) sinkRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/v1/audit/sinks", pipeline.Serve(s.env, pipeline.Endpoint{Name: "admin.audit.sinks", Capability: policy.CapAuditRead},
		pipeline.Admin(s.sinkStatus), s.observe))
}

func (s *Server) sinkStatus(w http.ResponseWriter, r *http.Request, x *pipeline.Exchange) error {
	data := []map[string]any{}
	type status struct {
		name string
		lag  int64
	}
	var all []status
	for _, sh := range s.shippers {
		all = append(all, status{sh.Sink.Name(), sh.Lag()})
	}
	for _, a := range s.archives {
		all = append(all, status{a.Name, a.Lag()})
	}
	for _, st := range all {
		c, err := s.opts.Store.GetSinkCursor(r.Context(), st.name, s.indexer.Origin)
		if err != nil {
			return httperr.Wrap(http.StatusServiceUnavailable, "store_unavailable", "the store is unavailable", err)
		}
		data = append(data, SinkView(c, st.lag))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	return nil
}

// SinkView is a sink's status as the admin API and the CLI show it (lag
// -1: unknown).
func SinkView(c store.SinkCursor, lag int64) map[string]any {
	opt := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	v := map[string]any{"sink": c.Sink, "origin": c.Origin, "next_index": c.Next, "shipped_at": opt(c.ShippedAt),
		"last_error": c.LastError, "error_at": opt(c.ErrorAt)}
	if lag >= 0 {
		v["lag"] = lag
	}
	return v
}
