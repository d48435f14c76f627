// Package gateway is the Warden server: it compiles a Config into an
// immutable State, serves the data plane and operations endpoints against
// whichever State is current, and swaps in a new State atomically when the
// configuration is reloaded.
package gateway

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/upstream"
)

// State is one compiled configuration. It is never modified once built.
type State struct {
	Config *config.Config
	Env    *pipeline.Env
}

// Compile builds a State from a validated config. authenticators are the
// credential checkers shared across states (they hold store handles).
// Every problem found (such as an unset secret) is returned, joined.
func Compile(c *config.Config, authenticators []auth.Authenticator) (*State, error) {
	var errs []error
	routes, err := upstream.Build(c.Models, nil)
	if err != nil {
		errs = append(errs, err)
	}
	trusted := make([]netip.Prefix, 0, len(c.Server.TrustedProxies))
	for _, p := range c.Server.TrustedProxies {
		pf, err := config.ParsePrefix(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		trusted = append(trusted, pf)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &State{
		Config: c,
		Env: &pipeline.Env{
			Authenticators: authenticators,
			Policy:         policy.Compile(c.Roles),
			Routes:         routes,
			MaxBodyBytes:   c.Server.MaxBodyBytes,
			TrustedProxies: trusted,
			WriteStall:     c.Server.Timeouts.WriteStall.D(DefaultWriteStall),
		},
	}, nil
}

// restartOnly lists settings a reload cannot change; they are bound to the
// listener, the store or the keys when the process starts.
func restartOnly(old, new *config.Config) error {
	var errs []error
	check := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			errs = append(errs, fmt.Errorf("%s changed: restart warden to apply it", name))
		}
	}
	check("data_dir", old.DataDir, new.DataDir)
	check("server.listen", old.Server.Listen, new.Server.Listen)
	check("server.metrics_listen", old.Server.MetricsListen, new.Server.MetricsListen)
	check("server.tls", old.Server.TLS, new.Server.TLS)
	check("server.timeouts", old.Server.Timeouts, new.Server.Timeouts)
	check("storage", old.Storage, new.Storage)
	check("kms", old.KMS, new.KMS)
	check("auth.api_keys", old.Auth.APIKeys.On(), new.Auth.APIKeys.On())
	check("log", old.Log, new.Log)
	return errors.Join(errs...)
}
