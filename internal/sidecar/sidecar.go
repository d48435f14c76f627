// Package sidecar posts JSON to a service Warden consults on the data path
// (an external analyzer, an injection guard) and reads its answer, bounded
// in time and size. It follows no redirect (that would send the texts
// somewhere not configured), and its errors say what went wrong without
// the texts or the answer.
package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Client posts to one service.
type Client struct {
	name    string // for errors: "guard NAME", "presidio NAME"
	timeout time.Duration
	max     int // bytes of an answer read
	http    *http.Client
}

// New returns a client named name (for its errors) that waits at most
// timeout per call and reads at most max bytes of an answer; tr nil means
// a transport of its own.
func New(name string, timeout time.Duration, max int, tr http.RoundTripper) *Client {
	if tr == nil {
		tr = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	return &Client{name: name, timeout: timeout, max: max, http: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Post sends body to url with Content-Type application/json and the
// given headers, and returns the answer: status 200 and at most max bytes.
func (c *Client) Post(ctx context.Context, url string, header http.Header, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: no answer within %s", c.name, c.timeout)
		}
		return nil, fmt.Errorf("%s: unreachable", c.name)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, fmt.Errorf("%s: status %d", c.name, res.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, int64(c.max)+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: no answer within %s", c.name, c.timeout)
		}
		return nil, fmt.Errorf("%s: the answer was cut off", c.name)
	}
	if len(raw) > c.max {
		return nil, fmt.Errorf("%s: the answer is over %d bytes", c.name, c.max)
	}
	return raw, nil
}
