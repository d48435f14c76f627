package pipeline

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRouteTarget: an act's target is the value of its route's last
// single-segment wildcard, bounded and reduced to a safe alphabet.
func TestRouteTarget(t *testing.T) {
	long := strings.Repeat("a", 100)
	for _, tt := range []struct{ pattern, path, want string }{
		{"POST /admin/v1/keys/{id}/revoke", "/admin/v1/keys/key_1/revoke", "key_1"},
		{"GET /admin/v1/audit/records/{index}/payload", "/admin/v1/audit/records/42/payload", "42"},
		{"POST /admin/v1/keys/{id}/revoke", "/admin/v1/keys/%0d%0a%22%3C/revoke", "????"},
		{"POST /admin/v1/keys/{id}/revoke", "/admin/v1/keys/" + long + "/revoke", long[:maxTarget]},
		{"POST /admin/v1/keys/{id}/revoke", "/admin/v1/keys/%C3%A9/revoke", "??"},
		{"GET /audit/tile/{path...}", "/audit/tile/0/1", ""},
		{"GET /v1/models", "/v1/models", ""},
		{"POST /x/{a}/{b}/{$}", "/x/1/2/", "2"},
	} {
		mux := http.NewServeMux()
		var got string
		mux.HandleFunc(tt.pattern, func(w http.ResponseWriter, r *http.Request) { got = routeTarget(r) })
		method, _, _ := strings.Cut(tt.pattern, " ")
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, tt.path, nil))
		if got != tt.want {
			t.Errorf("%s %s: target %q, want %q", tt.pattern, tt.path, got, tt.want)
		}
	}
}
