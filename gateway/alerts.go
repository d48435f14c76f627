package gateway

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden/alert"
	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
)

// openAlerts builds the alert engine of c.Alerts, each rule with the
// notifier of its own targets (alerts need a restart to change).
func (s *Server) openAlerts(c *config.Config) error {
	if len(c.Alerts) == 0 {
		return nil
	}
	rules := make([]alert.Rule, len(c.Alerts))
	notifiers := map[string]*notify.Notifier{}
	for i, a := range c.Alerts {
		rules[i] = alert.Rule{Name: a.Name, When: alert.Kind(a.When), Threshold: a.Threshold, Window: a.Window.D(time.Minute), MinCount: a.MinCount}
		targets, err := notifyTargets(fmt.Sprintf("alerts[%d].notify", i), a.Notify)
		if err != nil {
			return err
		}
		if len(targets) > 0 {
			n := notify.New(targets, notify.Options{Logger: s.log, Sent: s.metrics.notificationSent})
			notifiers[a.Name] = n
			s.closers = append(s.closers, n.Close)
		}
	}
	fired := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_alerts_fired_total", Help: "Alert firings by rule.",
	}, []string{"rule"})
	s.metrics.reg.MustRegister(fired)
	s.alerts = alert.New(rules, func(f alert.Firing) {
		action := "alerts.fire"
		if f.Resolved {
			action = "alerts.resolve"
		} else {
			fired.WithLabelValues(f.Rule).Inc()
		}
		s.log.Warn(f.Summary(), "rule", f.Rule, "kind", string(f.When), "subject", f.Subject, "count", f.Count, "resolved", f.Resolved)
		s.auditSystem(action, f.Rule, fmt.Sprintf("kind=%s subject=%s count=%d window=%s", f.When, f.Subject, f.Count, f.Window), 0)
		if n := notifiers[f.Rule]; n != nil {
			kind := "alert.firing"
			if f.Resolved {
				kind = "alert.resolved"
			}
			n.Send(notify.Event{Kind: kind, Title: f.Summary(), Time: f.Time, Fields: map[string]string{
				"rule": f.Rule, "when": string(f.When), "subject": f.Subject, "count": strconv.Itoa(f.Count),
				"threshold": strconv.FormatFloat(f.Threshold, 'g', -1, 64), "window": f.Window.String()}})
		}
	})
	firing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_alerts_firing", Help: "Subjects for which alert rules are firing."},
		func() float64 {
			n := 0
			for _, v := range s.alerts.Firing() {
				n += v
			}
			return float64(n)
		})
	s.metrics.reg.MustRegister(firing)
	return nil
}

// notifyTargets resolves the secrets of targets.
func notifyTargets(path string, ts []config.NotifyTarget) ([]notify.Target, error) {
	var out []notify.Target
	for i, t := range ts {
		u := string(t.URL)
		if t.URL.IsRef() {
			var err error
			if u, err = t.URL.Resolve(); err != nil {
				return nil, fmt.Errorf("%s[%d].url: %w", path, i, err)
			}
		}
		// Checked here, resolved: a value read from a file often ends in a
		// line break, and the error would otherwise quote the URL.
		if !config.SecureURL(strings.TrimSpace(u)) {
			return nil, fmt.Errorf("%s[%d].url: the value is not an https:// URL (http:// only on loopback)", path, i)
		}
		u = strings.TrimSpace(u)
		var secret []byte
		if t.Secret != "" {
			v, err := t.Secret.Resolve()
			if err != nil {
				return nil, fmt.Errorf("%s[%d].secret: %w", path, i, err)
			}
			secret = []byte(v)
		}
		out = append(out, notify.Target{Name: t.Name, Type: t.Type, URL: u, Secret: secret})
	}
	return out, nil
}

// alertEvents turns a finished exchange into alert events.
func (s *Server) alertEvents(x *pipeline.Exchange) {
	if s.alerts == nil || x.Endpoint.Name == "" {
		return
	}
	subject := "ip:" + x.ClientIP.String()
	if x.Identity != nil {
		subject = x.Identity.ID
	}
	now := time.Now()
	ev := func(k alert.Kind) { s.alerts.Observe(alert.Event{Kind: k, Subject: subject, Time: now}) }
	ev(alert.Volume)
	switch x.Outcome() {
	case pipeline.DecisionDeny:
		ev(alert.Denied)
		if slices.ContainsFunc(x.Decision.Reasons, func(r policy.Reason) bool {
			return r == policy.ReasonModelNotInRole || r == policy.ReasonNamespaceNotInRole || r == policy.ReasonModelNotInKey
		}) {
			ev(alert.RestrictedModel)
		}
	case pipeline.DecisionBlock:
		ev(alert.ContentBlocked)
	}
	if slices.ContainsFunc(x.Filters, func(f auditlog.Filter) bool { return f.Type == "injection" }) {
		ev(alert.Injection)
	}
}

// alertLoop sweeps the alert engine every few seconds and checks API keys
// for expiry every minute.
func (s *Server) alertLoop(ctx context.Context) {
	if s.alerts == nil {
		return
	}
	sweep := time.NewTicker(5 * time.Second)
	defer sweep.Stop()
	keys := time.NewTicker(cmp.Or(s.opts.KeyCheckInterval, time.Minute))
	defer keys.Stop()
	s.checkKeyExpiry(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-sweep.C:
			s.alerts.Sweep(now)
			for _, sh := range s.shippers {
				s.alerts.Level(alert.SinkLag, sh.Sink.Name(), float64(sh.Lag()), now)
			}
			for _, a := range s.archives {
				s.alerts.Level(alert.SinkLag, a.Name, float64(a.Lag()), now)
			}
		case <-keys.C:
			s.checkKeyExpiry(ctx)
		}
	}
}

func (s *Server) checkKeyExpiry(ctx context.Context) {
	list, err := s.opts.Store.ListKeys(ctx)
	if err != nil {
		s.log.Warn("alerts: keys not checked for expiry", "err", err)
		return
	}
	now := time.Now()
	for _, k := range list {
		if k.RevokedAt.IsZero() {
			s.alerts.KeyExpiring(k.ID, k.ExpiresAt, now)
		} else {
			s.alerts.KeyGone(k.ID, now)
		}
	}
}
