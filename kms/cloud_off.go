//go:build !cloudkms

package kms

import (
	"context"
	"errors"
)

// CloudAvailable reports whether this binary was built with the cloud KMS
// providers (build tag cloudkms).
const CloudAvailable = false

func openKeeper(ctx context.Context, url string) (keeper, error) {
	return nil, errors.New("kms: this binary was built without the cloud KMS providers (build it with `go build -tags cloudkms`)")
}
