package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Limits on what a JWKS may hold. RSA moduli outside [2048, 8192] bits are
// refused: small ones are weak, huge ones make every verification slow.
const (
	maxJWKSKeys = 100
	minRSABits  = 2048
	maxRSABits  = 8192
)

// jwk is one JSON Web Key (RFC 7517, 7518 §6, 8037) as published in a JWKS.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// verifyKey is a public key usable to verify JWS signatures.
type verifyKey struct {
	kid string
	alg string           // the JWK's own alg, "" if it declares none
	pub crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet is an issuer's verification keys, immutable once built.
type keySet struct {
	keys    []verifyKey
	fetched time.Time
}

// parseJWKS parses a JWK Set. Keys Warden cannot or must not use (use other
// than "sig", symmetric "oct" keys, unknown types or curves, weak or invalid
// keys) are skipped, not fatal: an IdP may publish encryption keys beside
// its signing keys. It returns the skipped keys' problems for diagnostics.
func parseJWKS(b []byte) (*keySet, []error, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("jwks: %w", err)
	}
	if doc.Keys == nil {
		return nil, nil, errors.New(`jwks: no "keys" array`)
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, nil, fmt.Errorf("jwks: %d keys, at most %d accepted", len(doc.Keys), maxJWKSKeys)
	}
	ks := &keySet{}
	var skipped []error
	for i, raw := range doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Errorf("jwks: key %d: %w", i, err))
			continue
		}
		k, err := j.verifyKey()
		if err != nil {
			skipped = append(skipped, fmt.Errorf("jwks: key %d (kid %q): %w", i, j.Kid, err))
			continue
		}
		ks.keys = append(ks.keys, k)
	}
	return ks, skipped, nil
}

func (j *jwk) verifyKey() (verifyKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return verifyKey{}, fmt.Errorf("use %q is not sig", j.Use)
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return verifyKey{}, errors.New("key_ops lacks verify")
	}
	k := verifyKey{kid: j.Kid, alg: j.Alg}
	var err error
	switch j.Kty {
	case "RSA":
		k.pub, err = j.rsa()
	case "EC":
		k.pub, err = j.ec()
	case "OKP":
		k.pub, err = j.okp()
	default:
		err = fmt.Errorf("key type %q not supported", j.Kty)
	}
	if err != nil {
		return verifyKey{}, err
	}
	if k.alg != "" {
		if _, ok := jwsAlgs[k.alg]; !ok {
			return verifyKey{}, fmt.Errorf("alg %q not supported", k.alg)
		}
		if !fits(k.alg, k.pub) {
			return verifyKey{}, fmt.Errorf("alg %q does not fit a %s key", k.alg, j.Kty)
		}
	}
	return k, nil
}

func (j *jwk) rsa() (*rsa.PublicKey, error) {
	n, err := b64Int(j.N)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	e, err := b64Int(j.E)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits (want %d to %d)", bits, minRSABits, maxRSABits)
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("RSA exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func (j *jwk) ec() (*ecdsa.PublicKey, error) {
	var c elliptic.Curve
	switch j.Crv {
	case "P-256":
		c = elliptic.P256()
	case "P-384":
		c = elliptic.P384()
	case "P-521":
		c = elliptic.P521()
	default:
		return nil, fmt.Errorf("curve %q not supported", j.Crv)
	}
	size := (c.Params().BitSize + 7) / 8
	x, err1 := b64(j.X)
	y, err2 := b64(j.Y)
	if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%s coordinates must be %d bytes of base64url", j.Crv, size)
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	return ecdsa.ParseUncompressedPublicKey(c, point) // checks the point is on the curve
}

func (j *jwk) okp() (ed25519.PublicKey, error) {
	if j.Crv != "Ed25519" {
		return nil, fmt.Errorf("OKP curve %q not supported", j.Crv)
	}
	x, err := b64(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("Ed25519 x must be 32 bytes of base64url")
	}
	return ed25519.PublicKey(x), nil
}

// b64 decodes unpadded base64url, refusing non-canonical encodings.
func b64(s string) ([]byte, error) { return b64url.DecodeString(s) }

var b64url = base64.RawURLEncoding.Strict()

func b64Int(s string) (*big.Int, error) {
	b, err := b64(s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, errors.New("empty")
	}
	return new(big.Int).SetBytes(b), nil
}

// lookup finds the key a token's header names. With a kid, only keys with
// that kid are candidates; without one, the set must hold exactly one key.
// Among candidates it prefers one that fits alg; if none fits, it returns
// a candidate with errKeyMismatch.
func (ks *keySet) lookup(kid, alg string) (verifyKey, error) {
	if kid == "" {
		switch len(ks.keys) {
		case 0:
			return verifyKey{}, errKeyNotFound
		case 1:
			k := ks.keys[0]
			if !k.accepts(alg) {
				return k, errKeyMismatch
			}
			return k, nil
		default:
			return verifyKey{}, errMissingKid
		}
	}
	found := false
	for _, k := range ks.keys {
		if k.kid != kid {
			continue
		}
		if k.accepts(alg) {
			return k, nil
		}
		found = true
	}
	if found {
		return verifyKey{}, errKeyMismatch
	}
	return verifyKey{}, errKeyNotFound
}

// accepts reports whether k may verify a signature made with alg.
func (k verifyKey) accepts(alg string) bool {
	return (k.alg == "" || k.alg == alg) && fits(alg, k.pub)
}

var (
	errKeyNotFound = errors.New("no key with this kid")
	errKeyMismatch = errors.New("alg does not fit the key")
	errMissingKid  = errors.New("token has no kid and the issuer publishes several keys")
)
