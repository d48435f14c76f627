// Package notify tells people about things that need them (an approval
// waiting, an alert firing) through webhooks: Slack-compatible JSON, or a
// generic JSON body signed with HMAC-SHA256. Sending never blocks the
// caller: each target has its own queue and goroutine, retries with
// exponential backoff, and drops (and logs) what it cannot keep up with.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Target is where notifications go.
type Target struct {
	Name   string
	Type   string // "slack" or "webhook"
	URL    string
	Secret []byte // webhook: the HMAC key of X-Warden-Signature
}

// Event is one notification.
type Event struct {
	Kind   string            // "approval.requested", "alert.firing", ...
	Title  string            // one line for people
	Fields map[string]string // details (never secrets or content)
	Time   time.Time
}

// SignatureHeader carries a webhook's signature: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" under the target's secret>".
const SignatureHeader = "X-Warden-Signature"

// Sign returns the signature header value of body at t under secret.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body and secret, accepting
// signatures at most maxAge old (receivers use it; so do the tests).
func Verify(secret, body []byte, header string, now time.Time, maxAge time.Duration) bool {
	if len(secret) == 0 {
		return false // anyone can compute an HMAC under an empty key
	}
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)) > maxAge || time.Unix(sec, 0).Sub(now) > maxAge {
		return false
	}
	want := Sign(secret, body, time.Unix(sec, 0))
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}

// Notifier sends events to its targets.
type Notifier struct {
	queues []*queue
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

type queue struct {
	t    Target
	ch   chan Event
	log  *slog.Logger
	c    *http.Client
	opts Options
}

// Options tune a Notifier; zero values take defaults.
type Options struct {
	Client   *http.Client
	Logger   *slog.Logger
	Queue    int           // events waiting per target (default 256)
	Attempts int           // tries per event (default 6)
	Backoff  time.Duration // before the second try; doubles up to 30s (default 1s)
	// Sent is called after each event is delivered or given up (tests,
	// metrics).
	Sent func(target string, ok bool)
}

// New starts a notifier for targets; Close stops it.
func New(targets []Target, o Options) *Notifier {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{cancel: cancel}
	for _, t := range targets {
		q := &queue{t: t, ch: make(chan Event, o.Queue), log: o.Logger, c: o.Client, opts: o}
		n.queues = append(n.queues, q)
		n.wg.Add(1)
		go func() { defer n.wg.Done(); q.run(ctx) }()
	}
	return n
}

// Send queues ev for every target; it never blocks. A full queue drops ev
// for that target (logged).
func (n *Notifier) Send(ev Event) {
	if n == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	for _, q := range n.queues {
		select {
		case q.ch <- ev:
		default:
			q.log.Warn("notification dropped: the queue is full", "target", q.t.Name, "kind", ev.Kind)
			if q.opts.Sent != nil {
				q.opts.Sent(q.t.Name, false)
			}
		}
	}
}

// Close stops sending; queued events are dropped.
func (n *Notifier) Close() {
	if n == nil {
		return
	}
	n.cancel()
	n.wg.Wait()
}

func (q *queue) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-q.ch:
			ok := q.deliver(ctx, ev)
			if q.opts.Sent != nil {
				q.opts.Sent(q.t.Name, ok)
			}
		}
	}
}

// deliver sends ev, retrying with backoff; false if it gave up.
func (q *queue) deliver(ctx context.Context, ev Event) bool {
	body := q.body(ev)
	wait := q.opts.Backoff
	for attempt := 1; ; attempt++ {
		err := q.post(ctx, body)
		if err == nil {
			return true
		}
		if attempt >= q.opts.Attempts || ctx.Err() != nil {
			q.log.Error("notification not delivered", "target", q.t.Name, "kind", ev.Kind, "attempts", attempt, "err", err)
			return false
		}
		q.log.Warn("notification failed; retrying", "target", q.t.Name, "kind", ev.Kind, "attempt", attempt, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (q *queue) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.t.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", q.t.Name, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warden-notify/1")
	if q.t.Type == "webhook" && len(q.t.Secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(q.t.Secret, body, time.Now()))
	}
	res, err := q.c.Do(req)
	if err != nil {
		// The URL may hold a secret (Slack's do): name the target only.
		return fmt.Errorf("%s: %w", q.t.Name, stripURL(err))
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s: HTTP %d", q.t.Name, res.StatusCode)
	}
	return nil
}

// body is the JSON sent: Slack's {"text": ...}, or the generic event.
func (q *queue) body(ev Event) []byte {
	keys := make([]string, 0, len(ev.Fields))
	for k := range ev.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if q.t.Type == "slack" {
		var b strings.Builder
		b.WriteString(slackText(ev.Title))
		for _, k := range keys {
			fmt.Fprintf(&b, "\n*%s*: %s", k, slackText(ev.Fields[k]))
		}
		out, _ := json.Marshal(map[string]string{"text": b.String()})
		return out
	}
	fields := ev.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	out, _ := json.Marshal(map[string]any{"kind": ev.Kind, "title": ev.Title, "time": ev.Time.UTC().Format(time.RFC3339Nano), "fields": fields})
	return out
}

// slackText makes a value plain text in a Slack message: &, < and > are
// escaped as Slack requires (so a prompt cannot write <!channel> or a
// link), and line breaks become spaces (so it cannot start a field of its
// own).
var slackText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ", "\r", " ").Replace

// stripURL drops the URL from a transport error, which may hold a secret.
func stripURL(err error) error {
	type urlErr interface{ Unwrap() error }
	if u, ok := err.(urlErr); ok && strings.Contains(err.Error(), "://") {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
