package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a verified C2SP tlog-checkpoint: the log named Origin had
// Size entries with Merkle root Root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   tlog.Hash
	Note   []byte // the signed note exactly as read
}

// Tree returns the checkpoint as a tlog.Tree.
func (c Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: int64(c.Size), Hash: c.Root} }

// emptyRoot is the RFC 6962 root of the empty tree, SHA-256 of nothing.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// OpenCheckpoint checks that msg is a checkpoint signed by verifierKey
// ("<name>+<hash>+<key>", as note.GenerateKey makes it), that its origin line
// is the key's name, and parses it.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fail(BadKey, -1, "unusable verifier key", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, fail(BadSignature, -1,
				fmt.Sprintf("checkpoint is not signed by key %s (hash %08x): it comes from another log or key", v.Name(), v.KeyHash()), nil)
		case errors.As(err, &invalid):
			return Checkpoint{}, fail(BadSignature, -1, "checkpoint signature is invalid: the checkpoint was altered", nil)
		default:
			return Checkpoint{}, fail(Malformed, -1, "checkpoint is not a signed note", err)
		}
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fail(WrongOrigin, -1,
			fmt.Sprintf("checkpoint origin is %q, want %q (the key's name)", c.Origin, v.Name()), nil)
	}
	c.Note = bytes.Clone(msg)
	return c, nil
}

// ReadCheckpoint reads src's checkpoint and opens it with verifierKey.
func ReadCheckpoint(ctx context.Context, src Source, verifierKey string) (Checkpoint, error) {
	msg, err := src.ReadCheckpoint(ctx)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Checkpoint{}, fail(Missing, -1, "the log has no checkpoint", err)
		}
		return Checkpoint{}, fail(ReadFailed, -1, "cannot read the checkpoint", err)
	}
	return OpenCheckpoint(msg, verifierKey)
}

// parseCheckpoint parses a C2SP tlog-checkpoint body: origin, decimal size,
// base64 root hash, then optional non-empty extension lines.
func parseCheckpoint(text string) (Checkpoint, error) {
	bad := func(format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, fail(Malformed, -1, "malformed checkpoint: "+fmt.Sprintf(format, args...), nil)
	}
	if !strings.HasSuffix(text, "\n") {
		return bad("body does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return bad("want origin, size and root lines, got %d lines", len(lines))
	}
	origin, sizeText, rootText := lines[0], lines[1], lines[2]
	if origin == "" {
		return bad("empty origin line")
	}
	size, err := strconv.ParseUint(sizeText, 10, 64)
	if errors.Is(err, strconv.ErrRange) || err == nil && size > math.MaxInt64 {
		return bad("size %s is too large", sizeText)
	}
	if err != nil || sizeText[0] < '0' || sizeText[0] > '9' || (len(sizeText) > 1 && sizeText[0] == '0') {
		return bad("size %q is not a decimal number without leading zeros", sizeText)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(rootText)
	if err != nil || len(root) != tlog.HashSize {
		return bad("root %q is not the base64 of a 32-byte hash", rootText)
	}
	for i, l := range lines[3:] {
		if l == "" {
			return bad("extension line %d is empty", i+1)
		}
	}
	c := Checkpoint{Origin: origin, Size: size, Root: tlog.Hash(root)}
	if size == 0 && c.Root != emptyRoot {
		return bad("size 0 with a root other than the empty tree's")
	}
	return c, nil
}

// checkTree refuses a checkpoint the tlog functions cannot take. (Those made
// by OpenCheckpoint always pass.)
func (c Checkpoint) checkTree() error {
	if c.Size > math.MaxInt64 {
		return fail(BadRequest, -1, fmt.Sprintf("checkpoint size %d is too large", c.Size), nil)
	}
	return nil
}
