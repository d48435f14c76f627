package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// GenerateKey writes a new checkpoint signing key named origin to path
// (0600; refused if the file exists) and its verifier key beside it, with
// the extension .pub (0644).
func GenerateKey(path, origin string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	_, err = f.WriteString(skey + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	pub := strings.TrimSuffix(path, filepath.Ext(path)) + ".pub"
	return os.WriteFile(pub, []byte(vkey+"\n"), 0o644)
}

// Key is a checkpoint signing key and its verifier key.
type Key struct {
	Signer   note.Signer
	Verifier string // "<origin>+<hash>+<key>", what /audit/key serves
}

// LoadKey reads a signing key file (as GenerateKey writes it) and derives
// its verifier key.
func LoadKey(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("audit key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	s, err := note.NewSigner(skey)
	if err != nil {
		return Key{}, errors.New("audit key: not a note signer key")
	}
	// PRIVATE+KEY+<name>+<hash>+<base64(0x01 || ed25519 seed)>
	// (names hold no '+'; the base64 key may)
	f := strings.SplitN(skey, "+", 5)
	if len(f) != 5 {
		return Key{}, errors.New("audit key: not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return Key{}, errors.New("audit key: not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return Key{}, fmt.Errorf("audit key: %w", err)
	}
	return Key{Signer: s, Verifier: vkey}, nil
}
