package kms

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rootKey names the KMS key that wraps a provider's root secret at first;
// each rotation makes the next generation, "warden-root.2" and so on.
const rootKey = "warden-root"

var rootAAD = []byte("warden/v1/root")

// rootFile is what data_dir/kms-root.<provider> holds: the root secret,
// wrapped by the named key of the KMS. A file written before rotation
// existed holds the bare wrapped secret (key "warden-root").
type rootFile struct {
	Key     string `json:"key"`
	Wrapped []byte `json:"wrapped"`
}

func readRootFile(path string) (rootFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return rootFile{}, err
	}
	if !bytes.HasPrefix(b, []byte("{")) {
		return rootFile{Key: rootKey, Wrapped: b}, nil
	}
	var f rootFile
	if err := json.Unmarshal(b, &f); err != nil || !validName(f.Key) || len(f.Wrapped) == 0 {
		return rootFile{}, fmt.Errorf("kms: %s is not a wrapped root secret", path)
	}
	return f, nil
}

// writeRootFile replaces path with f, atomically and durably.
func writeRootFile(path string, f rootFile, exclusive bool) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("kms: %w", err)
	}
	if err := writeFileAtomic(path, append(b, '\n'), exclusive); err != nil {
		return fmt.Errorf("kms: %w", err)
	}
	return nil
}

// writeFileAtomic writes b to path through a synced temporary file in the
// same directory: renamed over path, or (exclusive) linked to it so that an
// existing file wins with fs.ErrExist.
func writeFileAtomic(path string, b []byte, exclusive bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if exclusive {
		err = os.Link(tmp.Name(), path)
	} else {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// wrappedRoot returns the root secret kept wrapped in path, creating it on
// first use: 256 random bits, wrapped by the KMS key "warden-root". The
// file is useless without the KMS, so it may sit beside the data.
func wrappedRoot(ctx context.Context, ring KeyRing, path string) ([]byte, error) {
	f, err := readRootFile(path)
	if err == nil {
		root, err := ring.Unwrap(ctx, f.Key, f.Wrapped, rootAAD)
		if err != nil {
			return nil, fmt.Errorf("kms: unwrapping the root secret in %s with key %s: %w", path, f.Key, err)
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
	if err := writeRootFile(path, rootFile{Key: rootKey, Wrapped: wrapped}, true); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process made it first: use theirs
			return wrappedRoot(ctx, ring, path)
		}
		return nil, err
	}
	return root, nil
}

// rootGeneration is n for warden-root.n, 1 for warden-root, 0 for other
// names.
func rootGeneration(name string) int {
	if name == rootKey {
		return 1
	}
	if rest, ok := strings.CutPrefix(name, rootKey+"."); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 2 && strconv.Itoa(n) == rest {
			return n
		}
	}
	return 0
}

func rootKeyName(gen int) string {
	if gen == 1 {
		return rootKey
	}
	return rootKey + "." + strconv.Itoa(gen)
}

// rotateWrappedRoot re-wraps the root secret in path under a new root key
// of ring (the next generation), and destroys every older generation if
// asked. The secret stays the same, so running gateways (which hold it in
// memory) are not disturbed.
func rotateWrappedRoot(ctx context.Context, ring KeyRing, path string, destroyPrevious bool) (Rotation, error) {
	f, err := readRootFile(path)
	if err != nil {
		return Rotation{}, fmt.Errorf("kms: %w", err)
	}
	root, err := ring.Unwrap(ctx, f.Key, f.Wrapped, rootAAD)
	if err != nil {
		return Rotation{}, fmt.Errorf("kms: unwrapping the root secret in %s with key %s: %w", path, f.Key, err)
	}
	gen := rootGeneration(f.Key)
	if gen == 0 {
		return Rotation{}, fmt.Errorf("kms: the root secret in %s is wrapped by %s, not a warden-root key", path, f.Key)
	}
	next := rootKeyName(gen + 1)
	if err := ring.Ensure(ctx, next); err != nil {
		return Rotation{}, err
	}
	wrapped, err := ring.Wrap(ctx, next, root, rootAAD)
	if err != nil {
		return Rotation{}, err
	}
	if err := writeRootFile(path, rootFile{Key: next, Wrapped: wrapped}, false); err != nil {
		return Rotation{}, err
	}
	if again, err := wrappedRoot(ctx, ring, path); err != nil || !bytes.Equal(again, root) {
		return Rotation{}, fmt.Errorf("kms: the re-wrapped root secret in %s does not read back (%v); the previous key %s is kept", path, err, f.Key)
	}
	r := Rotation{Previous: f.Key, Current: next, Rewrapped: 1}
	if destroyPrevious {
		r.Destroyed, err = retireRoots(ctx, ring, next)
	}
	return r, err
}

// retireRoots destroys every root key generation older than current.
func retireRoots(ctx context.Context, ring KeyRing, current string) ([]string, error) {
	var gone []string
	for g := 1; g < rootGeneration(current); g++ {
		name := rootKeyName(g)
		if err := ring.Destroy(ctx, name); err != nil {
			return gone, err
		}
		gone = append(gone, name)
	}
	return gone, nil
}

// Rotation is what a root key rotation did.
type Rotation struct {
	Previous  string   `json:"previous"`  // the old root key
	Current   string   `json:"current"`   // the new one
	Rewrapped int      `json:"rewrapped"` // what was re-wrapped under it: the root secret, and local key-encryption keys
	Destroyed []string `json:"destroyed"` // the root keys destroyed
}
