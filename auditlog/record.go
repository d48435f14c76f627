package auditlog

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Record is one audit record, as docs/audit.md describes it. Its JSON is the log
// entry: fields in this order, every one always present (null when it does
// not apply), new fields only ever appended. A record's leaf index is not
// part of it; it is attached wherever a record is shown (Indexed).
type Record struct {
	ID             string     `json:"id"`
	Time           Time       `json:"time"`
	Kind           string     `json:"kind"` // KindRequest or KindAdmin
	Principal      *Principal `json:"principal"`
	SourceIP       Opt        `json:"source_ip"`
	Endpoint       Opt        `json:"endpoint"`
	Model          *Model     `json:"model"`
	Namespace      Opt        `json:"namespace"`
	Classification Opt        `json:"classification"`
	Decision       string     `json:"decision"`
	Reasons        []string   `json:"reasons"`
	PromptHash     Opt        `json:"prompt_hash"`
	ResponseHash   Opt        `json:"response_hash"`
	Tokens         *Tokens    `json:"tokens"`
	LatencyMS      *Latency   `json:"latency_ms"`
	Status         int        `json:"status"`
	Filters        []Filter   `json:"filters"`
	Stream         bool       `json:"stream"`
	// Additions to the original list, in the order they were added.
	RequestID Opt        `json:"request_id"`
	Error     *ErrorInfo `json:"error"`
	Admin     *Admin     `json:"admin"`
	// ForwardedHash is the content hash of the prompt as Warden forwarded
	// it, when that differs from PromptHash (the prompt as the client sent
	// it): content controls redacted, masked or sanitised it.
	ForwardedHash Opt `json:"forwarded_hash"`
	// Route is, for a request no route takes (endpoint "unknown"), what it
	// asked for: "METHOD PATH", the method one of the standard ones (else
	// OTHER) and the path a route pattern of Warden's own or the class of
	// the path asked for ("/v1/*"), never the path itself. At most
	// MaxRouteBytes bytes.
	Route Opt `json:"route"`
}

// MaxRouteBytes bounds a record's route.
const MaxRouteBytes = 128

// Record kinds.
const (
	KindRequest = "request" // one inference or API request
	KindAdmin   = "admin"   // an administrative act
)

// Kinds lists every record kind.
var Kinds = []string{KindRequest, KindAdmin}

// Decisions a record can carry.
const (
	DecisionAllow = "allow" // admitted and forwarded (whatever the upstream then did)
	DecisionDeny  = "deny"  // refused by authentication, policy or limits
	DecisionError = "error" // refused as malformed or unknown, or failed inside Warden
)

// Principal is who made the request; nil when nobody was authenticated.
type Principal struct {
	ID     string   `json:"id"`
	Type   string   `json:"type"` // api_key, oidc, mtls, cli
	KeyID  Opt      `json:"key_id"`
	Groups []string `json:"groups"`
	// For an API key, who issued the secret presented (created or rotated
	// the key: a principal id) and the id of that act's audit record; null
	// for other credentials and for secrets issued before it was recorded.
	IssuedBy Opt `json:"issued_by"`
	IssuedIn Opt `json:"issued_in"`
}

// Model is the model asked for, as configured.
type Model struct {
	Name    string `json:"name"`
	Version Opt    `json:"version"`
	Digest  Opt    `json:"digest"`
}

// Tokens is the token usage of the exchange, as the upstream reported it.
type Tokens struct {
	Prompt     int64 `json:"prompt"`
	Completion int64 `json:"completion"`
}

// Latency is how long the exchange took, in milliseconds: in all, and
// waiting for the upstream (from sending it the request to its last byte).
type Latency struct {
	Total    Millis `json:"total"`
	Upstream Millis `json:"upstream"`
}

// Filter is one content control's effect: at which stage (request,
// response), of which type (pii, deny, injection, analyzer, guard, ...),
// on which entity (an entity, a rule, an injection's category), with
// which action, how often. Injections also carry the highest score
// (rounded to 2 decimals) and the origin of the text (user, tool,
// system); both are left out when empty, so records written before they
// existed encode, hash and verify as they did.
type Filter struct {
	Stage  string  `json:"stage"`
	Type   string  `json:"type"`
	Entity string  `json:"entity"`
	Action string  `json:"action"`
	Count  int     `json:"count"`
	Score  float64 `json:"score,omitempty"`
	Origin string  `json:"origin,omitempty"`
}

// ErrorInfo is the error answered, by type and code (never its message,
// which might one day quote content).
type ErrorInfo struct {
	Type string `json:"type"`
	Code string `json:"code"`
}

// Admin describes an administrative act.
type Admin struct {
	Action string `json:"action"` // key.create, key.rotate, key.revoke, config.reload, ...
	Target Opt    `json:"target"` // what it acted on, e.g. a key id
	Detail Opt    `json:"detail"` // a short summary, never a secret
}

// Caps on repeated fields: a log entry is at most 65,535 bytes.
const (
	maxList       = 64
	maxEntryBytes = 65535
)

// ErrTooLarge: a record's JSON exceeds what one log entry may hold.
var ErrTooLarge = errors.New("audit record exceeds 65535 bytes")

// Marshal returns the record's log entry: its JSON on one line, without a
// trailing newline and with no HTML escaping. Lists longer than 64 items
// are cut to 64, and the cut is recorded among the reasons.
func (r *Record) Marshal() ([]byte, error) {
	c := *r
	cut := false
	if c.Principal != nil && len(c.Principal.Groups) > maxList {
		p := *c.Principal
		p.Groups, cut = p.Groups[:maxList], true
		c.Principal = &p
	}
	if len(c.Filters) > maxList {
		c.Filters, cut = c.Filters[:maxList], true
	}
	if len(c.Reasons) > maxList-1 || (cut && len(c.Reasons) == maxList-1) {
		c.Reasons, cut = c.Reasons[:maxList-1], true
	}
	if cut {
		c.Reasons = append(c.Reasons[:len(c.Reasons):len(c.Reasons)], "audit.truncated")
	}
	if len(c.Route) > MaxRouteBytes {
		c.Route = c.Route[:MaxRouteBytes]
	}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	if c.Filters == nil {
		c.Filters = []Filter{}
	}
	if c.Principal != nil && c.Principal.Groups == nil {
		p := *c.Principal
		p.Groups = []string{}
		c.Principal = &p
	}
	b := appendRecord(make([]byte, 0, 1024), &c)
	if len(b) > maxEntryBytes {
		return nil, ErrTooLarge
	}
	return b, nil
}

// NewID returns a new record id: "aud_" and 32 hex digits, the first 12 of
// them the time in milliseconds, so ids sort roughly by time.
func NewID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return "aud_" + hex.EncodeToString(b[:])
}

// Time is a record time: UTC, millisecond precision, fixed width
// ("2026-05-01T12:00:00.123Z").
type Time time.Time

// TimeFormat is how record times are written.
const TimeFormat = "2006-01-02T15:04:05.000Z"

func (t Time) MarshalJSON() ([]byte, error) { return appendTime(nil, t) }

func (t *Time) UnmarshalJSON(b []byte) error {
	s, err := jsonString(b)
	if err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(v.UTC())
	return nil
}

// Opt is a string written as null when empty.
type Opt string

func (s Opt) MarshalJSON() ([]byte, error) { return appendOpt(nil, s), nil }

func (s *Opt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	v, err := jsonString(b)
	*s = Opt(v)
	return err
}

// jsonString decodes a JSON string, directly when it holds no escapes
// (verifying a log decodes millions of them).
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		inner := b[1 : len(b)-1]
		if bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) && !hasControl(inner) {
			return string(inner), nil
		}
	}
	var v string
	err := json.Unmarshal(b, &v)
	return v, err
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// Millis is a duration written in milliseconds with at most 0.1 ms
// precision.
type Millis time.Duration

func (m Millis) MarshalJSON() ([]byte, error) { return appendMillis(nil, m), nil }

func (m *Millis) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*m = Millis(f * float64(time.Millisecond))
	return nil
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// Indexed is a record as it is shown, searched and shipped: the leaf
// index the log gave it and the log's origin beside the record's own
// fields ({"index":N,"origin":"...","id":...}). Entry is the record's log
// entry, exactly as logged.
type Indexed struct {
	Index  uint64
	Origin string
	Entry  []byte
}

func (x Indexed) MarshalJSON() ([]byte, error) {
	e := bytes.TrimSpace(x.Entry)
	if len(e) < 2 || e[0] != '{' {
		return nil, errors.New("audit entry is not a JSON object")
	}
	b := make([]byte, 0, len(e)+64+len(x.Origin))
	b = append(b, `{"index":`...)
	b = appendInt(b, int64(x.Index))
	b = append(b, `,"origin":`...)
	o, _ := json.Marshal(x.Origin)
	b = append(b, o...)
	if len(bytes.TrimSpace(e[1:])) > 1 { // not "{}"
		b = append(b, ',')
	}
	return append(b, e[1:]...), nil
}

// CheckEntry reports whether a log entry is an audit record: a JSON object
// with an id, a kind and a time. It decodes only those (verification runs
// it on every entry of a log).
func CheckEntry(entry []byte) error {
	var head struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Time Time   `json:"time"`
	}
	if err := json.Unmarshal(entry, &head); err != nil {
		return fmt.Errorf("not an audit record: %v", err)
	}
	switch {
	case head.ID == "":
		return errors.New("not an audit record: no id")
	case head.Kind == "":
		return errors.New("not an audit record: no kind")
	case time.Time(head.Time).IsZero():
		return errors.New("not an audit record: no time")
	}
	return nil
}
