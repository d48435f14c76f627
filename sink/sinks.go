package sink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/notify"
)

// maxAnswer bounds a receiver's answer that is read.
const maxAnswer = 8 << 20

// httpPost sends body and reads the answer (at most maxAnswer). Redirects
// are not followed: a client following a 302 would GET the new address
// without the body, and its 200 (a login page, say) would pass for a
// delivery. The caller treats any 3xx as a failure.
func httpPost(ctx context.Context, c *http.Client, url string, body []byte, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, stripURL(err) // the URL may hold a password
	}
	for k, v := range header {
		req.Header[k] = v
	}
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := nc.Do(req)
	if err != nil {
		return 0, nil, stripURL(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	return res.StatusCode, b, nil
}

// stripURL drops the URL from a transport error (it may hold a token).
func stripURL(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && strings.Contains(err.Error(), "://") {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func client(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// SplunkHEC sends events to Splunk's HTTP Event Collector
// (/services/collector/event): one JSON object per event in one request,
// "Authorization: Splunk <token>". The record is the event; the leaf index
// and origin are indexed fields (warden_index, warden_origin) to
// de-duplicate by.
type SplunkHEC struct {
	SinkName   string
	URL        string // https://splunk:8088/services/collector/event
	Token      string
	Index      string // the Splunk index ("" for the token's default)
	SourceType string // default warden:audit
	Client     *http.Client
	// Ack waits for indexer acknowledgement (the token must have it on):
	// a batch counts as shipped only once Splunk says it is indexed.
	Ack        bool
	AckTimeout time.Duration // default 2m
	Channel    string        // X-Splunk-Request-Channel (default: a random GUID)
}

func (s *SplunkHEC) Name() string { return s.SinkName }
func (s *SplunkHEC) Close() error { return nil }

func (s *SplunkHEC) Send(ctx context.Context, events []Event) error {
	st := s.SourceType
	if st == "" {
		st = "warden:audit"
	}
	var body bytes.Buffer
	for _, e := range events {
		ev := map[string]any{"time": float64(e.Time.UnixMilli()) / 1000, "source": "warden", "sourcetype": st,
			"event": json.RawMessage(e.Body), "fields": map[string]any{"warden_index": e.Index, "warden_origin": e.Origin, "warden_kind": e.Kind}}
		if s.Index != "" {
			ev["index"] = s.Index
		}
		b, _ := json.Marshal(ev)
		body.Write(b)
		body.WriteByte('\n')
	}
	h := http.Header{"Authorization": {"Splunk " + s.Token}, "Content-Type": {"application/json"}}
	if s.Ack {
		if s.Channel == "" {
			s.Channel = newGUID()
		}
		h.Set("X-Splunk-Request-Channel", s.Channel)
	}
	status, resp, err := httpPost(ctx, client(s.Client), s.URL, body.Bytes(), h)
	if err != nil {
		return err
	}
	var ack struct {
		Text  string `json:"text"`
		Code  int    `json:"code"`
		AckID *int64 `json:"ackId"`
	}
	if json.Unmarshal(resp, &ack) != nil && status == http.StatusOK {
		// Not HEC's answer (a proxy's page): nothing says it was taken.
		return fmt.Errorf("splunk HEC: HTTP 200 without HEC's JSON answer")
	}
	if status != http.StatusOK || ack.Code != 0 {
		return fmt.Errorf("splunk HEC: HTTP %d, code %d: %s", status, ack.Code, ack.Text)
	}
	if !s.Ack {
		return nil
	}
	if ack.AckID == nil {
		return fmt.Errorf("splunk HEC: no ackId: is indexer acknowledgement on for the token?")
	}
	return s.awaitAck(ctx, *ack.AckID, h)
}

// awaitAck polls /services/collector/ack until Splunk says the batch is
// indexed, or the timeout (then the batch is sent again).
func (s *SplunkHEC) awaitAck(ctx context.Context, id int64, h http.Header) error {
	ackURL := strings.TrimSuffix(s.URL, "/event") + "/ack"
	if !strings.HasSuffix(s.URL, "/event") {
		ackURL = strings.TrimSuffix(s.URL, "/") + "/ack"
	}
	timeout := s.AckTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	body, _ := json.Marshal(map[string]any{"acks": []int64{id}})
	wait := 100 * time.Millisecond
	for {
		status, resp, err := httpPost(ctx, client(s.Client), ackURL, body, h)
		if err == nil && status == http.StatusOK {
			var r struct {
				Acks map[string]bool `json:"acks"`
			}
			if json.Unmarshal(resp, &r) == nil && r.Acks[strconv.FormatInt(id, 10)] {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("splunk HEC: batch %d not acknowledged within %s", id, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Elasticsearch indexes events with the _bulk API (Elasticsearch and
// OpenSearch): one "index" action per event with _id "<origin>/<index>",
// so a batch sent again overwrites rather than duplicates. Items that fail
// fail the batch (it is sent again whole; indexing is idempotent).
type Elasticsearch struct {
	SinkName string
	URL      string // https://es:9200
	Index    string // the index (default warden-audit)
	APIKey   string // "Authorization: ApiKey <key>", or
	Username string // basic auth
	Password string
	Client   *http.Client
}

func (s *Elasticsearch) Name() string { return s.SinkName }
func (s *Elasticsearch) Close() error { return nil }

func (s *Elasticsearch) Send(ctx context.Context, events []Event) error {
	index := s.Index
	if index == "" {
		index = "warden-audit"
	}
	var body bytes.Buffer
	for _, e := range events {
		id := e.Origin + "/" + strconv.FormatUint(e.Index, 10)
		if e.Kind == "checkpoint" {
			id = e.Origin + "/checkpoint/" + strconv.FormatUint(e.Index, 10)
		}
		action, _ := json.Marshal(map[string]any{"index": map[string]string{"_index": index, "_id": id}})
		body.Write(action)
		body.WriteByte('\n')
		body.Write(bytes.TrimSpace(e.Body))
		body.WriteByte('\n')
	}
	h := http.Header{"Content-Type": {"application/x-ndjson"}}
	switch {
	case s.APIKey != "":
		h.Set("Authorization", "ApiKey "+s.APIKey)
	case s.Username != "":
		req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
		req.SetBasicAuth(s.Username, s.Password)
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	// Only what is checked comes back: a full answer is about 200 bytes
	// an item.
	status, resp, err := httpPost(ctx, client(s.Client), strings.TrimSuffix(s.URL, "/")+"/_bulk?filter_path=errors,items.*.status,items.*.error", body.Bytes(), h)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("elasticsearch: HTTP %d", status)
	}
	var r struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("elasticsearch: unreadable answer: %w", err)
	}
	if len(r.Items) != len(events) {
		return fmt.Errorf("elasticsearch: %d items answered for %d sent", len(r.Items), len(events))
	}
	if r.Errors {
		for i, item := range r.Items {
			for _, res := range item {
				if res.Status >= 300 {
					reason := ""
					if res.Error != nil {
						reason = res.Error.Type + ": " + res.Error.Reason
					}
					return fmt.Errorf("elasticsearch: item %d (index %d): HTTP %d %s", i, events[i].Index, res.Status, reason)
				}
			}
		}
	}
	return nil
}

// Webhook posts each batch as {"events": [...]} to a URL, signed as
// notifications are (X-Warden-Signature).
type Webhook struct {
	SinkName string
	URL      string
	Secret   []byte
	Client   *http.Client
}

func (s *Webhook) Name() string { return s.SinkName }
func (s *Webhook) Close() error { return nil }

func (s *Webhook) Send(ctx context.Context, events []Event) error {
	raw := make([]json.RawMessage, len(events))
	for i, e := range events {
		raw[i] = e.Body
	}
	body, _ := json.Marshal(map[string]any{"events": raw})
	h := http.Header{"Content-Type": {"application/json"}}
	if len(s.Secret) > 0 {
		h.Set(notify.SignatureHeader, notify.Sign(s.Secret, body, time.Now()))
	}
	status, _, err := httpPost(ctx, client(s.Client), s.URL, body, h)
	if err != nil {
		return err
	}
	if status >= 300 {
		return fmt.Errorf("webhook: HTTP %d", status)
	}
	return nil
}

// File appends events as JSON lines to a file (0600), synced after each
// batch, and rotates it to "<path>.<UTC time>" once it passes MaxSize.
type File struct {
	SinkName string
	Path     string
	MaxSize  int64 // default 100 MiB

	mu sync.Mutex
	f  *os.File
}

func (s *File) Name() string { return s.SinkName }

func (s *File) Send(ctx context.Context, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(s.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		s.f = f
	}
	var b bytes.Buffer
	for _, e := range events {
		b.Write(bytes.TrimSpace(e.Body))
		b.WriteByte('\n')
	}
	off, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := s.f.Write(b.Bytes()); err != nil {
		// A partial write is cut off, or the batch sent again would be
		// glued to its first half on one line.
		if terr := s.f.Truncate(off); terr != nil {
			s.f.Close()
			s.f = nil
		}
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	max := s.MaxSize
	if max <= 0 {
		max = 100 << 20
	}
	if st, err := s.f.Stat(); err == nil && st.Size() >= max {
		s.f.Close()
		s.f = nil
		return os.Rename(s.Path, s.Path+"."+time.Now().UTC().Format("20060102T150405.000000000Z"))
	}
	return nil
}

func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
