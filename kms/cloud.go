package kms

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden/config"
)

// Cloud KMS providers (awskms, gcpkms, azurekeyvault) hold the master key
// of a local key ring wrapped by a key of the cloud KMS, reached through
// gocloud.dev/secrets (build tag cloudkms). The key file, and the key ring
// directory beside it, lie outside data_dir as with the local provider;
// neither is readable without the cloud KMS.

// CloudSettings returns the settings block of a cloud provider, or false.
func CloudSettings(cfg config.KMS) (config.CloudKMS, bool) {
	switch cfg.Provider {
	case "awskms":
		return cfg.AWSKMS, true
	case "gcpkms":
		return cfg.GCPKMS, true
	case "azurekeyvault":
		return cfg.AzureKeyVault, true
	}
	return config.CloudKMS{}, false
}

// cloudMaster opens the cloud KMS key cfg names, as the codec of its master
// key file, creating that file on first use.
func cloudMaster(ctx context.Context, cfg config.KMS) (*keeperMaster, string, error) {
	c, ok := CloudSettings(cfg)
	if !ok {
		return nil, "", fmt.Errorf("kms: unknown provider %q", cfg.Provider)
	}
	if !strings.HasPrefix(c.KeyURL, cfg.Provider+"://") {
		return nil, "", fmt.Errorf("kms.%s.key_url: want a %s:// URL", cfg.Provider, cfg.Provider)
	}
	k, err := openKeeper(ctx, c.KeyURL)
	if err != nil {
		return nil, "", err
	}
	m := &keeperMaster{k: k}
	if _, err := os.Stat(c.KeyFile); errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		b, err := m.encode(key)
		if err == nil {
			if err = os.MkdirAll(filepath.Dir(c.KeyFile), 0o700); err == nil {
				err = writeFileAtomic(c.KeyFile, b, true)
			}
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			k.Close()
			return nil, "", fmt.Errorf("kms: creating the wrapped master key %s: %w", c.KeyFile, err)
		}
	}
	return m, c.KeyFile, nil
}

// keeper is what Warden needs of a gocloud.dev/secrets Keeper.
type keeper interface {
	Encrypt(ctx context.Context, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error)
	Close() error
}

// keeperMaster is a master key file wrapped by a cloud KMS key: base64 of
// the KMS's ciphertext. The file need not be private; the key ring beside
// it must.
type keeperMaster struct {
	k keeper
}

// kmsTimeout bounds one call to a cloud KMS. Calls do not take the
// caller's context: a key file read while the gateway shuts down must
// still decode.
const kmsTimeout = 30 * time.Second

func (keeperMaster) private() bool { return false }

func (m *keeperMaster) encode(key []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kmsTimeout)
	defer cancel()
	ct, err := m.k.Encrypt(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("kms: wrapping the master key: %w", err)
	}
	return []byte(base64.StdEncoding.EncodeToString(ct) + "\n"), nil
}

func (m *keeperMaster) decode(b []byte) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, errors.New("kms: the master key file is not a wrapped key")
	}
	ctx, cancel := context.WithTimeout(context.Background(), kmsTimeout)
	defer cancel()
	key, err := m.k.Decrypt(ctx, ct)
	if err != nil {
		return nil, fmt.Errorf("kms: unwrapping the master key: %w", err)
	}
	if len(key) != 32 {
		return nil, errors.New("kms: the wrapped master key is not a 256-bit key")
	}
	return key, nil
}
