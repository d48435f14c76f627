// Package kms holds Warden's key-encryption keys. This version provides the
// local provider: a 256-bit master key in a file that must lie outside the
// data directory, and a key ring of named key-encryption keys beside it
// (keyring.go). Keys for a purpose (hashing API keys, HMACs of content, the
// key ring's files) are derived from the master key with HKDF-SHA256, so
// the master key itself is used for nothing else.
package kms

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Purposes for derived keys. Each purpose yields an independent key.
const (
	PurposeAPIKeyHash   = "warden/v1/api-key-hash"
	PurposeAuditContent = "warden/v1/audit-content-hmac" // prompt_hash, response_hash
)

// Local is a master key loaded from a file.
type Local struct {
	master []byte
}

// GenerateLocal writes a new random master key to path with mode 0600. It
// refuses to overwrite an existing file.
func GenerateLocal(path string) error {
	key := make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("kms: create master key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kms: write master key: %w", err)
	}
	return nil
}

// LoadLocal reads a master key written by GenerateLocal. The file must not be
// readable by group or others.
func LoadLocal(path string) (*Local, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("kms: master key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kms: master key %s is accessible by group or others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kms: master key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, errors.New("kms: master key file is not a base64-encoded 256-bit key")
	}
	return &Local{master: key}, nil
}

// DeriveKey returns a 256-bit key for purpose, derived with HKDF-SHA256.
func (l *Local) DeriveKey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, l.master, nil, purpose, 32)
	if err != nil {
		panic("kms: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return k
}
