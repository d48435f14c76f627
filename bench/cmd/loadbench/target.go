package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/wardenhq/warden/bench/loadgen"
)

// chatRequest is the body of every benchmark request.
var chatRequest = []byte(`{"model":"bench-model","messages":[{"role":"user",` +
	`"content":"Say hello in one short sentence."}],"max_tokens":16}`)

// target is one endpoint under test.
type target struct {
	name  string // direct, floor or warden
	label string // for the report
	url   string // base URL
	key   string // API key sent as a bearer token
}

// newClient returns a keep-alive client that never limits the generator:
// idle connections are kept for any plausible concurrency.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: loadgen.DefaultMaxInFlight,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// requester returns a loadgen.Requester that posts chatRequest to t and
// reads the whole response.
func (t target) requester(client *http.Client) loadgen.Requester {
	url := t.url + "/v1/chat/completions"
	auth := "Bearer " + t.key
	return func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(chatRequest))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return 0, err
		}
		return resp.StatusCode, nil
	}
}

// check sends one request to t and fails unless it is answered 200, so a
// misconfigured target is reported clearly instead of as a run of errors.
func (t target) check(ctx context.Context) error {
	client := newClient(10 * time.Second)
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/v1/chat/completions", bytes.NewReader(chatRequest))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.key)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: POST /v1/chat/completions: %s: %s", t.name, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// measure runs cfg against t with a fresh client, so that no connection
// state carries over between runs.
func (t target) measure(ctx context.Context, cfg loadgen.Config, timeout time.Duration) loadgen.Result {
	client := newClient(timeout)
	defer client.CloseIdleConnections()
	return loadgen.Run(ctx, cfg, t.requester(client))
}
