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
	targets, err := notifyTargets("approvals.notify", c.Approvals.Notify)
	if err != nil {
		return err
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
