package pipeline_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/pipeline"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/ratelimit"
	"github.com/wardenhq/warden/store"
	"github.com/wardenhq/warden/upstream"
	"github.com/wardenhq/warden/wardentest"
)

// BenchmarkAdmit measures authenticate + authorize + limit for one request:
// with an API key (cached under the SQLite store's key version, one fstat a
// request, so a revocation still reaches the next request) and with a
// cached OIDC token; limited by requests per minute
// alone, and with a tokens-per-minute budget too (which adds the offline
// token count of the prompt), both in memory.
func BenchmarkAdmit(b *testing.B) {
	roles := []config.Role{
		{Name: "rpm", Groups: []string{"rpm"}, Models: []string{"m"}, Capabilities: []string{"chat"},
			Limits: config.Limits{RequestsPerMinute: 1 << 40}},
		{Name: "rpm+tpm", Groups: []string{"rpm+tpm"}, Models: []string{"m"}, Capabilities: []string{"chat"},
			Limits: config.Limits{RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 40}},
	}
	routes, _ := upstream.Build([]config.Model{{Name: "m", Builtin: "demo"}}, nil)
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"Hello there"}]}`)
	req, _ := pipeline.ParseRequest(body)

	db, err := store.Open(context.Background(), "sqlite", filepath.Join(b.TempDir(), "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hasher := auth.NewHasher(make([]byte, 32))
	issue := func(role string) string {
		secret, _, err := auth.IssueKey(context.Background(), db, hasher, auth.KeySpec{Name: "k", Role: role}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		return secret
	}
	idp := wardentest.NewIdP(b, wardentest.IdPOptions{})
	oidc, err := auth.NewOIDC([]config.OIDC{idp.Config()}, auth.OIDCOptions{})
	if err != nil {
		b.Fatal(err)
	}

	env := &pipeline.Env{
		Authenticators: []auth.Authenticator{&auth.APIKeys{Keys: db, Hasher: hasher, Usage: auth.NewUsage(), Now: time.Now, Version: db.KeysVersion}, oidc},
		Policy:         policy.Compile(roles),
		Routes:         routes,
		Limiter:        ratelimit.NewMemory(),
	}
	ok := func(http.ResponseWriter, *http.Request, *pipeline.Exchange) error { return nil }
	admit := pipeline.Admit(ok)
	for _, tc := range []struct{ name, bearer string }{
		{"apikey/rpm", issue("rpm")},
		{"apikey/rpm+tpm", issue("rpm+tpm")},
		{"oidc-cached/rpm", idp.Token(map[string]any{"groups": []string{"rpm"}})},
		{"oidc-cached/rpm+tpm", idp.Token(map[string]any{"groups": []string{"rpm+tpm"}})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
			r.Header.Set("Authorization", "Bearer "+tc.bearer)
			w := httptest.NewRecorder()
			x := &pipeline.Exchange{Env: env, Endpoint: pipeline.ChatCompletions, ClientIP: netip.MustParseAddr("10.0.0.1"),
				Request: req, Body: body, Route: routes.Lookup("m")}
			if err := admit(w, r, x); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				x.Identity, x.Decision = nil, policy.Decision{}
				if err := admit(w, r, x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
