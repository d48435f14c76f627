//go:build cloudkms

package kms

import (
	"context"
	"fmt"

	"gocloud.dev/secrets"
	_ "gocloud.dev/secrets/awskms"        // awskms://
	_ "gocloud.dev/secrets/azurekeyvault" // azurekeyvault://
	_ "gocloud.dev/secrets/gcpkms"        // gcpkms://
)

// CloudAvailable reports whether this binary was built with the cloud KMS
// providers (build tag cloudkms).
const CloudAvailable = true

// openKeeper opens a gocloud.dev/secrets keeper; credentials come from the
// cloud's usual environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_*).
func openKeeper(ctx context.Context, url string) (keeper, error) {
	k, err := secrets.OpenKeeper(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("kms: opening %s: %w", url, err)
	}
	return k, nil
}
