package auth_test

import (
	"net/http"
	"testing"

	"github.com/wardenhq/warden/auth"
)

// FuzzBearer: parsing credentials never panics, and only strings that
// WellFormed accepts could ever reach the store.
func FuzzBearer(f *testing.F) {
	f.Add("Bearer " + auth.NewKey())
	f.Add("bearer wdn_")
	f.Add("Bearer  wdn_\x00")
	f.Add("Basic dXNlcjpwYXNz")
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		tok := auth.BearerToken(r)
		if auth.WellFormed(tok) && len(tok) != auth.KeyLen {
			t.Fatalf("accepted %q", tok)
		}
	})
}
