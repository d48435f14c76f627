package reqjson

import (
	"bytes"
	"net/url"
	"strings"
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

// base64Text: the standard or URL-safe base64 alphabet, padding at the end.
func base64Text(s []byte) bool {
	s = bytes.TrimRight(s, "=")
	return identifier(s, "+/-_")
}
