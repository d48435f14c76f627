package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/tokens"
)

func newServe() *cobra.Command {
	var dev bool
	var listen, devDir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the gateway",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			var cfg *config.Config
			var path string
			var err error
			if dev {
				if cfg, err = devConfig(devDir); err != nil {
					return err
				}
			} else if cfg, path, err = loadConfig(cmd); err != nil {
				return err
			}
			return serve(ctx, cmd, cfg, path, listen, dev)
		},
	}
	cmd.Flags().BoolVar(&dev, "dev", false, "run with no config: embedded defaults, a demo model, data in ./.warden-dev/")
	cmd.Flags().StringVar(&listen, "listen", "", "listen address, overriding server.listen")
	cmd.Flags().StringVar(&devDir, "dev-dir", ".warden-dev", "directory for --dev state")
	cmd.Flags().MarkHidden("dev-dir")
	return cmd
}

func serve(ctx context.Context, cmd *cobra.Command, cfg *config.Config, path, listen string, dev bool) error {
	log := newLogger(cfg.Log)
	b, err := openBackends(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.openLimiter(ctx, cfg); err != nil {
		return err
	}
	go tokens.Preload() // the token tables take ~60 ms of CPU to build; not on the first request
	srv, err := gateway.New(cfg, gateway.Options{Store: b.store, KMS: b.kms, Logger: log, ConfigPath: path, Listen: listen, Limiter: b.limiter, Version: version})
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("config: %w", err)}
	}
	go srv.PrefetchOIDC(ctx)
	ln, err := net.Listen("tcp", srv.State().Config.Server.Listen)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("listen: %w", err)}
	}
	scheme := "http"
	if cfg.Server.TLS != nil {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s/v1", scheme, ln.Addr())
	if dev {
		if err := devWelcome(ctx, cmd.OutOrStdout(), b, cfg, url); err != nil {
			ln.Close()
			return err
		}
	}
	if path != "" {
		if err := srv.WatchConfig(ctx); err != nil {
			log.Warn("config file changes will not be noticed; send SIGHUP to reload", "err", err)
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					srv.Reload()
				}
			}
		}()
	}
	if cfg.Server.TLS == nil && !isLoopback(ln.Addr()) {
		log.Warn("serving plain HTTP on a non-loopback address: API keys and prompts cross the network unencrypted; configure server.tls or listen on loopback behind a TLS-terminating proxy", "listen", ln.Addr().String())
	}
	log.Info("warden listening", "url", url, "version", version, "dev", dev)
	return srv.Serve(ctx, ln)
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
