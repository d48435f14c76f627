package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/store"
)

// loadConfig loads the --config file; problems are a usage error (exit 2).
func loadConfig(cmd *cobra.Command) (*config.Config, string, error) {
	path, _ := cmd.Flags().GetString("config")
	c, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, &exitError{exitUsage, fmt.Errorf("no config file %s (set --config or $WARDEN_CONFIG): try \"warden serve --dev\" for a demo with no config, or \"warden init\" to create one", path)}
	}
	if err != nil {
		return nil, path, &exitError{exitUsage, err}
	}
	return c, path, nil
}

// backends are the process-wide dependencies a config names.
type backends struct {
	store        *store.DB
	kms          kms.Provider
	limiter      ratelimit.Limiter // nil: the gateway's in-memory default
	closeLimiter func() error
}

func (b *backends) Close() {
	if b.store != nil {
		b.store.Close()
	}
	if b.closeLimiter != nil {
		b.closeLimiter()
	}
	if b.kms != nil {
		b.kms.Close()
	}
}

// openLimiter connects the rate limiter ratelimit.driver names.
func (b *backends) openLimiter(ctx context.Context, c *config.Config) error {
	l, closeLimiter, err := ratelimit.Open(ctx, c.RateLimit)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	b.limiter, b.closeLimiter = l, closeLimiter
	return nil
}

func (b *backends) hasher() *auth.Hasher {
	return auth.NewHasher(b.kms.DeriveKey(kms.PurposeAPIKeyHash))
}

// openBackends opens the KMS and the store the config names.
func openBackends(ctx context.Context, c *config.Config) (*backends, error) {
	k, err := kms.Open(ctx, c.KMS, c.DataDir)
	if err != nil {
		return nil, &exitError{exitUsage, err}
	}
	if c.Storage.Driver == "sqlite" {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			k.Close()
			return nil, &exitError{exitUsage, fmt.Errorf("data_dir: %w", err)}
		}
	}
	db, err := openStore(ctx, c)
	if err != nil {
		k.Close()
		return nil, &exitError{exitUsage, err}
	}
	return &backends{store: db, kms: k}, nil
}

// openStore opens the store the config names (resolving a DSN reference).
func openStore(ctx context.Context, c *config.Config) (*store.DB, error) {
	dsn := string(c.Storage.DSN)
	if c.Storage.Driver != "sqlite" && c.Storage.DSN.IsRef() {
		var err error
		if dsn, err = c.Storage.DSN.Resolve(); err != nil {
			return nil, fmt.Errorf("storage.dsn: %w", err)
		}
	}
	return store.Open(ctx, c.Storage.Driver, dsn)
}

func newLogger(c config.Log) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
