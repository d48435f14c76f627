package gateway

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wardenhq/warden/auditlog"
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
	auditWait    prometheus.Histogram
	notified     *prometheus.CounterVec
	tokens       *prometheus.CounterVec
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
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_tokens_total", Help: "Tokens the upstreams reported using, by endpoint (interface), model and kind (input, output).",
		}, []string{"endpoint", "model", "kind"}),
	}
	m.auditWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "warden_audit_wait_seconds", Help: "Time a response waited for its audit record to be durable (durability sync).",
		Buckets: []float64{.0005, .001, .002, .003, .005, .0075, .01, .015, .025, .05, .1, .25, 1},
	})
	m.notified = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_notifications_total", Help: "Notifications by target and result (delivered, failed: given up after retries, or dropped).",
	}, []string{"target", "result"})
	m.reg.MustRegister(m.auditWait, m.notified)
	m.reg.MustRegister(m.requests, m.duration, m.upstream, m.authFailures, m.reloads, m.tokens,
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
	if o := x.Upstream; o != nil && o.Usage != nil && x.Route != nil {
		if o.Usage.Prompt > 0 {
			m.tokens.WithLabelValues(x.Endpoint.Name, model, "input").Add(float64(o.Usage.Prompt))
		}
		if o.Usage.Completion > 0 {
			m.tokens.WithLabelValues(x.Endpoint.Name, model, "output").Add(float64(o.Usage.Completion))
		}
	}
	if x.AuthReason != "" {
		m.authFailures.WithLabelValues(string(x.AuthReason)).Inc()
	}
}

// watchAudit exports the audit log's state.
func (m *metrics) watchAudit(r *auditlog.Recorder) {
	r.ObserveWaits(func(d time.Duration) { m.auditWait.Observe(d.Seconds()) })
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "warden_audit_records_total", Help: "Audit records written to the log.",
		}, func() float64 { w, _ := r.Counts(); return float64(w) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "warden_audit_failures_total", Help: "Audit records that could not be written.",
		}, func() float64 { _, f := r.Counts(); return float64(f) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "warden_audit_pending", Help: "Audit records queued or being written.",
		}, func() float64 { return float64(r.Log().Pending()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "warden_audit_healthy", Help: "1 when the audit log takes records, 0 when its last write failed or it is overloaded.",
		}, func() float64 {
			if r.Log().Healthy() != nil {
				return 0
			}
			return 1
		}),
	)
}

// notificationSent counts a notification delivered or given up.
func (m *metrics) notificationSent(target string, ok bool) {
	result := "failed"
	if ok {
		result = "delivered"
	}
	m.notified.WithLabelValues(target, result).Inc()
}
