package kms_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/seal"
)

// transit is a fake of Vault's Transit secrets engine, speaking its HTTP
// API as Vault does (paths, X-Vault-Token, JSON bodies, {"data": ...}
// answers, {"errors": [...]} failures, "vault:v1:" ciphertexts, upsert on
// encrypt, deletion only once deletion_allowed), for the calls Warden
// makes. Vault itself cannot run here.
type transit struct {
	token string
	mu    sync.Mutex
	keys  map[string]*transitKey
}

type transitKey struct {
	aead            cipher.AEAD
	deletionAllowed bool
}

func newTransit(t *testing.T) (*transit, *httptest.Server) {
	f := &transit{token: "s.test-token", keys: map[string]*transitKey{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
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

func (f *transit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != f.token {
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

// TestVaultKeyRing: payloads sealed with keys in Vault Transit open, are
// bound to what they are, and are unreadable once their key is destroyed;
// a bad token is refused.
func TestVaultKeyRing(t *testing.T) {
	ctx := context.Background()
	fake, srv := newTransit(t)
	ring := &kms.VaultKeyRing{Address: srv.URL, Token: fake.token}
	s := &seal.Sealer{Ring: ring}
	key := seal.KeyName("confidential", time.Now())
	sealed, err := s.Seal(ctx, key, "aud_1", "confidential", []byte("the prompt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sealed.WrappedDEK), "vault:v1:") {
		t.Fatalf("wrapped data key %q is not Vault's", sealed.WrappedDEK)
	}
	if p, err := s.Open(ctx, sealed, "aud_1", "confidential"); err != nil || string(p) != "the prompt" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := s.Open(ctx, sealed, "aud_2", "confidential"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another record's id: %v", err)
	}
	if _, err := (&kms.VaultKeyRing{Address: srv.URL, Token: "wrong"}).Unwrap(ctx, key, sealed.WrappedDEK, nil); err == nil || strings.Contains(err.Error(), fake.token) {
		t.Fatalf("bad token: %v", err)
	}
	if err := s.Shred(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sealed, "aud_1", "confidential"); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("after destroying: %v, want ErrShredded", err)
	}
	if _, err := s.Seal(ctx, key, "aud_3", "confidential", []byte("late")); !errors.Is(err, kms.ErrDestroyed) {
		t.Fatalf("seal into a destroyed period: %v", err)
	}
	if err := ring.Destroy(ctx, "kek.never.20260101"); err != nil {
		t.Fatalf("destroying a key never made: %v", err)
	}
	if err := ring.Ensure(ctx, "../x"); !errors.Is(err, kms.ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
}
