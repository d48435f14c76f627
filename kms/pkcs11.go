//go:build pkcs11

package kms

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThalesGroup/crypto11"
)

// PKCS11Available reports whether this binary was built with PKCS#11
// support (build tag pkcs11; it needs cgo).
const PKCS11Available = true

// PKCS11KeyRing keeps KEKs as AES-256 secret keys on a PKCS#11 token (an
// HSM, or SoftHSM2): generated on the token, sensitive and not extractable,
// labelled with their names. Data keys are wrapped and unwrapped on the
// token with CKM_AES_GCM, bound to the associated data. Destroying a key
// deletes it from the token and leaves a marker key "<name>.destroyed",
// which Ensure honours.
type PKCS11KeyRing struct {
	ctx *crypto11.Context

	ensure sync.Mutex // one key generation at a time, so a label is made once
	mu     sync.Mutex
	cache  map[string]pkcs11Keys
}

// pkcs11Keys are the token's keys under one label, as ciphers, and when
// they were looked up: another process may destroy them, so the cache
// believes them for a second only.
type pkcs11Keys struct {
	aeads []cipher.AEAD
	seen  time.Time
}

// OpenPKCS11 logs in to the token labelled tokenLabel through the PKCS#11
// module at module (a shared library, e.g. /usr/lib/softhsm/libsofthsm2.so).
func OpenPKCS11(module, tokenLabel, pin string) (*PKCS11KeyRing, error) {
	c, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: tokenLabel, Pin: pin, PoolWaitTimeout: 10 * time.Second})
	if err != nil {
		// crypto11's messages name the module and token, never the PIN.
		return nil, fmt.Errorf("kms: pkcs11: %w", err)
	}
	return &PKCS11KeyRing{ctx: c, cache: map[string]pkcs11Keys{}}, nil
}

// Close logs out and releases the module.
func (r *PKCS11KeyRing) Close() error { return r.ctx.Close() }

// keys returns the ciphers of the token's keys labelled name (more than one
// only if two processes created it at once; Wrap uses the first, Unwrap
// tries each).
func (r *PKCS11KeyRing) keys(name string) ([]cipher.AEAD, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cache[name]; ok && time.Since(c.seen) < recheck {
		return c.aeads, nil
	}
	found, err := r.ctx.FindKeys(nil, []byte(name))
	if err != nil {
		return nil, fmt.Errorf("kms: pkcs11: finding key %s: %w", name, err)
	}
	if len(found) == 0 {
		delete(r.cache, name)
		dead, err := r.ctx.FindKeys(nil, []byte(name+destroyedSuffix))
		if err != nil {
			return nil, fmt.Errorf("kms: pkcs11: %w", err)
		}
		if len(dead) > 0 {
			return nil, ErrDestroyed
		}
		return nil, ErrNoKey
	}
	aeads := make([]cipher.AEAD, 0, len(found))
	for _, k := range found {
		a, err := k.NewGCM()
		if err != nil {
			return nil, fmt.Errorf("kms: pkcs11: key %s: %w", name, err)
		}
		aeads = append(aeads, a)
	}
	r.cache[name] = pkcs11Keys{aeads, time.Now()}
	return aeads, nil
}

// Ensure generates the key named name on the token unless it exists.
func (r *PKCS11KeyRing) Ensure(ctx context.Context, name string) error {
	if _, err := r.keys(name); !errors.Is(err, ErrNoKey) {
		return err
	}
	r.ensure.Lock()
	defer r.ensure.Unlock()
	if _, err := r.keys(name); !errors.Is(err, ErrNoKey) {
		return err // made meanwhile (or destroyed)
	}
	if _, err := r.ctx.GenerateSecretKeyWithLabel([]byte(name), []byte(name), 256, crypto11.CipherAES); err != nil {
		return fmt.Errorf("kms: pkcs11: generating key %s: %w", name, err)
	}
	r.forget(name)
	return nil
}

func (r *PKCS11KeyRing) forget(name string) {
	r.mu.Lock()
	delete(r.cache, name)
	r.mu.Unlock()
}

// Wrap encrypts dek on the token under the named key, bound to aad:
// nonce || sealed.
func (r *PKCS11KeyRing) Wrap(ctx context.Context, name string, dek, aad []byte) (out []byte, err error) {
	aeads, err := r.keys(name)
	if err != nil {
		return nil, err
	}
	a := aeads[0]
	out = make([]byte, a.NonceSize(), a.NonceSize()+len(dek)+a.Overhead())
	rand.Read(out)
	defer func() {
		// crypto11's Seal panics when the token fails.
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("kms: pkcs11: wrapping under %s: %v", name, p)
		}
	}()
	return a.Seal(out, out, dek, aad), nil
}

// Unwrap reverses Wrap on the token. A failure of the token itself is an
// error of its own, not ErrUnwrap (which says the data or its binding is
// wrong).
func (r *PKCS11KeyRing) Unwrap(ctx context.Context, name string, wrapped, aad []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		aeads, err := r.keys(name)
		if err != nil {
			return nil, err
		}
		for _, a := range aeads {
			ns := a.NonceSize()
			if len(wrapped) < ns+a.Overhead() {
				return nil, ErrUnwrap
			}
			dek, err := a.Open(nil, wrapped[:ns], wrapped[ns:], aad)
			if err == nil {
				return dek, nil
			}
			if tokenFailure(err) {
				return nil, fmt.Errorf("kms: pkcs11: unwrapping under %s: %w", name, err)
			}
		}
		if attempt > 0 {
			return nil, ErrUnwrap
		}
		// Another process may have made a key of the same label since the
		// list was cached: look again, once.
		r.forget(name)
	}
}

// tokenFailure reports a decryption that failed because of the token (it
// is gone, out of sessions or memory, logged out), as opposed to the data:
// tokens report a failed GCM tag variously (SoftHSM2: CKR_GENERAL_ERROR),
// so the token's own failures are the ones named. crypto11 flattens the
// PKCS#11 error into its message.
func tokenFailure(err error) bool {
	m := err.Error()
	for _, code := range []string{"CKR_DEVICE_", "CKR_TOKEN_", "CKR_SESSION_", "CKR_USER_NOT_LOGGED_IN", "CKR_HOST_MEMORY",
		"CKR_CRYPTOKI_", "CKR_KEY_HANDLE_INVALID", "CKR_OBJECT_HANDLE_INVALID", "CKR_FUNCTION_FAILED", "timeout", "closed"} {
		if strings.Contains(m, code) {
			return true
		}
	}
	return false
}

// Destroy leaves the marker key, then deletes every key labelled name from
// the token.
func (r *PKCS11KeyRing) Destroy(ctx context.Context, name string) error {
	if !validName(name) {
		return ErrBadName
	}
	r.ensure.Lock()
	defer r.ensure.Unlock()
	r.forget(name)
	marker := name + destroyedSuffix
	dead, err := r.ctx.FindKeys(nil, []byte(marker))
	if err != nil {
		return fmt.Errorf("kms: pkcs11: %w", err)
	}
	if len(dead) == 0 {
		if _, err := r.ctx.GenerateSecretKeyWithLabel([]byte(marker), []byte(marker), 128, crypto11.CipherAES); err != nil {
			return fmt.Errorf("kms: pkcs11: marking %s destroyed: %w", name, err)
		}
	}
	found, err := r.ctx.FindKeys(nil, []byte(name))
	if err != nil {
		return fmt.Errorf("kms: pkcs11: finding key %s: %w", name, err)
	}
	for _, k := range found {
		if err := k.Delete(); err != nil {
			return fmt.Errorf("kms: pkcs11: destroying key %s: %w", name, err)
		}
	}
	return nil
}
