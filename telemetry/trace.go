// Package telemetry exports traces of the data path to an OpenTelemetry
// collector over OTLP/HTTP (JSON encoding), with the attributes of the
// GenAI semantic conventions (gen_ai.operation.name, gen_ai.request.model,
// gen_ai.usage.input_tokens, ...) and never any content: no prompt, no
// response, no credential.
//
// It is small on purpose: one span per exchange (kind server) and one per
// upstream call (kind client), W3C trace context in and out, and an
// exporter that batches in the background and drops rather than ever
// making a request wait.
package telemetry

import (
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// SpanContext identifies a span within a trace.
type SpanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
	Sampled bool
}

// Valid reports whether both ids are set (W3C: all-zero ids are invalid).
func (c SpanContext) Valid() bool { return c.TraceID != [16]byte{} && c.SpanID != [8]byte{} }

// ParseTraceparent reads a W3C traceparent header
// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"). Version 00 must
// be exactly that; a later version may carry more fields after a dash.
// Upper-case hex, all-zero ids and version ff are refused.
func ParseTraceparent(h string) (SpanContext, bool) {
	var c SpanContext
	if len(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return c, false
	}
	version, ok := lowerHex(h[:2])
	if !ok || version[0] == 0xff || (version[0] == 0 && len(h) != 55) || (len(h) > 55 && h[55] != '-') {
		return c, false
	}
	trace, ok1 := lowerHex(h[3:35])
	span, ok2 := lowerHex(h[36:52])
	flags, ok3 := lowerHex(h[53:55])
	if !ok1 || !ok2 || !ok3 {
		return c, false
	}
	copy(c.TraceID[:], trace)
	copy(c.SpanID[:], span)
	c.Sampled = flags[0]&1 == 1
	return c, c.Valid()
}

// lowerHex decodes s, which must be lower-case hex.
func lowerHex(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// Traceparent formats c as a W3C traceparent header.
func (c SpanContext) Traceparent() string {
	b := make([]byte, 0, 55)
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, c.TraceID[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, c.SpanID[:])
	if c.Sampled {
		return string(append(b, "-01"...))
	}
	return string(append(b, "-00"...))
}

// NewRoot starts a trace: new ids, sampled.
func NewRoot() SpanContext {
	var c SpanContext
	fill(c.TraceID[:])
	fill(c.SpanID[:])
	c.Sampled = true
	return c
}

// Child returns a new span id in c's trace.
func (c SpanContext) Child() SpanContext {
	fill(c.SpanID[:])
	return c
}

// fill puts random, never all-zero, bytes into b (ids need to be unique,
// not secret).
func fill(b []byte) {
	for {
		for i := 0; i < len(b); i += 8 {
			v := rand.Uint64()
			for j := i; j < i+8 && j < len(b); j++ {
				b[j] = byte(v)
				v >>= 8
			}
		}
		for _, x := range b {
			if x != 0 {
				return
			}
		}
	}
}

// Span kinds (OTLP's SpanKind).
const (
	KindServer = 2
	KindClient = 3
)

// Span is a finished span.
type Span struct {
	Name    string
	Kind    int
	Context SpanContext
	Parent  [8]byte // zero: a root span
	Start   time.Time
	End     time.Time
	Attrs   []Attr
	// Error, if set, marks the span failed (status ERROR) with this
	// description: an error code, never content.
	Error string
}

// Attr is one attribute: a string or an integer.
type Attr struct {
	Key   string
	Str   string
	Int   int64
	IsInt bool
}

// String is a string attribute.
func String(k, v string) Attr { return Attr{Key: k, Str: v} }

// Int is an integer attribute.
func Int(k string, v int64) Attr { return Attr{Key: k, Int: v, IsInt: true} }
