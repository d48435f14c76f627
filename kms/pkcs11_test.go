//go:build pkcs11

package kms_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/wardentest"
)

// TestPKCS11EnsureOnce: many goroutines ensuring one key at once make one
// key on the token.
func TestPKCS11EnsureOnce(t *testing.T) {
	ctx := context.Background()
	cfg := wardentest.SoftHSM(t)
	pin, _ := cfg.PIN.Resolve()
	ring, err := kms.OpenPKCS11(cfg.Module, cfg.TokenLabel, pin)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	c, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: pin})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 20 {
		name := fmt.Sprintf("kek.once.%d", i)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 16 {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; ring.Ensure(ctx, name) }()
		}
		close(start)
		wg.Wait()
		if ks, _ := c.FindKeys(nil, []byte(name)); len(ks) != 1 {
			t.Fatalf("%s: %d keys on the token", name, len(ks))
		}
	}
}
