package gateway

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/store"
)

// openNotifier starts the notifier of approvals.notify (nil if none).
// Target secrets are read here, once: approvals.notify needs a restart to
// change.
func (s *Server) openNotifier(c *config.Config) error {
	if len(c.Approvals.Notify) == 0 {
		return nil
	}
	var targets []notify.Target
	for i, t := range c.Approvals.Notify {
		u := string(t.URL)
		if t.URL.IsRef() {
			var err error
			if u, err = t.URL.Resolve(); err != nil {
				return fmt.Errorf("approvals.notify[%d].url: %w", i, err)
			}
		}
		var secret []byte
		if t.Secret != "" {
			v, err := t.Secret.Resolve()
			if err != nil {
				return fmt.Errorf("approvals.notify[%d].secret: %w", i, err)
			}
			secret = []byte(v)
		}
		targets = append(targets, notify.Target{Name: t.Name, Type: t.Type, URL: u, Secret: secret})
	}
	s.notifier = notify.New(targets, notify.Options{Logger: s.log, Sent: s.metrics.notificationSent})
	s.deps.Notify = func(a store.Approval) {
		s.notifier.Send(notify.Event{Kind: "approval.requested",
			Title: fmt.Sprintf("Approval needed: %s asks %s", a.Principal, a.Model),
			Fields: map[string]string{"id": a.ID, "principal": a.Principal, "model": a.Model, "reasons": strings.Join(a.Reasons, ", "),
				"preview": a.Preview, "expires_at": a.ExpiresAt.UTC().Format(time.RFC3339)}})
	}
	return nil
}
