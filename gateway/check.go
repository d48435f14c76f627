package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
)

// Check does everything that starting a server with c would do short of
// opening the store and listening: it compiles c (resolving secrets), loads
// the TLS certificate and opens the KMS (a Vault KMS is contacted). `warden config check` uses it so
// that a config it calls OK is one `warden serve` accepts.
func Check(c *config.Config) error {
	var errs []error
	if _, err := Compile(c, Deps{Now: time.Now}); err != nil {
		errs = append(errs, err)
	}
	if _, err := TLSConfig(c.Server.TLS); err != nil {
		errs = append(errs, err)
	}
	if _, err := notifyTargets("approvals.notify", c.Approvals.Notify); err != nil {
		errs = append(errs, err)
	}
	for i, sc := range c.Audit.Sinks {
		var err error
		if sc.Type == "s3" {
			_, err = newArchive(fmt.Sprintf("audit.sinks[%d]", i), sc)
		} else {
			_, err = newSink(fmt.Sprintf("audit.sinks[%d]", i), sc)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for i, a := range c.Alerts {
		if _, err := notifyTargets(fmt.Sprintf("alerts[%d].notify", i), a.Notify); err != nil {
			errs = append(errs, err)
		}
	}
	if k, err := kms.Open(context.Background(), c.KMS, c.DataDir); err != nil {
		errs = append(errs, err)
	} else {
		k.Close()
	}
	return errors.Join(errs...)
}
