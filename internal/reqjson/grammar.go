package reqjson

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Valid reports whether s (a string's text, unescaped) matches the grammar
// of kind k; the kinds without one (Text, Model, Schema) accept anything.
// Problem says what a kind requires, for the client's error.
func Valid(k Kind, s []byte) bool {
	switch k {
	case Role:
		for _, r := range Roles {
			if string(s) == r {
				return true
			}
		}
		return false
	case Name:
		return len(s) >= 1 && len(s) <= 64 && identifier(s, "_-")
	case ID:
		return len(s) <= 256 && identifier(s, "_-.:")
	case URL:
		return imageURL(s)
	case Refused:
		return false
	case Data:
		if IsDataURL(s) {
			return dataURL(s, "")
		}
		return base64Text(s)
	}
	return true
}

// Problem is what kind k requires of a string, for a client's error.
func Problem(k Kind) string {
	switch k {
	case Role:
		return "must be one of " + strings.Join(Roles, ", ")
	case Name:
		return `must be 1 to 64 ASCII letters, digits, "_" or "-"`
	case ID:
		return `must be at most 256 ASCII letters, digits, "_", "-", "." or ":"`
	case URL:
		return "must be an http or https URL, or a data:image/...;base64, URL"
	case Data:
		return "must be base64 data, or a data:...;base64, URL"
	case Refused:
		return "is not accepted: it is a client library's option, whose members belong at the top level of the request"
	}
	return "is malformed"
}

// identifier reports whether s holds only ASCII letters, digits and extra.
func identifier(s []byte, extra string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// IsDataURL reports whether an image URL is a data: URL, whose payload is
// not text (the rest of an image URL is screened).
func IsDataURL(s []byte) bool {
	return len(s) >= 5 && strings.EqualFold(string(s[:5]), "data:")
}

// imageURL: an absolute http or https URL with a host, written in
// printable ASCII (spaces, controls and other characters percent-encoded),
// or a data:image/<type>;base64,<base64> URL.
func imageURL(s []byte) bool {
	if IsDataURL(s) {
		return dataURL(s, "image/")
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(string(s))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http"
}

// dataURL: data:<type>/<subtype>;base64,<base64>, the type starting with
// prefix.
func dataURL(s []byte, prefix string) bool {
	if !IsDataURL(s) {
		return false
	}
	media, payload, ok := bytes.Cut(s[5:], []byte(";base64,"))
	if !ok || !bytes.HasPrefix(bytes.ToLower(media), []byte(prefix)) {
		return false
	}
	typ, sub, ok := bytes.Cut(media, []byte("/"))
	if !ok || len(typ) == 0 || len(sub) == 0 || !identifier(typ, "-.+") || !identifier(sub, "-.+") {
		return false
	}
	return base64Text(payload)
}

// DataText returns the text that base64 data (or a data: URL) holds, if
// it holds text: a file a model reads as text (text/plain, CSV, JSON, ...),
// which the content controls must screen like any text; ok is false for
// anything else (a PDF, audio, an image: not text to a detector).
func DataText(s []byte) (text []byte, ok bool) {
	if IsDataURL(s) {
		_, payload, found := bytes.Cut(s, []byte(";base64,"))
		if !found {
			return nil, false
		}
		s = payload
	}
	payload := bytes.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(payload, "-_") {
		enc = base64.RawURLEncoding
	}
	// A PDF or an image shows itself in its first bytes: only text is
	// decoded whole.
	if head := payload[:min(len(payload), 1024)]; len(head) < len(payload) {
		if _, ok := decodeText(enc, head, true); !ok {
			return nil, false
		}
	}
	return decodeText(enc, payload, false)
}

// decodeText decodes base64 and reports whether it is text: UTF-8 (with
// cut, a character cut off at the end aside) without control characters
// but tabs, line and page breaks.
func decodeText(enc *base64.Encoding, payload []byte, cut bool) ([]byte, bool) {
	text := make([]byte, enc.DecodedLen(len(payload)))
	n, err := enc.Decode(text, payload)
	if err != nil || n == 0 {
		return nil, false
	}
	text = text[:n]
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1 && !(cut && len(text)-i < utf8.UTFMax):
			return nil, false
		case r < ' ' && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f:
			return nil, false
		}
		i += size
	}
	return text, true
}

// base64Text: the standard or URL-safe base64 alphabet, padding at the end.
func base64Text(s []byte) bool {
	s = bytes.TrimRight(s, "=")
	return identifier(s, "+/-_")
}
