package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Times are stored as Unix nanoseconds in UTC (INTEGER / BIGINT), NULL for a
// zero time.Time. Every time.Time from 1678 to 2262 round-trips exactly on
// both engines, and comparisons in SQL are integer comparisons.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// errTimeRange reports a time that does not fit in int64 nanoseconds.
var errTimeRange = errors.New("time outside the storable range (years 1678 to 2262)")

func nanos(t time.Time) (sql.NullInt64, error) {
	if t.IsZero() {
		return sql.NullInt64{}, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return sql.NullInt64{}, fmt.Errorf("%w: %s", errTimeRange, t.UTC().Format(time.RFC3339))
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}, nil
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// keyRow holds the api_keys columns that need converting after a scan.
type keyRow struct {
	models, ipAllow            string
	created                    int64
	expires, revoked, lastUsed sql.NullInt64
}

// dest returns the scan destinations for keyCols, filling k and r.
func (r *keyRow) dest(k *APIKey) []any {
	return []any{&k.ID, &k.Name, &k.Role, &r.models, &k.RPM, &k.TPM, &k.Prefix,
		&r.created, &r.expires, &r.revoked, &r.lastUsed, &r.ipAllow,
		&k.TokensPerDay, &k.TokensPerMonth, &k.MaxPromptTokens, &k.MaxTokens, &k.CreatedBy}
}

// lookupRow is the destination of the LookupSecret query: keyCols, then the
// secret's prefix, not_after, created_at, issued_by and issued_in. It is
// allocated once per lookup.
type lookupRow struct {
	keyRow
	m                             Match
	secretNotAfter, secretCreated sql.NullInt64
	dst                           [22]any
}

func (r *lookupRow) dests() []any {
	k := &r.m.Key
	r.dst = [...]any{&k.ID, &k.Name, &k.Role, &r.models, &k.RPM, &k.TPM, &k.Prefix,
		&r.created, &r.expires, &r.revoked, &r.lastUsed, &r.ipAllow,
		&k.TokensPerDay, &k.TokensPerMonth, &k.MaxPromptTokens, &k.MaxTokens, &k.CreatedBy,
		&r.m.Secret.Prefix, &r.secretNotAfter, &r.secretCreated, &r.m.Secret.IssuedBy, &r.m.Secret.IssuedIn}
	return r.dst[:]
}

// finish converts the scanned columns into k.
func (r *keyRow) finish(k *APIKey) error {
	models, err := decodeModels(r.models)
	if err != nil {
		return fmt.Errorf("key %s: models: %w", k.ID, err)
	}
	k.Models = models
	if k.IPAllow, err = decodeModels(r.ipAllow); err != nil {
		return fmt.Errorf("key %s: ip_allow: %w", k.ID, err)
	}
	k.CreatedAt = time.Unix(0, r.created).UTC()
	k.ExpiresAt = fromNanos(r.expires)
	k.RevokedAt = fromNanos(r.revoked)
	k.LastUsedAt = fromNanos(r.lastUsed)
	return nil
}

// encodeModels encodes a list column (models, ip_allow): a JSON array of strings.
func encodeModels(models []string) (string, error) {
	if len(models) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(models)
	return string(b), err
}

// decodeModels decodes the models column; an empty array is nil. The usual
// value, short ASCII strings without escapes, is split directly, sparing the
// hot path encoding/json's allocations; anything else goes to encoding/json.
func decodeModels(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	if out, ok := splitSimple(s); ok {
		return out, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// splitSimple parses a compact JSON array of strings whose bytes are
// printable ASCII other than a backslash: ["a","b"]. It reports false for
// anything else, valid JSON or not.
func splitSimple(s string) ([]string, bool) {
	if len(s) < 4 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	out := make([]string, 0, strings.Count(body, ",")+1)
	for {
		if len(body) < 2 || body[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, false
		}
		v := body[1 : 1+end]
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] >= 0x7f || v[i] == '\\' {
				return nil, false
			}
		}
		out = append(out, v)
		body = body[2+end:]
		if body == "" {
			return out, true
		}
		if body[0] != ',' {
			return nil, false
		}
		body = body[1:]
	}
}

// keyArgs returns the insertKey arguments for k.
func keyArgs(k *APIKey) ([]any, error) {
	models, err := encodeModels(k.Models)
	if err != nil {
		return nil, err
	}
	var ts [4]sql.NullInt64
	for i, t := range []time.Time{k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt} {
		n, err := nanos(t)
		if err != nil {
			return nil, err
		}
		ts[i] = n
	}
	ipAllow, err := encodeModels(k.IPAllow)
	if err != nil {
		return nil, err
	}
	return []any{k.ID, k.Name, k.Role, models, k.RPM, k.TPM, k.Prefix,
		ts[0], ts[1], ts[2], ts[3], ipAllow,
		k.TokensPerDay, k.TokensPerMonth, k.MaxPromptTokens, k.MaxTokens, k.CreatedBy}, nil
}

// secretArgs returns the insertSecret arguments for s, a secret of key id.
func secretArgs(id string, s *Secret) ([]any, error) {
	created, err := nanos(s.CreatedAt)
	if err != nil {
		return nil, err
	}
	notAfter, err := nanos(s.NotAfter)
	if err != nil {
		return nil, err
	}
	return []any{s.Hash, id, s.Prefix, created, notAfter, s.IssuedBy, s.IssuedIn}, nil
}
