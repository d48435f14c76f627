package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wardenhq/warden/config"
)

// Listener defaults; see config.Timeouts.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultWriteStall        = 60 * time.Second
	usageFlushInterval       = 30 * time.Second
)

// TLSConfig builds the listener's TLS configuration, or nil for plain HTTP.
func TLSConfig(t *config.TLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	tc := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if t.MinVersion == "1.2" {
		tc.MinVersion = tls.VersionTLS12
	}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("tls: client_ca_file holds no PEM certificate")
		}
		tc.ClientCAs = pool
	}
	switch t.ClientAuth {
	case "request":
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	case "require":
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// RetentionInterval is how often serve purges what is past retention.
const RetentionInterval = time.Hour

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests and streams finish up to the shutdown
// timeout, closes what remains, and flushes key usage.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	cfg := s.State().Config
	tc := s.tls
	to := cfg.Server.Timeouts
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: to.ReadHeader.D(DefaultReadHeaderTimeout),
		ReadTimeout:       to.Read.D(DefaultReadTimeout),
		IdleTimeout:       to.Idle.D(DefaultIdleTimeout),
		// No WriteTimeout: it would cut long streams; upstream time is bounded per model.
		MaxHeaderBytes: 64 << 10,
		TLSConfig:      tc,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(tc != nil)
	srv.Protocols = &protos
	// OPTIONS * reaches the handler (router), which answers and records it
	// like any request no route takes.
	srv.DisableGeneralOptionsHandler = true

	if addr := cfg.Server.MetricsListen; addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: s.metricsHandler(), ReadHeaderTimeout: DefaultReadHeaderTimeout}
		go msrv.Serve(mln)
		defer msrv.Close()
		s.log.Info("metrics listening", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	go s.flushUsageLoop(loopCtx)
	defer s.flushUsageFinal()
	// Runs after the listener has drained: the records of every answered
	// request are resolved, checkpointed and indexed before Serve returns.
	defer s.closeAudit()
	defer s.notifier.Close()
	defer func() {
		for _, c := range s.closers {
			c()
		}
	}()
	go s.alertLoop(loopCtx)
	s.runSinks(loopCtx)
	defer func() {
		for _, sh := range s.shippers {
			sh.Sink.Close()
		}
	}()
	defer s.deps.Writer.Close()                     // after the listener drained: every kept payload is written
	go s.indexer.Run(loopCtx, 100*time.Millisecond) // small, frequent batches: no long CPU bursts
	go s.retentionLoop(loopCtx, RetentionInterval)
	errc := make(chan error, 1)
	go func() {
		if tc != nil {
			ln = tls.NewListener(ln, tc)
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := to.Shutdown.D(DefaultShutdownTimeout)
	s.log.Info("shutting down: draining in-flight requests", "deadline", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown deadline passed; closing remaining connections")
		err = srv.Close()
	}
	return err
}

// flushUsageFinal writes the last batch of key usage times on the way out.
func (s *Server) flushUsageFinal() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.FlushUsage(ctx); err != nil {
		s.log.Warn("could not record key usage times", "err", err)
	}
}

func (s *Server) flushUsageLoop(ctx context.Context) {
	t := time.NewTicker(usageFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil {
				s.log.Warn("could not record key usage times", "err", err)
			}
		}
	}
}
