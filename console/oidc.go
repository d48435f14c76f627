package console

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
)

// OIDC signs people in with the authorisation code flow and PKCE (S256),
// with state and nonce, and verifies the ID token with auth.OIDC, the
// verifier the API uses for bearer tokens (issuer, audience = client id,
// signature from the issuer's JWKS, expiry).
type OIDC struct {
	cfg      config.ConsoleOIDC
	redirect string // URL/console/oidc/callback
	client   *http.Client
	verifier *auth.OIDC
	secret   string

	mu   sync.Mutex
	disc *discovery
}

type discovery struct {
	Issuer   string `json:"issuer"`
	AuthURL  string `json:"authorization_endpoint"`
	TokenURL string `json:"token_endpoint"`
}

// NewOIDC prepares sign-in with cfg; base is console.url.
func NewOIDC(cfg config.ConsoleOIDC, base string, client *http.Client, now func() time.Time) (*OIDC, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "profile", "email", "groups"}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if len(cfg.MFA) == 0 {
		cfg.MFA = config.DefaultOIDCMFA
	}
	v, err := auth.NewOIDC([]config.OIDC{{Issuer: cfg.Issuer, Audience: cfg.ClientID, GroupsClaim: cfg.GroupsClaim,
		Leeway: config.Duration(30 * time.Second)}}, auth.OIDCOptions{Client: client, Now: now, CacheSize: -1})
	if err != nil {
		return nil, fmt.Errorf("console.oidc: %w", err)
	}
	o := &OIDC{cfg: cfg, redirect: strings.TrimRight(base, "/") + "/console/oidc/callback", client: client, verifier: v}
	if cfg.ClientSecret != "" {
		if o.secret, err = cfg.ClientSecret.Resolve(); err != nil {
			return nil, fmt.Errorf("console.oidc.client_secret: %w", err)
		}
	}
	return o, nil
}

func (o *OIDC) discover(ctx context.Context) (*discovery, error) {
	o.mu.Lock()
	d := o.disc
	o.mu.Unlock()
	if d != nil {
		return d, nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(o.cfg.Issuer, "/")+"/.well-known/openid-configuration", nil)
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidc discovery: status %d", resp.StatusCode)
	}
	d = &discovery{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(d); err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	if d.Issuer != o.cfg.Issuer || d.AuthURL == "" || d.TokenURL == "" {
		return nil, errors.New("oidc discovery: wrong issuer or no authorization/token endpoint")
	}
	o.mu.Lock()
	o.disc = d
	o.mu.Unlock()
	return d, nil
}

// AuthURL returns where to send the browser, for state, nonce and the
// PKCE verifier the caller keeps.
func (o *OIDC) AuthURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {o.cfg.ClientID}, "redirect_uri": {o.redirect},
		"scope": {strings.Join(o.cfg.Scopes, " ")}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	sep := "?"
	if strings.Contains(d.AuthURL, "?") {
		sep = "&"
	}
	return d.AuthURL + sep + q.Encode(), nil
}

// Claims are what sign-in takes from a verified ID token.
type Claims struct {
	Identity auth.Identity
	MFA      bool
}

// Exchange redeems code and verifies the ID token it brings, which must
// carry nonce.
func (o *OIDC) Exchange(ctx context.Context, code, verifier, nonce string) (Claims, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return Claims{}, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.redirect},
		"client_id": {o.cfg.ClientID}, "code_verifier": {verifier}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if o.secret != "" {
		req.SetBasicAuth(url.QueryEscape(o.cfg.ClientID), url.QueryEscape(o.secret))
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return Claims{}, fmt.Errorf("oidc token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return Claims{}, fmt.Errorf("oidc token: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.IDToken == "" {
		return Claims{}, errors.New("oidc token: no id_token")
	}
	return o.verifyIDToken(ctx, tok.IDToken, nonce)
}

// verifyIDToken checks tok with the API's verifier, then reads nonce, amr
// and acr from its (now authenticated) payload.
func (o *OIDC) verifyIDToken(ctx context.Context, tok, nonce string) (Claims, error) {
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	id, err := o.verifier.Authenticate(ctx, r)
	if err != nil {
		return Claims{}, err
	}
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, errors.New("oidc: id token payload")
	}
	var c struct {
		Nonce string `json:"nonce"`
		AMR   []any  `json:"amr"`
		ACR   any    `json:"acr"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, errors.New("oidc: id token claims")
	}
	if nonce == "" || c.Nonce != nonce {
		return Claims{}, errors.New("oidc: id token nonce does not match the sign-in")
	}
	mfa := false
	for _, a := range c.AMR {
		if s, ok := a.(string); ok && slices.Contains(o.cfg.MFA, s) {
			mfa = true
		}
	}
	if s, ok := c.ACR.(string); ok && slices.Contains(o.cfg.MFA, s) {
		mfa = true
	}
	out := *id
	out.Type = "oidc"
	return Claims{Identity: out, MFA: mfa}, nil
}
