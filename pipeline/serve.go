package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/internal/httperr"
	"github.com/wardenhq/warden/telemetry"
)

// Observer sees every exchange once it is over, whatever its outcome: the
// gateway's metrics and access log are observers. The audit record is not
// left to one: Serve commits it itself as the response is released
// (audit.go), or at the latest before the observer runs.
type Observer func(x *Exchange)

// Serve adapts a Handler to net/http: it starts the Exchange (id — the
// X-Request-Id already set on w by an outer handler, or a new one — clock,
// client address, the current Env), runs h, answers a returned error in
// OpenAI's shape unless a response was already started, and reports the
// exchange to observe.
func Serve(env func() *Env, ep Endpoint, h Handler, observe Observer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := env()
		x := &Exchange{ID: w.Header().Get("X-Request-Id"), Start: time.Now(), Env: e, Endpoint: ep}
		if x.ID == "" {
			x.ID = NewRequestID()
			w.Header().Set("X-Request-Id", x.ID)
		}
		if e.Audit != nil {
			x.AuditID = auditlog.NewID(x.Start)
			if !ep.Unaudited {
				w.Header().Set("X-Warden-Audit-Id", x.AuditID)
			}
		}
		x.ClientIP = ClientIP(r, e.TrustedProxies)
		if e.Tracing {
			if parent, ok := telemetry.ParseTraceparent(r.Header.Get("Traceparent")); ok {
				x.Trace, x.TraceParent = parent.Child(), parent.SpanID
			} else {
				x.Trace = telemetry.NewRoot()
			}
		}
		x.target = routeTarget(r)
		if ep.Protocol != "" {
			x.protocol = &protocolWriter{ResponseWriter: w, proto: ep.Protocol}
			w = x.protocol
		}
		sw := newStatusWriter(w, x.ID, e.WriteStall)
		// A response the handler writes itself is released here, at its
		// first byte, unless it was released already.
		sw.release = func(status int, h http.Header) error {
			if x.Upstream != nil && x.Upstream.Streaming {
				return nil // released before the stream's final [DONE]
			}
			_, err := x.release(r.Context(), status, nil, h)
			return err
		}
		// Observe whatever happens, including a response aborted midway (a
		// stream cut by the client or the upstream panics with
		// http.ErrAbortHandler): no exchange goes unrecorded.
		defer func() {
			p := recover()
			x.Aborted = p != nil
			x.Status = sw.status
			x.ClientGone = sw.writeErr != nil || r.Context().Err() != nil
			if !x.released {
				// Never released (client gone, stream cut, panic): the
				// record says what happened, after the fact.
				x.release(r.Context(), x.Status, nil, nil)
			}
			sw.finish()
			if x.protocol != nil {
				x.protocol.finish()
			}
			if observe != nil {
				observe(x)
			}
			if p != nil {
				panic(p)
			}
		}()
		if err := h(sw, r, x); err != nil {
			x.Err = httperr.From(err)
			if sw.status == 0 {
				// A refusal stays a refusal even if its record fails.
				x.release(r.Context(), x.Err.Status, x.Err, sw.Header())
				httperr.Write(sw, x.Err)
			}
		}
	})
}

// routeTarget returns what the request's route names as its object — the
// value of the last single-segment wildcard of the pattern it matched
// (the {id} of /admin/v1/keys/{id}/revoke) — sanitised for a record: at
// most maxTarget bytes of [A-Za-z0-9._:-], any other byte written as '?'.
// "" when the route names none.
func routeTarget(r *http.Request) string {
	name := ""
	for rest := r.Pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		if w := rest[i+1 : i+j]; !strings.HasSuffix(w, "...") && w != "$" {
			name = w
		}
		rest = rest[i+j+1:]
	}
	if name == "" {
		return ""
	}
	return sanitizeTarget(r.PathValue(name))
}

const maxTarget = 64

func sanitizeTarget(v string) string {
	b := []byte(v[:min(len(v), maxTarget)])
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			b[i] = '?'
		}
	}
	return string(b)
}

// NewRequestID returns a random request id.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// ClientIP is the request's client address: the socket peer, unless the peer
// is a trusted proxy, in which case the rightmost X-Forwarded-For hop that is
// not itself a trusted proxy. Headers from untrusted peers are ignored. A
// malformed hop from a trusted proxy gives the invalid address, which no
// allowlist contains.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := addrOf(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, ok := parseHop(strings.TrimSpace(parts[j]))
			if !ok {
				// A hop a trusted proxy wrote but nobody can read: the
				// client is unknown, and no allowlist should admit it.
				return netip.Addr{}
			}
			a = a.Unmap()
			if !isTrusted(a, trusted) {
				return a
			}
			peer = a
		}
	}
	return peer
}

// parseHop reads one X-Forwarded-For entry: an address, or an address with
// a port as some proxies write it ("203.0.113.7:4711", "[2001:db8::1]:80").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

func addrOf(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
