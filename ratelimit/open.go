package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/config"
)

// Open builds the limiter c names and returns it with a function that
// releases it: for driver redis, a client of the server at c.URL (resolved
// if it is an env: or file: reference) that has answered a PING within 5
// seconds; otherwise an in-memory limiter.
func Open(ctx context.Context, c config.RateLimit) (Limiter, func() error, error) {
	if c.Driver != "redis" {
		return NewMemory(), func() error { return nil }, nil
	}
	u := string(c.URL)
	if c.URL.IsRef() {
		var err error
		if u, err = c.URL.Resolve(); err != nil {
			return nil, nil, fmt.Errorf("ratelimit.url: %w", err)
		}
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, nil, errors.New("ratelimit.url: not a valid redis:// URL") // the URL may hold a password
	}
	rc := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rc.Ping(pctx).Err(); err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("ratelimit: redis at %s unreachable: %w", opts.Addr, err)
	}
	return NewRedis(rc, c.Prefix), rc.Close, nil
}
