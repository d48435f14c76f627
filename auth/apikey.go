package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"math/big"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/store"
)

// API key format: "wdn_" + 43 base62 characters (a 256-bit random secret) +
// 6 base62 characters of CRC-32 over the preceding text. The checksum lets
// Warden (and secret scanners) reject a mistyped or made-up key without a
// store lookup; it adds no security.
const (
	KeyPrefix    = "wdn_"
	secretChars  = 43
	checkChars   = 6
	KeyLen       = len(KeyPrefix) + secretChars + checkChars
	PrefixLen    = len(KeyPrefix) + 8 // visible prefix kept for identification
	base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// NewKey returns a new random API key.
func NewKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	s := KeyPrefix + base62(b, secretChars)
	return s + checksum(s)
}

// VisiblePrefix is the part of a key that may be shown and stored in clear.
func VisiblePrefix(key string) string { return key[:PrefixLen] }

// WellFormed reports whether key has the shape and checksum of a Warden key.
func WellFormed(key string) bool {
	if len(key) != KeyLen || !strings.HasPrefix(key, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(key); i++ {
		if strings.IndexByte(base62Digits, key[i]) < 0 {
			return false
		}
	}
	body := key[:KeyLen-checkChars]
	return subtle.ConstantTimeCompare([]byte(checksum(body)), []byte(key[KeyLen-checkChars:])) == 1
}

func checksum(s string) string {
	var b [4]byte
	c := crc32.ChecksumIEEE([]byte(s))
	b[0], b[1], b[2], b[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return base62(b[:], checkChars)
}

// base62 encodes b big-endian as exactly n digits (left-padded with '0').
func base62(b []byte, n int) string {
	x := new(big.Int).SetBytes(b)
	out := make([]byte, n)
	base, mod := big.NewInt(62), new(big.Int)
	for i := n - 1; i >= 0; i-- {
		x.DivMod(x, base, mod)
		out[i] = base62Digits[mod.Int64()]
	}
	return string(out)
}

// Hasher computes the keyed hash under which key secrets are stored:
// HMAC-SHA256 with a key derived from the KMS master key. Without that key a
// stolen database does not let anyone test guesses offline.
type Hasher struct{ pool sync.Pool }

// NewHasher returns a Hasher keyed with key.
func NewHasher(key []byte) *Hasher {
	k := append([]byte(nil), key...)
	h := &Hasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h
}

// Sum writes the keyed hash of key into out and returns it.
func (h *Hasher) Sum(key string, out *[32]byte) []byte {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(key))
	r := m.Sum(out[:0])
	h.pool.Put(m)
	return r
}

// KeyLookup finds a key by the hash of one of its secrets.
type KeyLookup interface {
	LookupSecret(ctx context.Context, hash []byte) (store.Match, error)
}

// APIKeys authenticates Warden API keys. Every request consults the store, so
// a revocation takes effect on the next request; usage times are batched by
// Usage instead of written per request.
//
// The store finds a secret by equality on its keyed hash. That comparison
// need not be constant-time: its timing could at most reveal a prefix of an
// HMAC output, which without the HMAC key says nothing about any secret.
// (The checksum comparison in WellFormed is constant-time all the same.)
type APIKeys struct {
	Keys   KeyLookup
	Hasher *Hasher
	Usage  *Usage           // optional
	Now    func() time.Time // injectable clock
}

var _ Authenticator = (*APIKeys)(nil)

// Authenticate implements Authenticator.
func (a *APIKeys) Authenticate(ctx context.Context, r *http.Request) (*Identity, error) {
	tok := BearerToken(r)
	if !strings.HasPrefix(tok, KeyPrefix) {
		return nil, ErrNoCredentials // not ours: an OIDC token, or nothing
	}
	if !WellFormed(tok) {
		return nil, &Error{Reason: ReasonMalformed, Msg: "invalid API key"}
	}
	var sum [32]byte
	h := a.Hasher.Sum(tok, &sum)
	m, err := a.Keys.LookupSecret(ctx, h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, &Error{Reason: ReasonUnknownKey, Msg: "invalid API key"}
	case err != nil:
		return nil, &Error{Reason: ReasonUnavailable, Msg: "credential store unavailable", Err: err}
	}
	now := a.Now()
	k := &m.Key
	switch {
	case k.Revoked(): // whatever the time: the revoker's clock may run ahead of ours
		return nil, &Error{Reason: ReasonRevoked, Msg: "API key revoked"}
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return nil, &Error{Reason: ReasonExpired, Msg: "API key expired"}
	case !m.Secret.NotAfter.IsZero() && !now.Before(m.Secret.NotAfter):
		return nil, &Error{Reason: ReasonRotatedOut, Msg: "API key was rotated; use the new key"}
	}
	if a.Usage != nil {
		a.Usage.Mark(k.ID, now)
	}
	id := &Identity{
		ID:     "apikey:" + k.ID,
		Type:   "api_key",
		KeyID:  k.ID,
		Name:   k.Name,
		Role:   k.Role,
		Models: k.Models,
		RPM:    int64(k.RPM),
		TPM:    int64(k.TPM),
	}
	for _, c := range k.IPAllow {
		p, err := netip.ParsePrefix(c)
		if err != nil { // written by Warden, so corrupt: fail closed
			return nil, &Error{Reason: ReasonUnavailable, Msg: "credential store unavailable", Err: fmt.Errorf("key %s: ip_allow: %w", k.ID, err)}
		}
		id.IPAllow = append(id.IPAllow, p)
	}
	return id, nil
}
