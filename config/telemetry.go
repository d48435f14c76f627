package config

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Telemetry configures traces of the data path (docs/operations.md,
// "Traces"): spans with the GenAI semantic conventions, never content.
type Telemetry struct {
	OTLP *OTLP `yaml:"otlp"` // nil: no traces
}

// OTLP is an OpenTelemetry collector that takes OTLP over HTTP.
type OTLP struct {
	// Endpoint is the collector's base URL (spans go to
	// Endpoint/v1/traces), e.g. http://otel-collector:4318.
	Endpoint string `yaml:"endpoint"`
	// Headers are sent with every export. A value is written as it is,
	// or read from env:NAME or file:/path; headers that carry credentials
	// (authorization, api keys, tokens) must be references.
	Headers map[string]Secret `yaml:"headers"`
	Timeout Duration          `yaml:"timeout"` // per export; default 10s
	// ServiceName is the resource's service.name (default "warden").
	ServiceName string `yaml:"service_name"`
}

// ResolveHeaders returns the headers with references read.
func (o *OTLP) ResolveHeaders() (map[string]string, error) {
	out := make(map[string]string, len(o.Headers))
	for k, v := range o.Headers {
		if !v.IsRef() {
			out[k] = string(v)
			continue
		}
		s, err := v.Resolve()
		if err != nil {
			return nil, fmt.Errorf("telemetry.otlp.headers.%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// credentialHeader reports whether a header's value is a credential, which
// must not be written inline.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "authorization" || n == "proxy-authorization" || n == "cookie" ||
		strings.Contains(n, "key") || strings.Contains(n, "token") || strings.Contains(n, "secret")
}

func (c *Config) validateTelemetry(v *validator) {
	o := c.Telemetry.OTLP
	if o == nil {
		return
	}
	u, err := url.Parse(o.Endpoint)
	switch {
	case o.Endpoint == "":
		v.add("telemetry.otlp.endpoint", "required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.add("telemetry.otlp.endpoint", "want an http:// or https:// URL, e.g. http://otel-collector:4318")
	case u.User != nil || u.RawQuery != "":
		v.add("telemetry.otlp.endpoint", "credentials and queries do not belong in the URL: send them in headers")
	}
	for k, s := range o.Headers {
		p := "telemetry.otlp.headers." + k
		switch {
		case k == "" || strings.ContainsAny(k, " :\r\n") || http.CanonicalHeaderKey(k) == "":
			v.add(p, "not a header name")
		case credentialHeader(k) && !s.IsRef():
			v.add(p, "carries a credential: write env:NAME or file:/path")
		case strings.ContainsAny(string(s), "\r\n"):
			v.add(p, "a header value cannot hold a line break")
		}
	}
	if o.Timeout < 0 {
		v.add("telemetry.otlp.timeout", "must not be negative")
	}
}
