package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// AzureMonitor sends events to the Azure Monitor Logs Ingestion API (for
// Microsoft Sentinel): POST <endpoint>/dataCollectionRules/<rule>/streams/
// <stream>?api-version=2023-01-01 with a JSON array, authenticated with
// an OAuth2 token of the client-credentials grant for scope
// https://monitor.azure.com/.default. Each row is {"TimeGenerated",
// "Origin", "LeafIndex", "Kind", "Record"} (the record as JSON).
type AzureMonitor struct {
	SinkName     string
	Endpoint     string // the data collection endpoint's logs ingestion URL
	RuleID       string // the data collection rule's immutable id (dcr-...)
	Stream       string // e.g. Custom-WardenAudit_CL
	TenantID     string
	ClientID     string
	ClientSecret string
	TokenURL     string // default https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
	Client       *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (a *AzureMonitor) Name() string { return a.SinkName }
func (a *AzureMonitor) Close() error { return nil }

// bearer returns a token, fetching one when none is valid for a minute.
func (a *AzureMonitor) bearer(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && time.Until(a.expires) > time.Minute {
		return a.token, nil
	}
	tokenURL := a.TokenURL
	if tokenURL == "" {
		tokenURL = "https://login.microsoftonline.com/" + url.PathEscape(a.TenantID) + "/oauth2/v2.0/token"
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret},
		"scope": {"https://monitor.azure.com/.default"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client(a.Client).Do(req)
	if err != nil {
		return "", fmt.Errorf("azure monitor: token: %w", stripURL(err))
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	if res.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return "", fmt.Errorf("azure monitor: token: HTTP %d %s", res.StatusCode, tok.Error)
	}
	a.token, a.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second)
	return a.token, nil
}

func (a *AzureMonitor) Send(ctx context.Context, events []Event) error {
	tok, err := a.bearer(ctx)
	if err != nil {
		return err
	}
	rows := make([]map[string]any, len(events))
	for i, e := range events {
		rows[i] = map[string]any{"TimeGenerated": e.Time.UTC().Format(time.RFC3339Nano), "Origin": e.Origin, "LeafIndex": e.Index,
			"Kind": e.Kind, "Record": json.RawMessage(e.Body)}
	}
	body, _ := json.Marshal(rows)
	u := strings.TrimSuffix(a.Endpoint, "/") + "/dataCollectionRules/" + url.PathEscape(a.RuleID) + "/streams/" + url.PathEscape(a.Stream) + "?api-version=2023-01-01"
	status, resp, err := httpPost(ctx, client(a.Client), u, body, http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}})
	if err != nil {
		return err
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		a.mu.Lock()
		a.token = "" // fetch a new one next time
		a.mu.Unlock()
	}
	if status != http.StatusNoContent && status != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(resp, &e)
		return fmt.Errorf("azure monitor: HTTP %d %s", status, e.Error.Code)
	}
	return nil
}
