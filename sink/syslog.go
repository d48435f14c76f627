package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Syslog sends events as RFC 5424 messages over TCP (RFC 6587) or TLS
// (RFC 5425), framed by octet counting: "<length> <message>". Each message
// is <110>1 (facility log audit, severity informational), the record's
// time, the host, app "warden", MSGID "audit" or "checkpoint", structured
// data [warden@32473 index="N" origin="..."] to de-duplicate by, and the
// event as JSON. A connection that fails is dialled again, and the batch
// sent again whole.
type Syslog struct {
	SinkName string
	Address  string      // host:port
	TLS      *tls.Config // nil: plain TCP
	Hostname string      // default os.Hostname
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error)

	mu   sync.Mutex
	conn net.Conn
}

func (s *Syslog) Name() string { return s.SinkName }

func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

func (s *Syslog) Send(ctx context.Context, events []Event) error {
	host := s.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	host = sdSafe(host, 255)
	var b bytes.Buffer
	for _, e := range events {
		msgid := "audit"
		if e.Kind == "checkpoint" {
			msgid = "checkpoint"
		}
		msg := fmt.Sprintf("<110>1 %s %s warden %d %s [warden@32473 index=\"%d\" origin=\"%s\"] \ufeff%s",
			e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), host, os.Getpid(), msgid, e.Index, sdEscape(e.Origin), bytes.TrimSpace(e.Body))
		b.WriteString(strconv.Itoa(len(msg)))
		b.WriteByte(' ')
		b.WriteString(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !alive(s.conn) {
		s.conn.Close()
		s.conn = nil
	}
	if s.conn == nil {
		c, err := s.dial(ctx)
		if err != nil {
			return err
		}
		s.conn = c
	}
	if d, ok := ctx.Deadline(); ok {
		s.conn.SetWriteDeadline(d)
	} else {
		s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	}
	if _, err := s.conn.Write(b.Bytes()); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// alive reports whether a connection kept from an earlier batch still
// stands. A collector never writes to it, so a read that does not time out
// at once says it was closed (the collector restarted): a write to it
// would still succeed, into the void, and the batch be counted delivered.
// This narrows that window to the time a batch is in flight; it does not
// close it (syslog has no acknowledgement: RELP has, and is not spoken).
func alive(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var one [1]byte
	_, err := c.Read(one[:])
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *Syslog) dial(ctx context.Context) (net.Conn, error) {
	dial := s.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	c, err := dial(ctx, "tcp", s.Address)
	if err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	if s.TLS == nil {
		return c, nil
	}
	tc := tls.Client(c, s.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("syslog: TLS: %w", err)
	}
	return tc, nil
}

// sdEscape escapes a structured-data parameter value (RFC 5424 6.3.3).
func sdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

// sdSafe keeps a header field to printable ASCII without spaces.
func sdSafe(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}
