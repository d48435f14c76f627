package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// VaultKeyRing keeps KEKs as keys of HashiCorp Vault's Transit secrets
// engine: they never leave Vault; data keys are wrapped and unwrapped by
// Vault's encrypt and decrypt endpoints (aes256-gcm96, with the associated
// data), and destroying a key deletes it from Vault. Vault has no
// tombstones, so a destroyed key leaves a marker key "<name>.destroyed"
// behind, which Ensure honours.
type VaultKeyRing struct {
	Address string // e.g. https://vault.example.com:8200
	Token   string // a token allowed the transit paths below
	Mount   string // the Transit mount, default "transit"
	Client  *http.Client
}

// vaultError is Vault's error body.
type vaultError struct {
	Errors []string `json:"errors"`
}

// call sends one Transit request and decodes its "data" into out.
func (v *VaultKeyRing) call(ctx context.Context, method, path string, in, out any) (int, error) {
	mount := v.Mount
	if mount == "" {
		mount = "transit"
	}
	u := strings.TrimSuffix(v.Address, "/") + "/v1/" + mount + "/" + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Vault-Token", v.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := v.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("kms: vault: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, fmt.Errorf("kms: vault: %w", err)
	}
	if res.StatusCode >= 300 {
		var ve vaultError
		json.Unmarshal(b, &ve)
		// Vault's messages name paths and keys, never key material.
		return res.StatusCode, fmt.Errorf("kms: vault: %s %s: %d %s", method, path, res.StatusCode, strings.Join(ve.Errors, "; "))
	}
	if out != nil {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil || len(env.Data) == 0 {
			return res.StatusCode, fmt.Errorf("kms: vault: %s %s: unexpected answer", method, path)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			return res.StatusCode, fmt.Errorf("kms: vault: %s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

func (v *VaultKeyRing) exists(ctx context.Context, name string) (bool, error) {
	code, err := v.call(ctx, http.MethodGet, "keys/"+url.PathEscape(name), nil, nil)
	switch {
	case code == http.StatusNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// Ensure creates the Transit key named name unless it exists.
func (v *VaultKeyRing) Ensure(ctx context.Context, name string) error {
	if !validName(name) {
		return ErrBadName
	}
	if dead, err := v.exists(ctx, name+destroyedSuffix); err != nil {
		return err
	} else if dead {
		return ErrDestroyed
	}
	// Creating an existing key changes nothing.
	_, err := v.call(ctx, http.MethodPost, "keys/"+url.PathEscape(name), map[string]any{"type": "aes256-gcm96"}, nil)
	return err
}

// Wrap encrypts dek with Vault, bound to aad.
func (v *VaultKeyRing) Wrap(ctx context.Context, name string, dek, aad []byte) ([]byte, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	var out struct {
		Ciphertext string `json:"ciphertext"`
	}
	_, err := v.call(ctx, http.MethodPost, "encrypt/"+url.PathEscape(name), map[string]string{
		"plaintext":       base64.StdEncoding.EncodeToString(dek),
		"associated_data": base64.StdEncoding.EncodeToString(aad),
	}, &out)
	if err != nil {
		return nil, v.keyError(ctx, name, err)
	}
	return []byte(out.Ciphertext), nil
}

// Unwrap decrypts a data key with Vault.
func (v *VaultKeyRing) Unwrap(ctx context.Context, name string, wrapped, aad []byte) ([]byte, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	var out struct {
		Plaintext string `json:"plaintext"`
	}
	code, err := v.call(ctx, http.MethodPost, "decrypt/"+url.PathEscape(name), map[string]string{
		"ciphertext":      string(wrapped),
		"associated_data": base64.StdEncoding.EncodeToString(aad),
	}, &out)
	if err != nil {
		if kerr := v.keyError(ctx, name, err); kerr != err {
			return nil, kerr
		}
		if code == http.StatusBadRequest {
			return nil, ErrUnwrap
		}
		return nil, err
	}
	dek, err := base64.StdEncoding.DecodeString(out.Plaintext)
	if err != nil {
		return nil, ErrUnwrap
	}
	return dek, nil
}

// keyError turns a failure on a key that is gone into ErrDestroyed or
// ErrNoKey.
func (v *VaultKeyRing) keyError(ctx context.Context, name string, err error) error {
	if ok, xerr := v.exists(ctx, name); xerr != nil || ok {
		return err
	}
	if dead, _ := v.exists(ctx, name+destroyedSuffix); dead {
		return ErrDestroyed
	}
	return ErrNoKey
}

// Destroy marks the key destroyed, then deletes it from Vault (which
// needs its deletion_allowed set first).
func (v *VaultKeyRing) Destroy(ctx context.Context, name string) error {
	if !validName(name) {
		return ErrBadName
	}
	p := "keys/" + url.PathEscape(name)
	if _, err := v.call(ctx, http.MethodPost, "keys/"+url.PathEscape(name+destroyedSuffix), map[string]any{"type": "aes256-gcm96"}, nil); err != nil {
		return err
	}
	if _, err := v.call(ctx, http.MethodPost, p+"/config", map[string]any{"deletion_allowed": true}, nil); err != nil {
		if ok, xerr := v.exists(ctx, name); xerr == nil && !ok {
			return nil // never created, or gone already
		}
		return err
	}
	if _, err := v.call(ctx, http.MethodDelete, p, nil, nil); err != nil {
		return err
	}
	return nil
}

var _ KeyRing = (*VaultKeyRing)(nil)
var _ KeyRing = (*LocalKeyRing)(nil)
