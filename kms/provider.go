package kms

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden/config"
)

// Provider is the KMS a configuration names (kms.provider): the root of
// Warden's keys. Keys for a purpose (hashing API keys, the audit log's
// content hashes, the local key ring's files) derive from its root
// secret; key-encryption keys live in its KeyRing.
type Provider interface {
	DeriveKey(purpose string) []byte
	KeyRing() KeyRing
}

// Open opens the provider cfg names. dataDir is where a provider whose
// root secret is held wrapped keeps it (unwrapping it needs the KMS).
func Open(ctx context.Context, cfg config.KMS, dataDir string) (Provider, error) {
	switch cfg.Provider {
	case "", "local":
		l, err := LoadLocal(cfg.Local.KeyFile)
		if err != nil {
			return nil, err
		}
		ring, err := l.KeyRing(KeyRingDir(cfg.Local.KeyFile))
		if err != nil {
			return nil, err
		}
		return localProvider{l, ring}, nil
	case "vault":
		token, err := cfg.Vault.Token.Resolve()
		if err != nil {
			return nil, fmt.Errorf("kms.vault.token: %w", err)
		}
		ring := &VaultKeyRing{Address: cfg.Vault.Address, Token: token, Mount: cfg.Vault.Mount}
		root, err := wrappedRoot(ctx, ring, filepath.Join(dataDir, "kms-root.vault"))
		if err != nil {
			return nil, err
		}
		return rootProvider{root: root, ring: ring}, nil
	}
	return nil, fmt.Errorf("kms: provider %q is not available in this version", cfg.Provider)
}

type localProvider struct {
	*Local
	ring *LocalKeyRing
}

func (p localProvider) KeyRing() KeyRing { return p.ring }

// rootProvider derives keys from a root secret the KMS unwrapped.
type rootProvider struct {
	root []byte
	ring KeyRing
}

func (p rootProvider) KeyRing() KeyRing { return p.ring }

func (p rootProvider) DeriveKey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, p.root, nil, purpose, 32)
	if err != nil {
		panic("kms: hkdf: " + err.Error())
	}
	return k
}

// rootKey names the KMS key that wraps a provider's root secret.
const rootKey = "warden-root"

var rootAAD = []byte("warden/v1/root")

// wrappedRoot returns the root secret kept wrapped in path, creating it on
// first use: 256 random bits, wrapped by the KMS key "warden-root". The
// file is useless without the KMS, so it may sit beside the data.
func wrappedRoot(ctx context.Context, ring KeyRing, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		root, err := ring.Unwrap(ctx, rootKey, b, rootAAD)
		if err != nil {
			return nil, fmt.Errorf("kms: unwrapping the root secret in %s: %w", path, err)
		}
		return root, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kms: %w", err)
	}
	if err := ring.Ensure(ctx, rootKey); err != nil {
		return nil, err
	}
	root := make([]byte, 32)
	rand.Read(root)
	wrapped, err := ring.Wrap(ctx, rootKey, root, rootAAD)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	_, err = f.Write(wrapped)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	return root, nil
}
