package kms

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
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
	// Close releases the provider's connection to the KMS, if it holds one.
	Close() error
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
		return localProvider{Local: l, ring: ring}, nil
	case "awskms", "gcpkms", "azurekeyvault":
		m, keyFile, err := cloudMaster(ctx, cfg)
		if err != nil {
			return nil, err
		}
		l, err := loadLocal(keyFile, m)
		if err == nil {
			var ring *LocalKeyRing
			if ring, err = l.KeyRing(KeyRingDir(keyFile)); err == nil {
				return localProvider{Local: l, ring: ring, close: m.k.Close}, nil
			}
		}
		m.k.Close()
		return nil, err
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
	case "pkcs11":
		pin, err := cfg.PKCS11.PIN.Resolve()
		if err != nil {
			return nil, fmt.Errorf("kms.pkcs11.pin: %w", err)
		}
		ring, err := OpenPKCS11(cfg.PKCS11.Module, cfg.PKCS11.TokenLabel, pin)
		if err != nil {
			return nil, err
		}
		root, err := wrappedRoot(ctx, ring, filepath.Join(dataDir, "kms-root.pkcs11"))
		if err != nil {
			ring.Close()
			return nil, err
		}
		return rootProvider{root: root, ring: ring, close: ring.Close}, nil
	}
	return nil, fmt.Errorf("kms: provider %q is not available in this version", cfg.Provider)
}

// localProvider is a local key ring under a master key: a plain key file
// (local) or one wrapped by a cloud KMS.
type localProvider struct {
	*Local
	ring  *LocalKeyRing
	close func() error
}

func (p localProvider) KeyRing() KeyRing { return p.ring }

func (p localProvider) Close() error {
	if p.close == nil {
		return nil
	}
	return p.close()
}

// rootProvider derives keys from a root secret the KMS unwrapped.
type rootProvider struct {
	root  []byte
	ring  KeyRing
	close func() error
}

func (p rootProvider) KeyRing() KeyRing { return p.ring }

func (p rootProvider) Close() error {
	if p.close == nil {
		return nil
	}
	return p.close()
}

func (p rootProvider) DeriveKey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, p.root, nil, purpose, 32)
	if err != nil {
		panic("kms: hkdf: " + err.Error())
	}
	return k
}
