package kms

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/flock"
)

// Rotate replaces the root key of the provider cfg names and re-wraps under
// the new one what the old one wrapped. Gateways keep running throughout:
// the root secret, and so every derived key, stays the same, and a gateway
// meeting a key file wrapped by the new master key reads it.
//
//   - local (and the cloud providers, whose master key file is wrapped by
//     the cloud KMS): a new master key; the root secret and every
//     key-encryption key of the key ring are re-wrapped under it, then the
//     key file is replaced. The old master key is gone from the file
//     (copies of it elsewhere still open copies of the old key ring).
//   - pkcs11, vault: key-encryption keys live inside the KMS and are not
//     wrapped by the root key; the root secret in data_dir/kms-root.<provider>
//     is re-wrapped under a new KMS key (warden-root.2, .3, …). The old
//     one is destroyed only with destroyPrevious: other replicas' root
//     files may still need it.
func Rotate(ctx context.Context, cfg config.KMS, dataDir string, destroyPrevious bool) (Rotation, error) {
	switch cfg.Provider {
	case "", "local":
		return rotateMaster(cfg.Local.KeyFile, plainMaster{})
	case "vault":
		token, err := cfg.Vault.Token.Resolve()
		if err != nil {
			return Rotation{}, fmt.Errorf("kms.vault.token: %w", err)
		}
		ring := &VaultKeyRing{Address: cfg.Vault.Address, Token: token, Mount: cfg.Vault.Mount}
		return rotateWrappedRoot(ctx, ring, filepath.Join(dataDir, "kms-root.vault"), destroyPrevious)
	case "pkcs11":
		pin, err := cfg.PKCS11.PIN.Resolve()
		if err != nil {
			return Rotation{}, fmt.Errorf("kms.pkcs11.pin: %w", err)
		}
		ring, err := OpenPKCS11(cfg.PKCS11.Module, cfg.PKCS11.TokenLabel, pin)
		if err != nil {
			return Rotation{}, err
		}
		defer ring.Close()
		return rotateWrappedRoot(ctx, ring, filepath.Join(dataDir, "kms-root.pkcs11"), destroyPrevious)
	}
	m, keyFile, err := cloudMaster(ctx, cfg)
	if err != nil {
		return Rotation{}, err
	}
	defer m.k.Close()
	return rotateMaster(keyFile, m)
}

// DestroyPrevious destroys the root keys older than the one that wraps
// data_dir/kms-root.<provider> (pkcs11, vault): the step after every
// replica's copy of that file was rotated. Local and cloud rotations
// remove the previous master key themselves.
func DestroyPrevious(ctx context.Context, cfg config.KMS, dataDir string) ([]string, error) {
	var ring KeyRing
	switch cfg.Provider {
	case "vault":
		token, err := cfg.Vault.Token.Resolve()
		if err != nil {
			return nil, fmt.Errorf("kms.vault.token: %w", err)
		}
		ring = &VaultKeyRing{Address: cfg.Vault.Address, Token: token, Mount: cfg.Vault.Mount}
	case "pkcs11":
		pin, err := cfg.PKCS11.PIN.Resolve()
		if err != nil {
			return nil, fmt.Errorf("kms.pkcs11.pin: %w", err)
		}
		r, err := OpenPKCS11(cfg.PKCS11.Module, cfg.PKCS11.TokenLabel, pin)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		ring = r
	default:
		return nil, fmt.Errorf("kms: provider %s keeps no previous root keys (its rotation removes the previous master key)", cfg.Provider)
	}
	path := filepath.Join(dataDir, "kms-root."+cfg.Provider)
	f, err := readRootFile(path)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	// The file must open with its key before anything older goes.
	if _, err := ring.Unwrap(ctx, f.Key, f.Wrapped, rootAAD); err != nil {
		return nil, fmt.Errorf("kms: unwrapping the root secret in %s with key %s: %w", path, f.Key, err)
	}
	return retireRoots(ctx, ring, f.Key)
}

// rotateMaster replaces the master key in keyFile. One rotation runs at a
// time (a lock beside the key file). The new key is written to
// keyFile.next first, so a rotation cut short is finished by the next run
// with the same new key; the old one stays in keyFile.prev until every
// file is re-wrapped, so a key a gateway made under it meanwhile is never
// stranded. A gateway reads files wrapped under any of the three.
func rotateMaster(keyFile string, codec masterCodec) (Rotation, error) {
	lock, err := flock.Try(keyFile + ".lock")
	if errors.Is(err, flock.ErrLocked) {
		return Rotation{}, errors.New("kms: another rotation of this key is running")
	}
	if err != nil {
		return Rotation{}, fmt.Errorf("kms: %w", err)
	}
	defer lock.Close()

	l, err := loadLocal(keyFile, codec)
	if err != nil {
		return Rotation{}, err
	}
	src, old := l.src, l.src.cur
	src.load(keyFile + ".prev") // a rotation cut short after its rename
	next := keyFile + ".next"
	if _, err := os.Stat(next); errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		b, err := codec.encode(key)
		if err != nil {
			return Rotation{}, err
		}
		if err := writeFileAtomic(next, b, true); err != nil {
			return Rotation{}, fmt.Errorf("kms: writing the new master key: %w", err)
		}
	}
	id, err := src.load(next)
	if err != nil {
		return Rotation{}, fmt.Errorf("kms: the new master key in %s: %w", next, err)
	}
	a, _ := src.lookup(id)
	dir := KeyRingDir(keyFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Rotation{}, fmt.Errorf("kms: key ring: %w", err)
	}
	keys := l.purposeKeys()
	if err := writeFileAtomic(filepath.Join(dir, rootFileName), src.seal(id, a, encodePurposeKeys(keys), rootAAD), false); err != nil {
		return Rotation{}, fmt.Errorf("kms: writing the root secret: %w", err)
	}
	n, err := rewrapRing(src, dir, id)
	if err != nil {
		return Rotation{}, err
	}
	// The old key to .prev, the new one in its place: each step a rename
	// or a link, so at every moment each key is in one of the three files.
	if id != old {
		os.Remove(keyFile + ".prev")
		if err := os.Link(keyFile, keyFile+".prev"); err != nil {
			return Rotation{}, fmt.Errorf("kms: keeping the previous master key: %w", err)
		}
	}
	if err := os.Rename(next, keyFile); err != nil {
		return Rotation{}, fmt.Errorf("kms: replacing the master key: %w", err)
	}
	if err := syncDir(filepath.Dir(keyFile)); err != nil {
		return Rotation{}, fmt.Errorf("kms: %w", err)
	}
	// Keys created under the old master key while the pass above ran.
	m, err := rewrapRing(src, dir, id)
	if err != nil {
		return Rotation{}, fmt.Errorf("%w (the previous master key is kept in %s.prev; run the rotation again)", err, keyFile)
	}
	again, err := loadLocal(keyFile, codec)
	if err != nil {
		return Rotation{}, fmt.Errorf("kms: the rotated key ring does not read back (%w); the previous master key is kept in %s.prev", err, keyFile)
	}
	for p, k := range keys {
		if !bytes.Equal(again.DeriveKey(p), k) {
			return Rotation{}, fmt.Errorf("kms: the rotated key ring derives other keys; the previous master key is kept in %s.prev", keyFile)
		}
	}
	if err := os.Remove(keyFile + ".prev"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Rotation{}, fmt.Errorf("kms: removing the previous master key: %w", err)
	}
	if err := syncDir(filepath.Dir(keyFile)); err != nil {
		return Rotation{}, fmt.Errorf("kms: %w", err)
	}
	prev := "master key " + old.String()
	return Rotation{Previous: prev, Current: "master key " + id.String(), Rewrapped: 1 + n + m, Destroyed: []string{prev}}, nil
}

// rewrapRing wraps every key of the key ring in dir under master key id,
// and says how many it re-wrapped.
func rewrapRing(src *masters, dir string, id keyID) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("kms: key ring: %w", err)
	}
	n := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || !validName(name) {
			continue
		}
		done, err := rewrapFile(src, dir, name, id)
		if err != nil {
			return n, fmt.Errorf("kms: key ring: %w", err)
		}
		if done {
			n++
		}
	}
	return n, nil
}
