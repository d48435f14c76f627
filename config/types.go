package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration ("90s", "1h30m") or
// with a leading whole number of days ("30d", "7d12h").
type Duration time.Duration

// ParseDuration parses a Go duration, optionally prefixed by "<n>d".
// Negative durations are refused, and so is anything past time.Duration's
// range (about 292 years).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d := time.Duration(days) * 24 * time.Hour
		if rest := s[i+1:]; rest != "" {
			r, err := time.ParseDuration(rest)
			if err != nil || r < 0 || r > math.MaxInt64-d {
				return 0, fmt.Errorf("invalid duration %q", s)
			}
			d += r
		}
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 90s, 15m, 2h, 30d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return d, nil
}

// UnmarshalYAML implements yaml.Unmarshaler. A bad value is reported as a
// *yaml.TypeError with its line, so decoding goes on and every bad value in
// the file is reported, not only the first.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a duration such as 90s or 30d", n.Line)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration, or def when d is zero.
func (d Duration) D(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// Secret is a reference to a secret value: "env:NAME" or "file:/path".
// Inline secret values are refused by Validate; Resolve reads the value.
// A Secret's String never reveals the value, only the reference.
type Secret string

// IsRef reports whether s is an env: or file: reference.
func (s Secret) IsRef() bool {
	return strings.HasPrefix(string(s), "env:") || strings.HasPrefix(string(s), "file:")
}

// Resolve returns the referenced value. Errors name the reference, never the value.
func (s Secret) Resolve() (string, error) {
	ref := string(s)
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := ref[len("env:"):]
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return v, nil
	case strings.HasPrefix(ref, "file:"):
		b, err := os.ReadFile(ref[len("file:"):])
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", ref[len("file:"):])
		}
		return v, nil
	}
	return "", errors.New("not an env: or file: reference")
}
