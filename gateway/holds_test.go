package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

// TestHoldsAPI: admins place, list and release holds; others may not.
func TestHoldsAPI(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	chat := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	code, b := status(send(t, g, "POST", "/admin/v1/holds", admin, `{"case":"case-3","principal":"apikey:key_1","since":"2026-01-01"}`))
	var h struct {
		ID        string `json:"id"`
		CreatedBy string `json:"created_by"`
		Since     string `json:"since"`
	}
	if code != 201 || json.Unmarshal(b, &h) != nil || h.ID == "" || !strings.HasPrefix(h.CreatedBy, "apikey:") || h.Since != "2026-01-01T00:00:00Z" {
		t.Fatalf("create: %d %s", code, b)
	}
	for _, bad := range []string{`{}`, `{"case":"c","since":"yesterday-ish"}`, `not json`} {
		if code, b := status(send(t, g, "POST", "/admin/v1/holds", admin, bad)); code != 400 {
			t.Errorf("create %s: %d %s", bad, code, b)
		}
	}
	if code, _ := status(send(t, g, "POST", "/admin/v1/holds", chat, `{"case":"c"}`)); code != 403 {
		t.Fatalf("create without admin: %d", code)
	}
	if code, b := status(send(t, g, "GET", "/admin/v1/holds", admin, "")); code != 200 || !strings.Contains(string(b), h.ID) || !strings.Contains(string(b), `"active":true`) {
		t.Fatalf("list: %d %s", code, b)
	}
	if code, b := status(send(t, g, "POST", "/admin/v1/holds/"+h.ID+"/release", admin, "")); code != 200 {
		t.Fatalf("release: %d %s", code, b)
	}
	if code, _ := status(send(t, g, "POST", "/admin/v1/holds/"+h.ID+"/release", admin, "")); code != 409 {
		t.Fatalf("second release: %d", code)
	}
	if code, _ := status(send(t, g, "POST", "/admin/v1/holds/hold_nope/release", admin, "")); code != 404 {
		t.Fatalf("unknown: %d", code)
	}
}

// status is a response's status code and body.
func status(res *http.Response, b []byte) (int, []byte) { return res.StatusCode, b }
