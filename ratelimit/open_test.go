package ratelimit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/ratelimit"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	l, closeFn, err := ratelimit.Open(ctx, config.RateLimit{})
	if err != nil || l == nil {
		t.Fatalf("memory: %v", err)
	}
	closeFn()

	// Errors never carry the URL's password.
	for _, url := range []string{"http://:hunter2@127.0.0.1:6379", "redis://:hunter2@127.0.0.1:1/0"} {
		_, _, err := ratelimit.Open(ctx, config.RateLimit{Driver: "redis", URL: config.Secret(url)})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: %v", url, err)
		}
	}
	_, _, err = ratelimit.Open(ctx, config.RateLimit{Driver: "redis", URL: "env:WARDEN_TEST_NO_SUCH_VAR"})
	if err == nil || !strings.Contains(err.Error(), "ratelimit.url") {
		t.Fatalf("unset reference: %v", err)
	}
}
