package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// KeyRing holds named key-encryption keys (KEKs) inside the KMS. A KEK
// wraps data keys; it is never stored beside the data it protects, so
// destroying it (crypto-shredding) makes everything wrapped under it
// unreadable, in the database and in every backup of it. Providers: the
// local key ring (a directory beside the master key) today; PKCS#11, Vault
// Transit and cloud KMSs implement the same calls with keys that never
// leave them.
type KeyRing interface {
	// Ensure creates the key named name unless it exists. A destroyed key
	// is not created again: ErrDestroyed.
	Ensure(ctx context.Context, name string) error
	// Wrap encrypts a data key under the named key, bound to aad.
	Wrap(ctx context.Context, name string, dek, aad []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails unless name and aad are the same.
	Unwrap(ctx context.Context, name string, wrapped, aad []byte) ([]byte, error)
	// Destroy destroys the named key for good.
	Destroy(ctx context.Context, name string) error
}

// Errors of a KeyRing.
var (
	ErrNoKey     = errors.New("kms: no such key")
	ErrDestroyed = errors.New("kms: the key was destroyed")
	ErrBadName   = errors.New("kms: key names are 1-128 characters of a-z, 0-9, '.', '_' and '-'")
	ErrUnwrap    = errors.New("kms: cannot unwrap: wrong key, wrong binding, or tampered data")
)

var keyName = regexp.MustCompile(`^[a-z0-9._-]{1,128}$`)

// validName checks a key name. Names ending in ".destroyed" are the
// markers that rings without tombstones leave, never keys.
func validName(name string) bool {
	return keyName.MatchString(name) && !strings.HasSuffix(name, destroyedSuffix)
}

const destroyedSuffix = ".destroyed"

// LocalKeyRing keeps each KEK in a file of its own in a directory beside
// the master key (outside data_dir, as the master key is), encrypted under
// a key derived from the master key and bound to its name. Destroying a
// key removes its file and leaves a tombstone. Unwrapped keys are cached
// in memory as ready ciphers.
type LocalKeyRing struct {
	dir string
	src *masters // wrap the key files

	mu    sync.Mutex
	cache map[string]cachedKey
}

// cachedKey is an unwrapped key and when its file was last seen: another
// process may destroy it, so the cache believes a key for a second only.
type cachedKey struct {
	aead cipher.AEAD
	seen time.Time
}

const recheck = time.Second

// KeyRing opens (creating it, 0700) the local key ring in dir.
func (l *Local) KeyRing(dir string) (*LocalKeyRing, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kms: key ring: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("kms: key ring: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kms: key ring %s is accessible by group or others (mode %v); chmod 700 it", dir, st.Mode().Perm())
	}
	return &LocalKeyRing{dir: dir, src: l.src, cache: map[string]cachedKey{}}, nil
}

// KeyRingDir is where the local key ring of a master key file lives: a
// directory "keyring" beside it.
func KeyRingDir(masterKeyFile string) string {
	return filepath.Join(filepath.Dir(masterKeyFile), "keyring")
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return cipher.NewGCM(b)
}

func (r *LocalKeyRing) path(name string) string { return filepath.Join(r.dir, name+".key") }
func (r *LocalKeyRing) tomb(name string) string { return filepath.Join(r.dir, name+destroyedSuffix) }

// Ensure creates the key named name unless it exists.
func (r *LocalKeyRing) Ensure(ctx context.Context, name string) error {
	if !validName(name) {
		return ErrBadName
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cache[name]; ok && time.Since(c.seen) < recheck {
		return nil
	}
	if _, err := os.Stat(r.tomb(name)); err == nil {
		return ErrDestroyed
	}
	if _, err := os.Stat(r.path(name)); err == nil {
		return nil
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	id, a, err := r.src.current()
	if err != nil {
		return err
	}
	// Link, not rename: a key another process created meanwhile wins.
	err = writeFileAtomic(r.path(name), r.src.seal(id, a, kek, []byte(name)), true)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kms: key ring: %w", err)
	}
	// A rotation may have replaced the master key while this file was
	// written; its last pass happens after the replacement, so if the
	// master key is still the same now, the rotation will see this file.
	now, _, err := r.src.current()
	if err == nil && now != id {
		_, err = rewrapFile(r.src, r.dir, name, now)
	}
	if err != nil {
		// Nothing is sealed under the new key yet: take it back rather
		// than leave it wrapped under a master key on its way out.
		os.Remove(r.path(name))
		return fmt.Errorf("kms: key ring: %w", err)
	}
	return nil
}

// aead returns the named key as a ready cipher.
func (r *LocalKeyRing) aead(name string) (cipher.AEAD, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if c, ok := r.cache[name]; ok {
		if now.Sub(c.seen) < recheck {
			return c.aead, nil
		}
		if _, err := os.Stat(r.path(name)); err == nil {
			r.cache[name] = cachedKey{c.aead, now}
			return c.aead, nil
		}
		delete(r.cache, name) // destroyed elsewhere, or gone: read again below
	}
	b, err := os.ReadFile(r.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		if _, terr := os.Stat(r.tomb(name)); terr == nil {
			return nil, ErrDestroyed
		}
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("kms: key ring: %w", err)
	}
	if _, err := os.Stat(r.tomb(name)); err == nil {
		// A re-wrap cut short between its rename and its own check: the
		// tombstone rules.
		os.Remove(r.path(name))
		return nil, ErrDestroyed
	}
	kek, _, err := r.src.open(b, []byte(name))
	if err != nil {
		return nil, fmt.Errorf("kms: key %s: %w", name, err)
	}
	a, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	r.cache[name] = cachedKey{a, now}
	return a, nil
}

// Wrap encrypts dek under the named key, bound to aad: nonce || sealed.
func (r *LocalKeyRing) Wrap(ctx context.Context, name string, dek, aad []byte) ([]byte, error) {
	a, err := r.aead(name)
	if err != nil {
		return nil, err
	}
	out := make([]byte, a.NonceSize(), a.NonceSize()+len(dek)+a.Overhead())
	rand.Read(out)
	return a.Seal(out, out, dek, aad), nil
}

// Unwrap reverses Wrap.
func (r *LocalKeyRing) Unwrap(ctx context.Context, name string, wrapped, aad []byte) ([]byte, error) {
	a, err := r.aead(name)
	if err != nil {
		return nil, err
	}
	ns := a.NonceSize()
	if len(wrapped) < ns {
		return nil, ErrUnwrap
	}
	dek, err := a.Open(nil, wrapped[:ns], wrapped[ns:], aad)
	if err != nil {
		return nil, ErrUnwrap
	}
	return dek, nil
}

// Destroy removes the named key's file (synced) and leaves a tombstone.
// Note what it cannot reach: a copy of the key ring directory itself.
func (r *LocalKeyRing) Destroy(ctx context.Context, name string) error {
	if !validName(name) {
		return ErrBadName
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.cache, name)
	if err := os.WriteFile(r.tomb(name), nil, 0o600); err != nil {
		return fmt.Errorf("kms: key ring: %w", err)
	}
	if err := os.Remove(r.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kms: key ring: %w", err)
	}
	return syncDir(r.dir)
}

// rewrapFile wraps the key ring file of key name under the known master
// key id, unless it is already, and says whether it did. A key destroyed
// meanwhile stays destroyed.
func rewrapFile(src *masters, dir, name string, id keyID) (bool, error) {
	a, err := src.lookup(id)
	if err != nil {
		return false, err
	}
	path := filepath.Join(dir, name+".key")
	tomb := filepath.Join(dir, name+destroyedSuffix)
	if _, err := os.Stat(tomb); err == nil {
		return false, nil // destroyed (its file goes with the next read)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // destroyed
	}
	if err != nil {
		return false, err
	}
	kek, was, err := src.open(b, []byte(name))
	if err != nil {
		return false, fmt.Errorf("key %s: %w", name, err)
	}
	if was == id && len(b) != legacyWrapped {
		return false, nil
	}
	if err := writeFileAtomic(path, src.seal(id, a, kek, []byte(name)), false); err != nil {
		return false, err
	}
	// Destroy writes the tombstone, then removes the file: if the tombstone
	// is there now, the file this wrote must go too.
	if _, err := os.Stat(tomb); err == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return false, syncDir(dir)
	}
	return true, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
