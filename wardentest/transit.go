package wardentest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Transit is a fake of Vault's Transit secrets engine, speaking its HTTP
// API as Vault does (paths, X-Vault-Token, JSON bodies, {"data": ...}
// answers, {"errors": [...]} failures, "vault:v1:" ciphertexts, upsert on
// encrypt, deletion only once deletion_allowed), for the calls Warden
// makes. Vault itself cannot run here.
type Transit struct {
	URL   string // the server's address
	Token string // the token it accepts

	mu   sync.Mutex
	keys map[string]*transitKey
}

type transitKey struct {
	aead            cipher.AEAD
	deletionAllowed bool
}

// NewTransit starts a fake Transit engine at Transit.URL (mount
// "transit"), accepting Transit.Token.
func NewTransit(t testing.TB) *Transit {
	f := &Transit{Token: "s.test-token", keys: map[string]*transitKey{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func vaultErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string][]string{"errors": {msg}})
}

func vaultData(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func (f *Transit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != f.Token {
		vaultErr(w, http.StatusForbidden, "permission denied")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/transit/")
	if !ok {
		vaultErr(w, http.StatusNotFound, "no handler for route")
		return
	}
	var in map[string]any
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodDelete {
		json.NewDecoder(r.Body).Decode(&in)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(rest, "/")
	newKey := func() *transitKey {
		var k [32]byte
		rand.Read(k[:])
		b, _ := aes.NewCipher(k[:])
		a, _ := cipher.NewGCM(b)
		return &transitKey{aead: a}
	}
	switch {
	case len(parts) == 2 && parts[0] == "keys" && r.Method == http.MethodGet:
		if _, ok := f.keys[parts[1]]; !ok {
			vaultErr(w, http.StatusNotFound, "")
			return
		}
		vaultData(w, map[string]any{"name": parts[1], "type": "aes256-gcm96"})
	case len(parts) == 2 && parts[0] == "keys" && r.Method == http.MethodPost:
		if _, ok := f.keys[parts[1]]; !ok {
			f.keys[parts[1]] = newKey()
		}
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 3 && parts[0] == "keys" && parts[2] == "config" && r.Method == http.MethodPost:
		k, ok := f.keys[parts[1]]
		if !ok {
			vaultErr(w, http.StatusBadRequest, "no existing key named "+parts[1]+" could be found")
			return
		}
		k.deletionAllowed, _ = in["deletion_allowed"].(bool)
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 2 && parts[0] == "keys" && r.Method == http.MethodDelete:
		k, ok := f.keys[parts[1]]
		if ok && !k.deletionAllowed {
			vaultErr(w, http.StatusBadRequest, "deletion is not allowed for this key")
			return
		}
		delete(f.keys, parts[1])
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 2 && parts[0] == "encrypt" && r.Method == http.MethodPost:
		k, ok := f.keys[parts[1]]
		if !ok { // Transit's encrypt upserts
			k = newKey()
			f.keys[parts[1]] = k
		}
		pt, err1 := base64.StdEncoding.DecodeString(in["plaintext"].(string))
		aad, err2 := base64.StdEncoding.DecodeString(in["associated_data"].(string))
		if err1 != nil || err2 != nil {
			vaultErr(w, http.StatusBadRequest, "failed to base64-decode plaintext")
			return
		}
		nonce := make([]byte, 12)
		rand.Read(nonce)
		ct := k.aead.Seal(nonce, nonce, pt, aad)
		vaultData(w, map[string]any{"ciphertext": "vault:v1:" + base64.StdEncoding.EncodeToString(ct), "key_version": 1})
	case len(parts) == 2 && parts[0] == "decrypt" && r.Method == http.MethodPost:
		k, ok := f.keys[parts[1]]
		if !ok {
			vaultErr(w, http.StatusBadRequest, "encryption key not found")
			return
		}
		s, _ := in["ciphertext"].(string)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "vault:v1:"))
		aad, _ := base64.StdEncoding.DecodeString(in["associated_data"].(string))
		if err != nil || !strings.HasPrefix(s, "vault:v1:") || len(raw) < 12 {
			vaultErr(w, http.StatusBadRequest, "invalid ciphertext: no prefix")
			return
		}
		pt, err := k.aead.Open(nil, raw[:12], raw[12:], aad)
		if err != nil {
			vaultErr(w, http.StatusBadRequest, "cipher: message authentication failed")
			return
		}
		vaultData(w, map[string]any{"plaintext": base64.StdEncoding.EncodeToString(pt)})
	default:
		vaultErr(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}
