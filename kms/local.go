// Package kms holds Warden's keys. A provider (kms.provider) is the root of
// trust: a local master key file, a PKCS#11 token, Vault's Transit engine,
// or a master key wrapped by a cloud KMS. Keys for a purpose (hashing API
// keys, HMACs of content) derive from the provider's root secret with
// HKDF-SHA256; key-encryption keys live in its KeyRing.
package kms

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Purposes for derived keys. Each purpose yields an independent key.
const (
	PurposeAPIKeyHash      = "warden/v1/api-key-hash"
	PurposeAuditContent    = "warden/v1/audit-content-hmac" // prompt_hash, response_hash
	PurposeContentHash     = "warden/v1/content-hash"       // the content controls' hash action
	PurposeApprovalBinding = "warden/v1/approval-binding"   // binds an approval to its request
)

// Local is a master key loaded from a file, and the root secret it guards.
// The master key wraps the key ring's files and the root secret; the root
// secret is what purpose keys derive from. Until the first rotation they
// are the same key; a rotation replaces the master key and keeps the root
// secret (so API keys and content hashes stay valid).
type Local struct {
	src  *masters
	root []byte
	// purposes, once a rotation has run, are the keys DeriveKey gives,
	// kept instead of a root secret (see purposeKeys).
	purposes map[string][]byte
}

// derivedPurposes are the purposes a local key ring derives keys for from
// its root secret; any other purpose is derived from the key kept for
// purposeOther, so that a purpose added later survives a rotation too.
var derivedPurposes = []string{PurposeAPIKeyHash, PurposeAuditContent, PurposeContentHash, PurposeApprovalBinding, purposeOther}

const purposeOther = "warden/v1/other-purposes"

// purposeKeys are the derived keys a rotated local key ring keeps in its
// root file. Before the first rotation the root secret is the master key
// itself; keeping it, wrapped by the next master key, would keep the
// master key a rotation reports destroyed (and with it, what an old copy
// of the key ring still holds). Keeping what is derived from it instead
// keeps every derived key as it was (API key hashes, audit HMACs) and
// nothing more. A purpose added later must be derived from one of these.
const purposeKeysMagic = "wpk1"

func encodePurposeKeys(m map[string][]byte) []byte {
	b := []byte(purposeKeysMagic)
	for _, p := range derivedPurposes {
		b = append(b, byte(len(p)))
		b = append(b, p...)
		b = append(b, m[p]...)
	}
	return b
}

func decodePurposeKeys(b []byte) (map[string][]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(purposeKeysMagic))
	if !ok {
		return nil, false
	}
	m := map[string][]byte{}
	for len(rest) > 0 {
		n := int(rest[0])
		if len(rest) < 1+n+32 {
			return nil, false
		}
		m[string(rest[1:1+n])] = bytes.Clone(rest[1+n : 1+n+32])
		rest = rest[1+n+32:]
	}
	return m, true
}

// purposeKeys returns the keys DeriveKey gives, for every purpose.
func (l *Local) purposeKeys() map[string][]byte {
	m := map[string][]byte{}
	for _, p := range derivedPurposes {
		m[p] = l.DeriveKey(p)
	}
	return m
}

// GenerateLocal writes a new random master key to path with mode 0600. It
// refuses to overwrite an existing file.
func GenerateLocal(path string) error {
	key := make([]byte, 32)
	rand.Read(key)
	b, _ := plainMaster{}.encode(key)
	if err := writeFileAtomic(path, b, true); err != nil {
		return fmt.Errorf("kms: create master key: %w", err)
	}
	return nil
}

// LoadLocal reads a master key written by GenerateLocal (the file must not
// be readable by group or others) and the root secret beside it.
func LoadLocal(path string) (*Local, error) {
	return loadLocal(path, plainMaster{})
}

func loadLocal(path string, codec masterCodec) (*Local, error) {
	src := &masters{path: path, codec: codec, byID: map[keyID]cipher.AEAD{}}
	id, err := src.load(path)
	if err != nil {
		return nil, err
	}
	src.cur = id
	root, err := src.readRoot(filepath.Join(KeyRingDir(path), rootFileName))
	if errors.Is(err, fs.ErrNotExist) {
		root, err = src.key[id], nil // never rotated: the master key is the root
	}
	if err != nil {
		return nil, err
	}
	if m, ok := decodePurposeKeys(root); ok {
		for _, p := range derivedPurposes {
			if len(m[p]) != 32 {
				return nil, fmt.Errorf("kms: the root file in %s lacks the key for %s", KeyRingDir(path), p)
			}
		}
		return &Local{src: src, purposes: m}, nil
	}
	return &Local{src: src, root: root}, nil
}

// DeriveKey returns a 256-bit key for purpose, derived with HKDF-SHA256
// from the root secret.
func (l *Local) DeriveKey(purpose string) []byte {
	if !slices.Contains(derivedPurposes, purpose) {
		k, err := hkdf.Key(sha256.New, l.DeriveKey(purposeOther), nil, purpose, 32)
		if err != nil {
			panic("kms: hkdf: " + err.Error())
		}
		return k
	}
	if l.purposes != nil {
		return bytes.Clone(l.purposes[purpose])
	}
	k, err := hkdf.Key(sha256.New, l.root, nil, purpose, 32)
	if err != nil {
		panic("kms: hkdf: " + err.Error()) // only for lengths > 255*32
	}
	return k
}

// masterCodec is how a master key file holds its key: in the clear (the
// local provider) or wrapped by a cloud KMS key.
type masterCodec interface {
	decode(b []byte) ([]byte, error)
	encode(key []byte) ([]byte, error)
	// private reports whether the file itself must be private (0600).
	private() bool
}

type plainMaster struct{}

func (plainMaster) private() bool { return true }

func (plainMaster) encode(key []byte) ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString(key) + "\n"), nil
}

func (plainMaster) decode(b []byte) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, errors.New("kms: master key file is not a base64-encoded 256-bit key")
	}
	return key, nil
}

// keyID names a master key without revealing it.
type keyID [8]byte

func (id keyID) String() string { return hex.EncodeToString(id[:]) }

func masterID(key []byte) keyID {
	k, _ := hkdf.Key(sha256.New, key, nil, "warden/v1/master-key-id", 8)
	return keyID(k)
}

// PurposeKeyRing derives, from a master key, the key that encrypts the
// local key ring's files.
const PurposeKeyRing = "warden/v1/keyring"

// masters are the master keys a local key ring knows, by id: the current
// one, and during a rotation the next ("<key file>.next") and the previous
// ("<key file>.prev"). A file wrapped by a master it has not seen makes it
// read the key files again, so a rotation by another process needs no
// restart.
type masters struct {
	path  string
	codec masterCodec

	mu      sync.Mutex
	cur     keyID
	byID    map[keyID]cipher.AEAD
	key     map[keyID][]byte
	decoded map[[32]byte]keyID // key file contents already decoded
}

// load reads the master key file at path and learns its key.
func (m *masters) load(path string) (keyID, error) {
	st, err := os.Stat(path)
	if err != nil {
		return keyID{}, fmt.Errorf("kms: master key: %w", err)
	}
	if m.codec.private() && st.Mode().Perm()&0o077 != 0 {
		return keyID{}, fmt.Errorf("kms: master key %s is accessible by group or others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return keyID{}, fmt.Errorf("kms: master key: %w", err)
	}
	// A wrapped (cloud) master key costs a KMS call to decode: decode each
	// file content once.
	fp := sha256.Sum256(b)
	m.mu.Lock()
	id, seen := m.decoded[fp]
	m.mu.Unlock()
	if seen {
		return id, nil
	}
	key, err := m.codec.decode(b)
	if err != nil {
		return keyID{}, err
	}
	id = masterID(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.decoded == nil {
		m.decoded = map[[32]byte]keyID{}
	}
	m.decoded[fp] = id
	if _, ok := m.byID[id]; !ok {
		k, _ := hkdf.Key(sha256.New, key, nil, PurposeKeyRing, 32)
		a, err := newAEAD(k)
		if err != nil {
			return keyID{}, err
		}
		if m.key == nil {
			m.key = map[keyID][]byte{}
		}
		m.byID[id], m.key[id] = a, key
	}
	return id, nil
}

// current reads the master key file again and returns its key: what new
// files are wrapped under.
func (m *masters) current() (keyID, cipher.AEAD, error) {
	id, err := m.load(m.path)
	if err != nil {
		return keyID{}, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur = id
	return id, m.byID[id], nil
}

// lookup returns the master key with id, reading the key files again if it
// is not known yet.
func (m *masters) lookup(id keyID) (cipher.AEAD, error) {
	m.mu.Lock()
	a, ok := m.byID[id]
	m.mu.Unlock()
	if ok {
		return a, nil
	}
	// In the order a rotation moves keys (.next → key file → .prev), so a
	// move between two reads cannot hide the key from both.
	for _, p := range []string{m.path + ".next", m.path, m.path + ".prev"} {
		if got, err := m.load(p); err == nil && got == id {
			m.mu.Lock()
			a = m.byID[id]
			m.mu.Unlock()
			return a, nil
		}
	}
	return nil, fmt.Errorf("kms: wrapped by master key %s, which is not in the key file (nor its .next or .prev): %w", id, ErrUnwrap)
}

// Wrapped files (key ring keys, the root secret) are "wk2", the master
// key's id, a nonce and the sealed key. Files from before rotation existed
// are nonce || sealed, under the master key of the time.
const (
	wrappedMagic  = "wk2"
	legacyWrapped = 12 + 32 + 16
)

func (m *masters) seal(id keyID, a cipher.AEAD, secret, aad []byte) []byte {
	out := make([]byte, 0, len(wrappedMagic)+len(id)+a.NonceSize()+len(secret)+a.Overhead())
	out = append(append(out, wrappedMagic...), id[:]...)
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return a.Seal(out, nonce, secret, aad)
}

// open unwraps a wrapped file's content; it also returns the master key id
// it was wrapped under.
func (m *masters) open(b, aad []byte) ([]byte, keyID, error) {
	var id keyID
	var a cipher.AEAD
	if len(b) == legacyWrapped {
		// Written before key ids existed, under the master key of the
		// time: try each known one, the current first.
		m.mu.Lock()
		ids := []keyID{m.cur}
		for k := range m.byID {
			if k != m.cur {
				ids = append(ids, k)
			}
		}
		aeads := make([]cipher.AEAD, len(ids))
		for i, k := range ids {
			aeads[i] = m.byID[k]
		}
		m.mu.Unlock()
		for i, a := range aeads {
			if a == nil {
				continue
			}
			if secret, err := a.Open(nil, b[:12], b[12:], aad); err == nil {
				return secret, ids[i], nil
			}
		}
		return nil, id, ErrUnwrap
	} else {
		if len(b) < len(wrappedMagic)+len(id)+12+16 || string(b[:len(wrappedMagic)]) != wrappedMagic {
			return nil, id, ErrUnwrap
		}
		copy(id[:], b[len(wrappedMagic):])
		b = b[len(wrappedMagic)+len(id):]
		var err error
		if a, err = m.lookup(id); err != nil {
			return nil, id, err
		}
	}
	ns := a.NonceSize()
	secret, err := a.Open(nil, b[:ns], b[ns:], aad)
	if err != nil {
		return nil, id, ErrUnwrap
	}
	return secret, id, nil
}

// rootFileName is the root secret's file in the key ring, once a rotation
// has separated it from the master key.
const rootFileName = "root"

func (m *masters) readRoot(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	root, _, err := m.open(b, rootAAD)
	if err != nil {
		return nil, fmt.Errorf("kms: the root secret in %s: %w", path, err)
	}
	return root, nil
}
