// Package upstream routes a request to the model server configured for its
// model and proxies it there: the model name is rewritten to the upstream's,
// the upstream's credential replaces the client's, streams are flushed as they
// arrive, and transport failures become 502 or 504 in OpenAI's error shape.
package upstream

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/protocol"
)

// Defaults for models[].upstream.timeout and idle_timeout.
const (
	DefaultTimeout     = 120 * time.Second // wait for the response headers
	DefaultIdleTimeout = 300 * time.Second // silence allowed once a response has started
)

// Route is one configured model and where it is served.
type Route struct {
	Name      string
	Version   string
	Digest    string
	Namespace string
	// Classification is the model's data classification ("" if none).
	Classification string
	Model          string // name the upstream expects
	Builtin        bool   // served in-process (the demo model)
	Address        string // the upstream's host[:port], for traces
	// API is what the upstream speaks (config.APIOpenAIChat or
	// config.APIAnthropic): the pipeline translates a chat completion for
	// an Anthropic upstream, and the proxy translates the answer back.
	API string
	// Size limits of one request (models[].limits; 0: none).
	MaxPromptTokens, MaxTokens int64

	h         http.Handler
	transport *http.Transport // nil for builtin models
}

// Table maps client-visible model names to routes. It is immutable.
type Table struct {
	byName map[string]*Route
	order  []*Route
}

// Lookup returns the route for a model name, or nil.
func (t *Table) Lookup(name string) *Route { return t.byName[name] }

// CloseIdleConnections closes the idle upstream connections of every route;
// the gateway calls it on the table a reload replaced. Requests in flight
// keep their connections.
func (t *Table) CloseIdleConnections() {
	for _, r := range t.order {
		if r.transport != nil {
			r.transport.CloseIdleConnections()
		}
	}
}

// Routes returns every route in config order.
func (t *Table) Routes() []*Route { return t.order }

// Build compiles validated models into a Table, resolving upstream
// credentials. transport is shared by all routes (nil: a default one).
func Build(models []config.Model, transport *http.Transport) (*Table, error) {
	if transport == nil {
		transport = NewTransport()
	}
	t := &Table{byName: make(map[string]*Route, len(models))}
	var errs []error
	for i, m := range models {
		r := &Route{Name: m.Name, Version: m.Version, Digest: m.Digest, Namespace: m.Namespace, Classification: m.Classification, Model: m.Upstream.Model,
			API:             cmp.Or(m.Upstream.API, config.APIOpenAIChat),
			MaxPromptTokens: m.Limits.MaxPromptTokens, MaxTokens: m.Limits.MaxTokens}
		if m.Builtin == "demo" {
			// The demo model is served in-process but through the same
			// proxy as every upstream, so its answers are inspected,
			// measured and audited the same way.
			r.Builtin, r.Model = true, m.Name
			r.h, _ = newProxy(config.Upstream{URL: demoURL}, handlerTransport{Demo{}}, DefaultIdleTimeout)
		} else {
			// A per-route transport copy carries the route's header timeout
			// while sharing nothing mutable; connection pools are per route.
			tr := transport.Clone()
			tr.ResponseHeaderTimeout = m.Upstream.Timeout.D(DefaultTimeout)
			h, err := newProxy(m.Upstream, tr, m.Upstream.IdleTimeout.D(DefaultIdleTimeout))
			if err != nil {
				errs = append(errs, fmt.Errorf("models[%d].upstream: %w", i, err))
				continue
			}
			r.h, r.transport = h, tr
			if u, err := url.Parse(m.Upstream.URL); err == nil {
				r.Address = u.Host
			}
		}
		t.byName[m.Name] = r
		t.order = append(t.order, r)
	}
	return t, errors.Join(errs...)
}

// NewTransport returns the HTTP transport used to reach upstreams.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Outcome is what happened upstream, filled in while forwarding.
type Outcome struct {
	Start   time.Time // request sent
	Headers time.Time // response headers received (zero if none)
	Status  int       // upstream status (0 if no response)
	Err     error     // transport failure, or ErrIdleTimeout
	Usage   *Usage    // token usage the upstream reported, if it did

	// TraceParent (set by the caller, with tracing on) replaces the
	// client's traceparent header toward the upstream: the upstream's
	// spans join the trace as children of Warden's call.
	TraceParent string

	// CollectText (set by the caller) measures the text a stream carries,
	// for streams whose upstream reports no usage: its length in bytes and
	// its first 4 KiB.
	CollectText    bool
	StreamedBytes  int64
	StreamedSample []byte

	// Release (set by the caller) is called once the response's outcome
	// is known and before any of it reaches the client: with the status
	// and error about to be sent and the response's headers. It returns
	// the audit index to announce ("" if none); an error withholds the
	// response (503 audit_unavailable, or for a stream no final [DONE]).
	Release func(status int, e *httperr.Error, h http.Header) (index string, err error)
	// Response is the released response's content, hashed per part (set
	// before Release is called): one "assistant" part per choice, or one
	// "embedding" part for an embeddings answer.
	Response []ResponsePart
	// Streaming is set once a stream's headers are about to go out while
	// its release (before its final [DONE]) is still to come.
	Streaming bool
	// Filter (set by the caller) applies the response content policy:
	// to a whole answer before its release, to a stream as it passes.
	// Blocked is set to the rule if one blocked the response.
	Filter  *content.Session
	Blocked string
	// Restore (set by the caller) puts the client's values back where the
	// request's pseudonymize action left placeholders: last, after the
	// response policy, the record's hash and Keep, which all see the
	// answer as the model gave it (placeholders, never the values).
	Restore *content.Pseudonyms
	// Keep (set by the caller) asks for the released response itself, in
	// Body: a non-stream answer as received, or a stream's text as
	// {"choices":[{"index":N,"text":"..."}]} (at most 4 MiB of text).
	Keep bool
	Body []byte

	cancel context.CancelCauseFunc // ends the upstream exchange
}

type outcomeKey struct{}

// ErrIdleTimeout: the upstream went silent for longer than its idle timeout
// after its response had started; the response was cut off.
var ErrIdleTimeout = errors.New("upstream idle timeout: the model server stopped sending")

// Forward sends body (already rewritten for the upstream) to the route's
// server and copies the response to w, recording what happened in o. It
// returns when the response, including a whole stream, has been copied or
// has failed; a response cut off midway panics with http.ErrAbortHandler,
// as net/http expects, with o already filled in.
func (rt *Route) Forward(w http.ResponseWriter, r *http.Request, body []byte, o *Outcome) {
	ctx, cancel := context.WithCancelCause(r.Context())
	o.Start, o.cancel = time.Now(), cancel
	defer func() {
		if c := context.Cause(ctx); errors.Is(c, ErrIdleTimeout) {
			o.Err = c
		}
		cancel(nil)
	}()
	r2 := r.WithContext(context.WithValue(ctx, outcomeKey{}, o))
	// No protocol upgrade (WebSocket, h2c): the proxy would forward a
	// client's Upgrade (an upstream that switched would tunnel past every
	// control), or refuse an unprintable one as if the upstream had failed,
	// quoting it in the error that the access log writes.
	r2.Header = r.Header.Clone()
	r2.Header.Del("Connection")
	r2.Header.Del("Upgrade")
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	rt.h.ServeHTTP(w, r2)
}

func outcomeOf(r *http.Request) *Outcome {
	if o, ok := r.Context().Value(outcomeKey{}).(*Outcome); ok {
		return o
	}
	return &Outcome{}
}

// clientCredentialHeaders never travel upstream.
var clientCredentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Api-Key", "X-Api-Key", "Openai-Organization", "Openai-Project"}

func newProxy(u config.Upstream, tr http.RoundTripper, idle time.Duration) (http.Handler, error) {
	base, err := url.Parse(u.URL)
	if err != nil {
		return nil, err
	}
	var bearer string
	if u.APIKey != "" {
		key, err := u.APIKey.Resolve()
		if err != nil {
			return nil, fmt.Errorf("api_key: %w", err)
		}
		bearer = "Bearer " + key
	}
	basePath := strings.TrimSuffix(base.Path, "/")
	anthropic := u.API == config.APIAnthropic
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			out.URL.Scheme, out.URL.Host = base.Scheme, base.Host
			out.URL.Path = basePath + strings.TrimPrefix(pr.In.URL.Path, "/v1")
			if anthropic {
				// The pipeline translated the chat completion into a message.
				out.URL.Path = basePath + "/messages"
			}
			out.URL.RawPath = ""
			out.URL.RawQuery = base.RawQuery // the upstream's (e.g. api-version), never the client's
			out.Host = base.Host
			for _, h := range clientCredentialHeaders {
				out.Header.Del(h)
			}
			out.Header.Del("Accept-Encoding")  // let the transport negotiate and decompress
			out.Header.Del("Content-Encoding") // the body sent is the identity-encoded one Warden read
			out.Header.Del("Expect")           // the body is already in hand
			out.Header.Set("Content-Type", "application/json")
			switch {
			case anthropic:
				out.Header.Set("Anthropic-Version", protocol.AnthropicVersion)
				if bearer != "" {
					out.Header.Set("X-Api-Key", strings.TrimPrefix(bearer, "Bearer "))
				}
			case bearer != "":
				out.Header.Set("Authorization", bearer)
			}
			o := outcomeOf(pr.In)
			if o.TraceParent != "" {
				out.Header.Set("Traceparent", o.TraceParent)
			}
			o.Start = time.Now()
		},
		Transport:     noInformational{tr},
		FlushInterval: -1,
		BufferPool:    copyBuffers,
		ModifyResponse: func(res *http.Response) error {
			o := outcomeOf(res.Request)
			o.Headers, o.Status = time.Now(), res.StatusCode
			if o.cancel != nil {
				res.Body = newIdleBody(res.Body, idle, func() { o.cancel(ErrIdleTimeout) })
			}
			if res.StatusCode < 200 {
				// A final 1xx is 101 Switching Protocols: the connection
				// would become a tunnel nothing in Warden reads. Warden
				// never asks for one (Forward drops the client's Upgrade),
				// so it is refused, before it is recorded as an answer.
				res.Body.Close()
				return errUpstreamSwitch
			}
			if !identityEncoded(res.Header) || !utf8Charset(res.Header) {
				// Not gzip the transport asked for and undid: an encoding
				// nothing in Warden reads (filters, usage, the audit hash,
				// the comment scrubber), which the client would decode.
				res.Body.Close()
				return errUpstreamEncoding
			}
			res.Body = newCommentScrubber(res.Body) // before anything reads it: forgery.go
			if anthropic {
				anthropicAnswer(res)
			}
			// What is relayed is no longer the upstream's body byte for
			// byte (comments emptied, a stream's text filtered, the audit
			// comment added): its length is known only for an answer read
			// whole (release sets it then).
			res.ContentLength = -1
			res.Header.Del("Content-Length")
			if res.StatusCode == http.StatusOK {
				if o.Filter != nil && isEventStream(res.Header) {
					res.Body = newFilterStream(res.Body, o)
				}
				res.Body = newUsageReader(res.Body, res.Header.Get("Content-Type"), o, func(u *Usage) { o.Usage = u })
			}
			scrubResponseHeaders(res.Header)
			scrubResponseHeaders(res.Trailer) // the announced ones; the rest at the body's end
			switch {
			case res.StatusCode >= 500:
				res.Body.Close()
				return errUpstreamStatus
			case res.StatusCode/100 == 3:
				// Relayed, a redirect would send the client (whose SDK
				// may follow it with the request as it sent it, before
				// any redaction) past Warden, wherever the upstream says.
				res.Body.Close()
				return errUpstreamRedirect
			case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden ||
				res.StatusCode == http.StatusProxyAuthRequired:
				// The upstream refused Warden's credential, not the client's;
				// its message may quote part of that credential.
				res.Body.Close()
				return fmt.Errorf("%w (HTTP %d)", errUpstreamAuth, res.StatusCode)
			}
			if err := release(res, o); err != nil {
				return err
			}
			if o.Restore.Len() > 0 && res.StatusCode == http.StatusOK && isEventStream(res.Header) {
				res.Body = newRestoreStream(res.Body, o.Restore)
			}
			res.Body = &trailerScrubber{ReadCloser: res.Body, res: res}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			o := outcomeOf(r)
			var be *BlockedError
			if o.Err == nil && !errors.Is(err, ErrAuditUnavailable) && !errors.As(err, &be) {
				o.Err = err
			}
			if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
				return // the client went away; nobody to answer
			}
			e := ErrorFor(err)
			if o.Release != nil {
				if _, rerr := o.Release(e.Status, e, w.Header()); rerr != nil {
					e = ErrorFor(ErrAuditUnavailable)
				}
			}
			httperr.Write(w, e)
		},
		ErrorLog: discardLog,
	}, nil
}

// copyBuffers recycles the 32 KiB buffers ReverseProxy copies responses
// through, instead of allocating (and zeroing) one per request.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return *p.pool.Get().(*[]byte) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

var (
	errUpstreamStatus = errors.New("upstream answered with a server error")
	errUpstreamAuth   = errors.New("upstream refused warden's credential")
	// errUpstreamEncoding: a response in a Content-Encoding Warden did not
	// ask for, which it cannot inspect.
	errUpstreamEncoding = errors.New("upstream answered in an unrequested content encoding")
	// errUpstreamSwitch: a 101 Switching Protocols, which Warden never asks for.
	errUpstreamSwitch = errors.New("upstream tried to switch protocols")
	// errUpstreamRedirect: a 3xx, which Warden does not relay.
	errUpstreamRedirect = errors.New("upstream answered with a redirect")
)

// utf8Charset reports whether h's Content-Type names no charset but UTF-8
// (or its subset US-ASCII), the only one Warden's filters, hashes and
// comment scrubber read: a client that honours "charset=utf-16" would
// decode what none of them saw. (SSE is UTF-8 whatever it says; OpenAI's
// JSON is UTF-8.)
func utf8Charset(h http.Header) bool {
	for _, v := range h.Values("Content-Type") {
		_, params, err := mime.ParseMediaType(v)
		if err != nil {
			if strings.Contains(strings.ToLower(v), "charset") {
				return false // a lenient client may read one
			}
			continue
		}
		switch strings.ToLower(params["charset"]) {
		case "", "utf-8", "utf8", "us-ascii":
		default:
			return false
		}
	}
	return true
}

// identityEncoded reports whether h names no content encoding but identity
// in any of its Content-Encoding fields: every field counts (a client
// decodes "Content-Encoding: identity" then "Content-Encoding: gzip" as
// gzip), and each comma-separated coding in it.
func identityEncoded(h http.Header) bool {
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				return false
			}
		}
	}
	return true
}

// scrubResponseHeaders removes what the upstream says that is not the
// client's business or would contradict Warden: cookies, its account
// identifiers, its rate-limit headers (Warden sends its own), and anything
// posing as Warden's (X-Warden-*). The upstream's request id is kept under
// another name, for support cases. Trailers are scrubbed alike (forgery.go):
// a client may read them as headers.
func scrubResponseHeaders(h http.Header) {
	scrubWardenHeaders(h)
	var ids []string
	for k, v := range h {
		// Names as a client may read them: any case, '_' for '-'
		// (X_Request_Id), as isWardenHeader matches.
		switch n := strings.ReplaceAll(strings.ToLower(k), "_", "-"); {
		case n == "x-request-id":
			// Even valueless: an announced trailer would carry Warden's own.
			ids = append(ids, v...)
			delete(h, k)
		case n == "set-cookie" || n == "openai-organization" || n == "openai-project" ||
			strings.HasPrefix(n, "x-ratelimit-"):
			delete(h, k)
		}
	}
	if len(ids) > 0 && ids[0] != "" {
		h.Set("X-Upstream-Request-Id", ids[0])
	}
}

// ErrorFor maps a forwarding failure to the client's error.
func ErrorFor(err error) *httperr.Error {
	var ne net.Error
	var be *BlockedError
	switch {
	case errors.As(err, &be):
		return blockedError(be.Rule)
	case errors.Is(err, ErrAuditUnavailable):
		e := httperr.Wrap(http.StatusServiceUnavailable, "audit_unavailable", "the audit log cannot record requests; try again shortly", err)
		e.RetryAfter = 1
		return e
	case errors.Is(err, errUpstreamAuth):
		return httperr.Wrap(http.StatusBadGateway, "upstream_auth_failed", "the model server refused the gateway's credentials", err)
	case errors.Is(err, errUpstreamEncoding) || errors.Is(err, errUpstreamSwitch) || errors.Is(err, errUpstreamRedirect):
		return httperr.Wrap(http.StatusBadGateway, "upstream_error", "the model server sent a response the gateway cannot read", err)
	case errors.Is(err, errUpstreamStatus):
		return httperr.Wrap(http.StatusBadGateway, "upstream_error", "the model server returned an error", err)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return httperr.Wrap(http.StatusGatewayTimeout, "upstream_timeout", "the model server did not answer in time", err)
	default:
		return httperr.Wrap(http.StatusBadGateway, "upstream_unavailable", "the model server is unavailable", err)
	}
}

// maxTranslated bounds a whole answer read to be translated.
const maxTranslated = 64 << 20

// anthropicAnswer makes an Anthropic upstream's answer read as a Chat
// Completions one: a stream event by event, a message or an error whole.
func anthropicAnswer(res *http.Response) {
	switch {
	case res.StatusCode == http.StatusOK && isEventStream(res.Header):
		res.Body = protocol.FromAnthropicStream(res.Body, time.Now())
	case res.StatusCode == http.StatusOK:
		res.Body = &translated{src: res.Body, f: func(b []byte) ([]byte, error) { return protocol.FromAnthropicAnswer(b, time.Now()) }}
		res.Header.Set("Content-Type", "application/json")
	default:
		if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			res.Body = &translated{src: res.Body, f: func(b []byte) ([]byte, error) { return protocol.FromAnthropicError(b), nil }}
		}
	}
}

// translated is a body read whole and translated on its first read.
type translated struct {
	src  io.ReadCloser
	f    func([]byte) ([]byte, error)
	out  *bytes.Reader
	fail error
}

func (t *translated) Read(p []byte) (int, error) {
	if t.out == nil && t.fail == nil {
		b, err := io.ReadAll(io.LimitReader(t.src, maxTranslated+1))
		switch {
		case err != nil:
			t.fail = err
		case len(b) > maxTranslated:
			t.fail = errors.New("the upstream's answer is too large to translate")
		default:
			out, err := t.f(b)
			if err != nil {
				t.fail = err
			} else {
				t.out = bytes.NewReader(out)
			}
		}
	}
	if t.fail != nil {
		return 0, t.fail
	}
	return t.out.Read(p)
}

func (t *translated) Close() error { return t.src.Close() }
