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

	"github.com/wardenhq/warden/config"
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
// It does not allocate.
func WellFormed(key string) bool {
	if len(key) != KeyLen || !strings.HasPrefix(key, KeyPrefix) {
		return false
	}
	for i := len(KeyPrefix); i < len(key); i++ {
		if strings.IndexByte(base62Digits, key[i]) < 0 {
			return false
		}
	}
	var want [checkChars]byte
	checksumInto(&want, key[:KeyLen-checkChars])
	return subtle.ConstantTimeCompare(want[:], []byte(key[KeyLen-checkChars:])) == 1
}

func checksum(s string) string {
	var d [checkChars]byte
	checksumInto(&d, s)
	return string(d[:])
}

// checksumInto writes the base62 CRC-32 of s (a key without its checksum).
func checksumInto(d *[checkChars]byte, s string) {
	var buf [KeyLen]byte
	c := crc32.ChecksumIEEE(buf[:copy(buf[:], s)])
	for i := checkChars - 1; i >= 0; i-- {
		d[i] = base62Digits[c%62]
		c /= 62
	}
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

// APIKeys authenticates Warden API keys. A revocation or rotation takes
// effect on the next request: either every request consults the store, or,
// when Version is set, keys are cached under the store's KeysVersion, which
// every rotation and revocation (by any process on the same SQLite file)
// changes. Usage times are batched by Usage instead of written per request.
//
// The store finds a secret by equality on its keyed hash. That comparison
// need not be constant-time: its timing could at most reveal a prefix of an
// HMAC output, which without the HMAC key says nothing about any secret.
// (The checksum comparison in WellFormed is constant-time all the same.)
type APIKeys struct {
	Keys    KeyLookup
	Hasher  *Hasher
	Usage   *Usage               // optional
	Now     func() time.Time     // injectable clock
	Version func() (int64, bool) // optional: store.DB.KeysVersion, enabling the cache

	cache keyCache
}

var _ Authenticator = (*APIKeys)(nil)

// Authenticate implements Authenticator. The Identity it returns may be
// shared between requests and must not be modified.
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
	now := a.Now()
	var version int64
	cacheable := false
	if a.Version != nil {
		version, cacheable = a.Version()
	}
	var e *cachedKey
	if cacheable {
		e = a.cache.get(&sum, version, now)
	}
	if e == nil {
		m, err := a.Keys.LookupSecret(ctx, h)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, &Error{Reason: ReasonUnknownKey, Msg: "invalid API key"}
		case err != nil:
			return nil, &Error{Reason: ReasonUnavailable, Msg: "credential store unavailable", Err: err}
		}
		id, err := identityOf(&m)
		if err != nil {
			return nil, err
		}
		e = &cachedKey{match: m, id: id, version: version, loaded: now}
		if cacheable {
			e.match.Secret.Hash = nil // the caller's buffer; the map key holds it
			a.cache.put(&sum, e)
		}
	}
	k, sec := &e.match.Key, &e.match.Secret
	switch {
	case k.Revoked(): // whatever the time: the revoker's clock may run ahead of ours
		return nil, &Error{Reason: ReasonRevoked, Msg: "API key revoked"}
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return nil, &Error{Reason: ReasonExpired, Msg: "API key expired"}
	case !sec.NotAfter.IsZero() && !now.Before(sec.NotAfter):
		return nil, &Error{Reason: ReasonRotatedOut, Msg: "API key was rotated; use the new key"}
	}
	if a.Usage != nil {
		a.Usage.Mark(k.ID, now)
	}
	return e.id, nil
}

// identityOf builds the Identity of a stored key, as presented with the
// matched secret.
func identityOf(m *store.Match) (*Identity, error) {
	k := &m.Key
	id := &Identity{
		ID:     "apikey:" + k.ID,
		Type:   "api_key",
		KeyID:  k.ID,
		Name:   k.Name,
		Role:   k.Role,
		Models: k.Models,
		Limits: config.Limits{
			RequestsPerMinute: int64(k.RPM), TokensPerMinute: int64(k.TPM),
			TokensPerDay: k.TokensPerDay, TokensPerMonth: k.TokensPerMonth,
			MaxPromptTokens: k.MaxPromptTokens, MaxTokens: k.MaxTokens,
		},
		ExpiresAt: k.ExpiresAt,
		Issuer:    Issuer{By: m.Secret.IssuedBy, In: m.Secret.IssuedIn},
	}
	// The credential stops working when the key expires or, for a secret
	// rotated out (in its grace period), when that secret ends: whichever
	// comes first bounds what it may do, such as the keys it makes.
	if na := m.Secret.NotAfter; !na.IsZero() && (id.ExpiresAt.IsZero() || na.Before(id.ExpiresAt)) {
		id.ExpiresAt = na
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
