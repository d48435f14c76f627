package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/wardenhq/warden/bench/loadgen"
)

// chatRequest is the body of every benchmark request: about 1 KiB of prompt,
// as in the measurements, with nothing a content policy acts on.
var chatRequest = []byte(`{"model":"bench-model","messages":[{"role":"system","content":"You are a concise assistant ` +
	`for an insurance company's claims team. Answer in plain English, cite the policy section when you rely on one, and ` +
	`say so when the documents do not answer the question."},{"role":"user","content":"A customer reports water damage ` +
	`in the kitchen after a pipe under the sink burst while they were on holiday for two weeks. The policy covers sudden ` +
	`and accidental escape of water, excludes gradual leaks and damage from lack of maintenance, and requires the home ` +
	`to be checked at least every seven days when unoccupied for longer than thirty days. The adjuster found corrosion on ` +
	`the pipe fitting and a dehumidifier log showing high humidity for months. The customer says the fitting was replaced ` +
	`last year by a plumber and has an invoice. Summarise the coverage question, list what else the adjuster should ask ` +
	`for, and draft two sentences the adjuster could send the customer explaining the next steps, without promising an ` +
	`outcome. Keep the whole answer under two hundred words."}],"max_tokens":256}`)

// streamRequest is chatRequest asking for a streamed answer.
var streamRequest = bytes.Replace(chatRequest, []byte(`"max_tokens":256}`), []byte(`"max_tokens":256,"stream":true}`), 1)

// target is one endpoint under test.
type target struct {
	name   string      // direct, floor, warden, ...
	label  string      // for the report
	url    string      // base URL
	key    string      // API key sent as a bearer token
	stream bool        // ask for streamed answers (and measure time to first byte)
	tls    *tls.Config // the generator's, for an https URL
	pid    int         // the process under test (0: none, as for direct)
}

// newClient returns a keep-alive client that never limits the generator:
// idle connections are kept for any plausible concurrency.
func newClient(timeout time.Duration, tc *tls.Config) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: loadgen.DefaultMaxInFlight,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			TLSClientConfig:     tc,
		},
	}
}

// body is the request body t sends.
func (t target) body() []byte {
	if t.stream {
		return streamRequest
	}
	return chatRequest
}

// requester returns a loadgen.Requester that posts the chat request to t
// and reads the whole response, noting when its first byte came.
func (t target) requester(client *http.Client) loadgen.Requester {
	url := t.url + "/v1/chat/completions"
	auth := "Bearer " + t.key
	body := t.body()
	return func(ctx context.Context) (int, time.Time, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return 0, time.Time{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			return 0, time.Time{}, err
		}
		defer resp.Body.Close()
		var one [1]byte
		if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
			return 0, time.Time{}, err
		}
		first := time.Now()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return 0, time.Time{}, err
		}
		return resp.StatusCode, first, nil
	}
}

// check sends one request to t and fails unless it is answered 200, so a
// misconfigured target is reported clearly instead of as a run of errors.
func (t target) check(ctx context.Context) error {
	client := newClient(10*time.Second, t.tls)
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/v1/chat/completions", bytes.NewReader(t.body()))
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
	client := newClient(timeout, t.tls)
	defer client.CloseIdleConnections()
	return loadgen.Run(ctx, cfg, t.requester(client))
}
