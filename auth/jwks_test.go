package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

func TestParseJWKS(t *testing.T) {
	enc := b64url.EncodeToString
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	pt, _ := p256.PublicKey.Bytes()
	x, y := pt[1:33], pt[33:]
	rsaJWK := func(kid string, k *rsa.PublicKey, extra ...string) map[string]any {
		j := map[string]any{"kty": "RSA", "kid": kid, "n": enc(k.N.Bytes()), "e": enc(big.NewInt(int64(k.E)).Bytes())}
		for i := 0; i+1 < len(extra); i += 2 {
			j[extra[i]] = extra[i+1]
		}
		return j
	}
	p384pt, _ := p384.PublicKey.Bytes()
	keys := []map[string]any{
		rsaJWK("ok-rsa", &rsa2048.PublicKey, "use", "sig", "alg", "PS256"),
		{"kty": "EC", "kid": "ok-ec", "crv": "P-256", "x": enc(x), "y": enc(y)},
		{"kty": "EC", "kid": "ok-p384", "crv": "P-384", "x": enc(p384pt[1:49]), "y": enc(p384pt[49:])},
		{"kty": "OKP", "kid": "ok-ed", "crv": "Ed25519", "x": enc(edPub)},
		rsaJWK("weak", &rsa1024.PublicKey),
		rsaJWK("enc", &rsa2048.PublicKey, "use", "enc"),
		rsaJWK("wrap", &rsa2048.PublicKey),
		rsaJWK("alg-mismatch", &rsa2048.PublicKey, "alg", "ES256"),
		rsaJWK("alg-hs", &rsa2048.PublicKey, "alg", "HS256"),
		{"kty": "RSA", "kid": "even-e", "n": enc(rsa2048.N.Bytes()), "e": enc([]byte{1, 0, 0})},
		{"kty": "EC", "kid": "short-x", "crv": "P-256", "x": enc(x[1:]), "y": enc(y)},
		{"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": enc(x), "y": enc(x)},
		{"kty": "EC", "kid": "p224", "crv": "P-224", "x": enc(x[:28]), "y": enc(y[:28])},
		{"kty": "OKP", "kid": "ed448", "crv": "Ed448", "x": enc(make([]byte, 57))},
		{"kty": "oct", "kid": "hmac", "k": enc([]byte("secret"))},
		{"kty": "EC", "kid": "padded", "crv": "P-256", "x": enc(x) + "=", "y": enc(y)},
	}
	keys[6]["key_ops"] = []string{"encrypt"}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	ks, skipped, err := parseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range ks.keys {
		kids = append(kids, k.kid)
	}
	if got := strings.Join(kids, ","); got != "ok-rsa,ok-ec,ok-p384,ok-ed" {
		t.Fatalf("kept %s", got)
	}
	if len(skipped) != len(keys)-4 {
		t.Fatalf("%d skipped: %v", len(skipped), skipped)
	}
	for kid, alg := range map[string]string{"ok-rsa": "PS256", "ok-ec": "ES256", "ok-p384": "ES384", "ok-ed": "EdDSA"} {
		if _, err := ks.lookup(kid, alg); err != nil {
			t.Errorf("lookup(%s, %s): %v", kid, alg, err)
		}
	}
	for kid, alg := range map[string]string{"ok-rsa": "RS256", "ok-ec": "ES384", "ok-p384": "ES256", "ok-ed": "ES256"} {
		if _, err := ks.lookup(kid, alg); err != errKeyMismatch {
			t.Errorf("lookup(%s, %s): %v, want mismatch", kid, alg, err)
		}
	}
	if _, err := ks.lookup("", "RS256"); err != errMissingKid {
		t.Errorf("no kid: %v", err)
	}
	if _, err := ks.lookup("nope", "RS256"); err != errKeyNotFound {
		t.Errorf("unknown kid: %v", err)
	}
}

func TestParseJWKSRefuses(t *testing.T) {
	many := `{"keys":[` + strings.Repeat(`{"kty":"oct"},`, maxJWKSKeys) + `{"kty":"oct"}]}`
	for name, doc := range map[string]string{
		"not JSON": "<html>", "no keys": `{"issuer":"x"}`, "keys not array": `{"keys":{}}`, "too many": many,
	} {
		if _, _, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestVerifySignatureRefusesBadLengths(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		alg string
		pub any
		sig []byte
	}{
		{"ES256", &p256.PublicKey, make([]byte, 63)},
		{"ES256", &p256.PublicKey, make([]byte, 64)},
		{"ES256", &p256.PublicKey, nil},
		{"EdDSA", edPub, make([]byte, 63)},
		{"EdDSA", edPub, make([]byte, 64)},
		{"RS256", edPub, make([]byte, 256)},
		{"HS256", edPub, nil},
	} {
		if err := verifySignature(tc.alg, tc.pub, "a.b", tc.sig); err == nil {
			t.Errorf("%s with %d-byte signature verified", tc.alg, len(tc.sig))
		}
	}
}

// FuzzParseJWKS: a key set from the network never panics the parser.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"1"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseJWKS(b)
	})
}
