package sink

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestAzureMonitor: against a token endpoint and a Logs Ingestion API that
// check what the real ones check (client credentials and scope; Bearer
// token, api-version, a JSON array), every record arrives once a token is
// had, and a token that stops working is fetched again.
func TestAzureMonitor(t *testing.T) {
	var mu sync.Mutex
	tokens, revoked := 0, ""
	rows := map[float64]bool{}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.URL.Path != "/tenant-1/oauth2/v2.0/token" || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != "app-1" ||
			r.Form.Get("client_secret") != "s3cret" || r.Form.Get("scope") != "https://monitor.azure.com/.default" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		mu.Lock()
		tokens++
		n := tokens
		mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-" + string(rune('0'+n))})
	}))
	defer idp.Close()
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer tok-") || auth == "Bearer "+revoked {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"InvalidToken","message":"expired"}}`)
			return
		}
		if r.URL.Path != "/dataCollectionRules/dcr-abc/streams/Custom-WardenAudit_CL" || r.URL.Query().Get("api-version") != "2023-01-01" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var got []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for _, row := range got {
			if row["Kind"] == "record" {
				rows[row["LeafIndex"].(float64)] = true
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ingest.Close()
	l, db := testLog(t, 200)
	az := &AzureMonitor{SinkName: "sentinel", Endpoint: ingest.URL, RuleID: "dcr-abc", Stream: "Custom-WardenAudit_CL",
		TenantID: "tenant-1", ClientID: "app-1", ClientSecret: "s3cret", TokenURL: idp.URL + "/tenant-1/oauth2/v2.0/token"}
	s := &Shipper{Sink: az, Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet, Batch: 50}
	ctx := context.Background()
	if _, err := s.ShipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	revoked = "tok-1"
	mu.Unlock()
	appendRecords(t, l, 200, 50)
	if _, err := s.ShipOnce(ctx); err == nil {
		t.Fatal("a refused token went unnoticed")
	}
	if _, err := s.ShipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(rows) != 250 || tokens != 2 {
		t.Fatalf("%d rows, %d tokens", len(rows), tokens)
	}
}
