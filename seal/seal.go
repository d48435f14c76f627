// Package seal encrypts stored payloads (prompts and responses) with
// envelope encryption: each payload under a fresh AES-256-GCM data key
// (DEK); each DEK wrapped by a key-encryption key (KEK) held in the KMS key
// ring, one KEK per (classification, retention period). Destroying a
// period's KEK when the period expires (crypto-shredding) makes every
// payload of that period unreadable at once, in the database and in every
// backup of it, without touching them.
//
// Associated data binds a sealed payload to its record id and
// classification (and its DEK to the same and to the KEK's name), so a
// stored payload cannot be swapped for another record's, moved to another
// classification, or rewrapped under another period's key.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/kms"
)

// Sealed is a sealed payload as stored.
type Sealed struct {
	Key        string // the KEK's name in the key ring
	WrappedDEK []byte // the DEK, wrapped under Key
	Ciphertext []byte // nonce || AES-256-GCM(DEK, payload)
}

// Sealer seals and opens payloads with keys from a key ring.
type Sealer struct {
	Ring kms.KeyRing
}

// Errors from Open.
var (
	ErrShredded = errors.New("seal: the payload's key was destroyed (crypto-shredded)")
	ErrOpen     = errors.New("seal: cannot open: tampered, or not this record's or classification's payload")
)

// KeyName is the KEK for a classification's payloads whose retention ends
// on periodEnd's UTC day: "kek.<classification>.<yyyymmdd>".
func KeyName(classification string, periodEnd time.Time) string {
	return "kek." + classification + "." + periodEnd.UTC().Format("20060102")
}

// ParseKeyName reads a KEK's name (KeyName): its classification and the
// day its retention period ends. Any other name (a root key's, say) is not
// a KEK: nothing is sealed under it, and nothing shreds it.
func ParseKeyName(name string) (classification string, periodEnd time.Time, ok bool) {
	rest, found := strings.CutPrefix(name, "kek.")
	if !found {
		return "", time.Time{}, false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || len(rest)-i-1 != 8 {
		return "", time.Time{}, false
	}
	end, err := time.Parse("20060102", rest[i+1:])
	if err != nil {
		return "", time.Time{}, false
	}
	return rest[:i], end, true
}

// ErrNotKEK: a key name that is not a KEK's.
var ErrNotKEK = errors.New("seal: not a key-encryption key's name")

const version = "warden-seal-v1"

// aad binds a payload (and its DEK) to what it is.
func aad(part byte, recordID, classification, key string) []byte {
	b := make([]byte, 0, len(version)+len(recordID)+len(classification)+len(key)+8)
	b = append(b, version...)
	b = append(b, 0, part)
	for _, s := range []string{recordID, classification, key} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b
}

// Seal encrypts payload for record recordID of classification under the
// KEK named key (created if needed; see KeyName).
func (s *Sealer) Seal(ctx context.Context, key, recordID, classification string, payload []byte) (Sealed, error) {
	if c, _, ok := ParseKeyName(key); !ok || c != classification {
		return Sealed{}, ErrNotKEK
	}
	if err := s.Ring.Ensure(ctx, key); err != nil {
		return Sealed{}, fmt.Errorf("seal: %w", err)
	}
	var dek [32]byte
	rand.Read(dek[:])
	a, err := gcm(dek[:])
	if err != nil {
		return Sealed{}, err
	}
	ct := make([]byte, a.NonceSize(), a.NonceSize()+len(payload)+a.Overhead())
	rand.Read(ct)
	ct = a.Seal(ct, ct, payload, aad('p', recordID, classification, key))
	wrapped, err := s.Ring.Wrap(ctx, key, dek[:], aad('k', recordID, classification, key))
	clear(dek[:])
	if err != nil {
		return Sealed{}, fmt.Errorf("seal: %w", err)
	}
	return Sealed{Key: key, WrappedDEK: wrapped, Ciphertext: ct}, nil
}

// Open decrypts a payload sealed for record recordID of classification.
func (s *Sealer) Open(ctx context.Context, sealed Sealed, recordID, classification string) ([]byte, error) {
	if c, _, ok := ParseKeyName(sealed.Key); !ok || c != classification {
		return nil, ErrOpen // a row naming another key (a root key, another class's)
	}
	dek, err := s.Ring.Unwrap(ctx, sealed.Key, sealed.WrappedDEK, aad('k', recordID, classification, sealed.Key))
	switch {
	case errors.Is(err, kms.ErrDestroyed):
		return nil, ErrShredded
	case errors.Is(err, kms.ErrUnwrap):
		return nil, ErrOpen
	case err != nil:
		return nil, fmt.Errorf("seal: %w", err)
	}
	a, err := gcm(dek)
	clear(dek)
	if err != nil {
		return nil, err
	}
	ns := a.NonceSize()
	if len(sealed.Ciphertext) < ns {
		return nil, ErrOpen
	}
	p, err := a.Open(nil, sealed.Ciphertext[:ns], sealed.Ciphertext[ns:], aad('p', recordID, classification, sealed.Key))
	if err != nil {
		return nil, ErrOpen
	}
	return p, nil
}

// Shred destroys the KEK named key: every payload sealed under it is
// unreadable from then on, wherever a copy of it is.
func (s *Sealer) Shred(ctx context.Context, key string) error {
	if _, _, ok := ParseKeyName(key); !ok {
		return ErrNotKEK
	}
	if err := s.Ring.Destroy(ctx, key); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(b)
}

// Marshal encodes a sealed payload for storage: "ws1" || u8 len(key) ||
// key || u16 len(wrapped DEK) || wrapped DEK || ciphertext.
func (s Sealed) Marshal() []byte {
	b := make([]byte, 0, 3+1+len(s.Key)+2+len(s.WrappedDEK)+len(s.Ciphertext))
	b = append(b, "ws1"...)
	b = append(b, byte(len(s.Key)))
	b = append(b, s.Key...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.WrappedDEK)))
	b = append(b, s.WrappedDEK...)
	return append(b, s.Ciphertext...)
}

// ErrFormat: stored bytes are not a sealed payload.
var ErrFormat = errors.New("seal: not a sealed payload")

// Unmarshal decodes what Marshal encoded.
func Unmarshal(b []byte) (Sealed, error) {
	if len(b) < 4 || string(b[:3]) != "ws1" {
		return Sealed{}, ErrFormat
	}
	n := int(b[3])
	b = b[4:]
	if len(b) < n+2 {
		return Sealed{}, ErrFormat
	}
	key := string(b[:n])
	b = b[n:]
	w := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < w {
		return Sealed{}, ErrFormat
	}
	return Sealed{Key: key, WrappedDEK: b[:w:w], Ciphertext: b[w:]}, nil
}
