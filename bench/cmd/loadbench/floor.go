package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// floorProxy is the latency floor of any Go gateway: a bare
// httputil.ReverseProxy to upstream with a keep-alive pool large enough for
// the benchmark's concurrency and nothing else.
func floorProxy(upstream *url.URL) http.Handler {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 1024
	return &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(upstream) },
		Transport: tr,
	}
}

// runFloor implements "loadbench floor": it serves floorProxy.
func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen `address`")
	upstream := fs.String("upstream", "", "upstream base `URL`")
	certFile := fs.String("tls-cert", "", "serve TLS with this certificate `file` (and -tls-key)")
	keyFile := fs.String("tls-key", "", "the certificate's key `file`")
	fs.Parse(args)
	u, err := url.Parse(*upstream)
	if err != nil || u.Host == "" {
		return fmt.Errorf("floor: bad -upstream %q", *upstream)
	}
	var tc *tls.Config
	if *certFile != "" {
		if tc, err = serverConfig(*certFile, *keyFile); err != nil {
			return fmt.Errorf("floor: %w", err)
		}
	}
	return serve(*listen, floorProxy(u), tc)
}
