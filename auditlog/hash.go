// Package auditlog is Warden's audit record and, as it grows, the verifiable
// log of them. This file defines the keyed content hashes that records
// carry instead of content (prompt_hash, response_hash), precisely enough
// that `warden audit hash` reproduces one from the text a user typed.
package auditlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// Prefix starts every content hash: the algorithm, as docs/audit.md writes it.
const Prefix = "hmac-sha256:"

// domain separates content hashes from every other use of their key.
const domain = "warden-content-v1"

// Part is one piece of content: who it is from (a message role, or a kind
// such as "prompt", "input", "assistant.tool_call") and its text.
type Part struct {
	Role string
	Text string
}

// Hasher computes content hashes under a secret key (derived from the KMS
// master key): HMAC-SHA256(key, "warden-content-v1" || for each part:
// u8(len(role)) || role || SHA-256(text)), written "hmac-sha256:<hex>".
// Hashing each part's text first makes the encoding unambiguous whatever
// the text holds, and lets streamed text be hashed as it passes. A plain
// digest is never used: a short prompt's digest can be confirmed by guessing.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed with key.
func NewHasher(key []byte) *Hasher { return &Hasher{key: append([]byte(nil), key...)} }

// Sum returns the content hash of parts.
func (h *Hasher) Sum(parts []Part) string {
	d := h.Begin()
	for _, p := range parts {
		d.Part(p.Role)
		d.Write([]byte(p.Text))
	}
	return d.Sum()
}

// Begin starts a hash built part by part: Part starts a part, Write adds to
// its text, Sum ends it and returns the hash.
func (h *Hasher) Begin() *Digest {
	d := &Digest{mac: hmac.New(sha256.New, h.key), text: sha256.New()}
	d.mac.Write([]byte(domain))
	return d
}

// Digest is a content hash being built.
type Digest struct {
	mac, text hash.Hash
	open      bool
}

// Part ends the current part, if any, and starts one from role. Roles are
// short ASCII names; one longer than 255 bytes is cut to 255.
func (d *Digest) Part(role string) {
	d.end()
	if len(role) > 255 {
		role = role[:255]
	}
	d.mac.Write([]byte{byte(len(role))})
	d.mac.Write([]byte(role))
	d.open = true
}

// Write adds to the current part's text.
func (d *Digest) Write(p []byte) (int, error) { return d.text.Write(p) }

func (d *Digest) end() {
	if d.open {
		d.mac.Write(d.text.Sum(nil))
		d.text.Reset()
		d.open = false
	}
}

// Sum ends the last part and returns the hash.
func (d *Digest) Sum() string {
	d.end()
	return Prefix + hex.EncodeToString(d.mac.Sum(nil))
}

// HashedPart is a part whose text was hashed already (SHA-256), as the
// upstream package does for a response while it passes.
type HashedPart struct {
	Role string
	Text [sha256.Size]byte
}

// SumHashed returns the content hash of parts whose texts are hashed
// already: the same value Sum gives for the texts themselves.
func (h *Hasher) SumHashed(parts []HashedPart) string {
	d := h.Begin()
	for _, p := range parts {
		d.Part(p.Role)
		d.open = false
		d.mac.Write(p.Text[:])
	}
	return d.Sum()
}
