package auditlog

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecord appends the record's JSON: the bytes encoding/json writes
// for it (with HTML escaping off), written directly. Every request
// marshals one record, and encoding/json's reflection and re-validation
// of the custom fields' output cost ~90 µs a record on the gateway's core;
// this costs a few. FuzzRecordEncoding holds the two to the same bytes.
func appendRecord(b []byte, r *Record) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"time":`...)
	b, _ = appendTime(b, r.Time)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"principal":`...)
	if p := r.Principal; p == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendString(b, p.ID)
		b = append(b, `,"type":`...)
		b = appendString(b, p.Type)
		b = append(b, `,"key_id":`...)
		b = appendOpt(b, p.KeyID)
		b = append(b, `,"groups":`...)
		b = appendStrings(b, p.Groups)
		b = append(b, `,"issued_by":`...)
		b = appendOpt(b, p.IssuedBy)
		b = append(b, `,"issued_in":`...)
		b = appendOpt(b, p.IssuedIn)
		b = append(b, '}')
	}
	b = append(b, `,"source_ip":`...)
	b = appendOpt(b, r.SourceIP)
	b = append(b, `,"endpoint":`...)
	b = appendOpt(b, r.Endpoint)
	b = append(b, `,"model":`...)
	if m := r.Model; m == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"name":`...)
		b = appendString(b, m.Name)
		b = append(b, `,"version":`...)
		b = appendOpt(b, m.Version)
		b = append(b, `,"digest":`...)
		b = appendOpt(b, m.Digest)
		b = append(b, '}')
	}
	b = append(b, `,"namespace":`...)
	b = appendOpt(b, r.Namespace)
	b = append(b, `,"classification":`...)
	b = appendOpt(b, r.Classification)
	b = append(b, `,"decision":`...)
	b = appendString(b, r.Decision)
	b = append(b, `,"reasons":`...)
	b = appendStrings(b, r.Reasons)
	b = append(b, `,"prompt_hash":`...)
	b = appendOpt(b, r.PromptHash)
	b = append(b, `,"response_hash":`...)
	b = appendOpt(b, r.ResponseHash)
	b = append(b, `,"tokens":`...)
	if t := r.Tokens; t == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"prompt":`...)
		b = strconv.AppendInt(b, t.Prompt, 10)
		b = append(b, `,"completion":`...)
		b = strconv.AppendInt(b, t.Completion, 10)
		b = append(b, '}')
	}
	b = append(b, `,"latency_ms":`...)
	if l := r.LatencyMS; l == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"total":`...)
		b = appendMillis(b, l.Total)
		b = append(b, `,"upstream":`...)
		b = appendMillis(b, l.Upstream)
		b = append(b, '}')
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"filters":`...)
	if r.Filters == nil {
		b = append(b, "[]"...)
	} else {
		b = append(b, '[')
		for i, f := range r.Filters {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"stage":`...)
			b = appendString(b, f.Stage)
			b = append(b, `,"type":`...)
			b = appendString(b, f.Type)
			b = append(b, `,"entity":`...)
			b = appendString(b, f.Entity)
			b = append(b, `,"action":`...)
			b = appendString(b, f.Action)
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, int64(f.Count), 10)
			if f.Score != 0 && !math.IsNaN(f.Score) && !math.IsInf(f.Score, 0) {
				b = append(b, `,"score":`...)
				b = appendFloat(b, f.Score)
			}
			if f.Origin != "" {
				b = append(b, `,"origin":`...)
				b = appendString(b, f.Origin)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"stream":`...)
	b = strconv.AppendBool(b, r.Stream)
	b = append(b, `,"request_id":`...)
	b = appendOpt(b, r.RequestID)
	b = append(b, `,"error":`...)
	if e := r.Error; e == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"type":`...)
		b = appendString(b, e.Type)
		b = append(b, `,"code":`...)
		b = appendString(b, e.Code)
		b = append(b, '}')
	}
	b = append(b, `,"admin":`...)
	if a := r.Admin; a == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"action":`...)
		b = appendString(b, a.Action)
		b = append(b, `,"target":`...)
		b = appendOpt(b, a.Target)
		b = append(b, `,"detail":`...)
		b = appendOpt(b, a.Detail)
		b = append(b, '}')
	}
	b = append(b, `,"forwarded_hash":`...)
	b = appendOpt(b, r.ForwardedHash)
	b = append(b, `,"route":`...)
	b = appendOpt(b, r.Route)
	return append(b, '}')
}

// appendFloat writes f as encoding/json does: the shortest form that
// reads back as f, in exponent form below 1e-6 or from 1e21 (e-07, not
// e-7, cleaned to e-7). f is finite.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendOpt(b []byte, s Opt) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, string(s))
}

// appendStrings writes a list, empty ([]) when nil.
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendTime(b []byte, t Time) ([]byte, error) {
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}

func appendMillis(b []byte, m Millis) []byte {
	m = max(m, 0)
	tenths := (time.Duration(m) + 50*time.Microsecond) / (100 * time.Microsecond)
	b = appendInt(b, int64(tenths/10))
	return append(b, '.', byte('0'+tenths%10))
}

const hexDigits = "0123456789abcdef"

// appendString writes s as encoding/json does with HTML escaping off:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// U+FFFD, and U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
