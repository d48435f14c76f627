//go:build !pkcs11

package kms

import "errors"

// PKCS11Available reports whether this binary was built with PKCS#11
// support (build tag pkcs11; it needs cgo).
const PKCS11Available = false

// PKCS11KeyRing is only available with the build tag pkcs11.
type PKCS11KeyRing struct{ KeyRing }

// OpenPKCS11 fails: this binary was built without PKCS#11 support.
func OpenPKCS11(module, tokenLabel, pin string) (*PKCS11KeyRing, error) {
	return nil, errors.New("kms: provider pkcs11: this binary was built without PKCS#11 support (build it with `go build -tags pkcs11`, which needs cgo)")
}

// Close does nothing.
func (r *PKCS11KeyRing) Close() error { return nil }
