package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"errors"
	"math/big"
)

// JWS signature verification (RFC 7515, algorithms of RFC 7518 §3 and RFC
// 8037) written on the standard library: a closed table of asymmetric
// algorithms, each bound to one key type (and curve), so "none", HMAC with a
// public key as secret, and alg/key confusion have no code path at all.

type sigKind int

const (
	sigPKCS1 sigKind = iota // RSASSA-PKCS1-v1_5
	sigPSS                  // RSASSA-PSS
	sigECDSA                // ECDSA, signature R || S of fixed size
	sigEdDSA                // Ed25519
)

type jwsAlg struct {
	kind  sigKind
	hash  crypto.Hash // 0 for EdDSA (it hashes internally)
	curve string      // ECDSA only: the curve the key must be on
}

// jwsAlgs are the algorithms Warden can verify; it is the same set as
// config.JWSAlgorithms.
var jwsAlgs = map[string]jwsAlg{
	"RS256": {sigPKCS1, crypto.SHA256, ""},
	"RS384": {sigPKCS1, crypto.SHA384, ""},
	"RS512": {sigPKCS1, crypto.SHA512, ""},
	"PS256": {sigPSS, crypto.SHA256, ""},
	"PS384": {sigPSS, crypto.SHA384, ""},
	"PS512": {sigPSS, crypto.SHA512, ""},
	"ES256": {sigECDSA, crypto.SHA256, "P-256"},
	"ES384": {sigECDSA, crypto.SHA384, "P-384"},
	"ES512": {sigECDSA, crypto.SHA512, "P-521"},
	"EdDSA": {sigEdDSA, 0, ""},
}

// fits reports whether alg can be used with pub: RS*/PS* with RSA, ES256
// with P-256 (and so on), EdDSA with Ed25519.
func fits(alg string, pub crypto.PublicKey) bool {
	a, ok := jwsAlgs[alg]
	if !ok {
		return false
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return a.kind == sigPKCS1 || a.kind == sigPSS
	case *ecdsa.PublicKey:
		return a.kind == sigECDSA && k.Curve.Params().Name == a.curve
	case ed25519.PublicKey:
		return a.kind == sigEdDSA
	}
	return false
}

var errBadSignature = errors.New("signature does not verify")

// verifySignature checks sig over signingInput (the token's
// "header.payload" text) with pub, which the caller has checked fits alg.
func verifySignature(alg string, pub crypto.PublicKey, signingInput string, sig []byte) error {
	a, ok := jwsAlgs[alg]
	if !ok || !fits(alg, pub) {
		return errKeyMismatch
	}
	if a.kind == sigEdDSA {
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub.(ed25519.PublicKey), []byte(signingInput), sig) {
			return errBadSignature
		}
		return nil
	}
	h := a.hash.New()
	h.Write([]byte(signingInput))
	digest := h.Sum(nil)
	var err error
	switch a.kind {
	case sigPKCS1:
		err = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), a.hash, digest, sig)
	case sigPSS:
		// RFC 7518 §3.5 fixes the salt at the hash size; signers built on
		// some libraries use other lengths, which PSS tolerates safely.
		err = rsa.VerifyPSS(pub.(*rsa.PublicKey), a.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case sigECDSA:
		k := pub.(*ecdsa.PublicKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return errBadSignature
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errBadSignature
		}
	}
	if err != nil {
		return errBadSignature
	}
	return nil
}
