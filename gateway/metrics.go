package gateway

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wardenhq/warden/pipeline"
)

// metrics are the gateway's Prometheus series. Labels hold only names from
// the config and fixed vocabularies, never anything a client sent.
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	upstream     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	reloads      *prometheus.CounterVec
}

func newMetrics() *metrics {
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_requests_total", Help: "Data-plane requests by endpoint, model, decision and HTTP status.",
		}, []string{"endpoint", "model", "decision", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "warden_request_duration_seconds", Help: "Time from request arrival to the end of the response, streams included.", Buckets: buckets,
		}, []string{"endpoint"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "warden_upstream_duration_seconds", Help: "Time from forwarding to the upstream's response headers.", Buckets: buckets,
		}, []string{"model"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_auth_failures_total", Help: "Refused credentials by reason.",
		}, []string{"reason"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_config_reloads_total", Help: "Configuration reloads by result (applied, refused).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.upstream, m.authFailures, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var statusText = func() map[int]string {
	m := make(map[int]string)
	for c := 100; c < 600; c++ {
		m[c] = strconv.Itoa(c)
	}
	m[0] = "none" // aborted before a status was sent
	return m
}()

func (m *metrics) observe(x *pipeline.Exchange, total float64) {
	model := "-"
	if x.Route != nil {
		model = x.Route.Name
	}
	status, ok := statusText[x.Status]
	if !ok {
		status = "other"
	}
	m.requests.WithLabelValues(x.Endpoint.Name, model, string(x.Outcome()), status).Inc()
	m.duration.WithLabelValues(x.Endpoint.Name).Observe(total)
	if o := x.Upstream; o != nil && !o.Headers.IsZero() {
		m.upstream.WithLabelValues(model).Observe(o.Headers.Sub(o.Start).Seconds())
	}
	if x.AuthReason != "" {
		m.authFailures.WithLabelValues(string(x.AuthReason)).Inc()
	}
}
