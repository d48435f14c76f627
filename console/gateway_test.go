package console_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// testOP is an OpenID Provider for the console's tests: discovery, JWKS,
// an authorisation endpoint that signs the configured person in at once,
// and a token endpoint that checks the code, redirect URI and PKCE
// verifier. Tokens are signed with wardentest.SignJWT.
type testOP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex
	codes  map[string]opCode
	claims map[string]any // the next sign-in's extra claims (groups, amr)
}

type opCode struct{ challenge, redirect, nonce, clientID string }

func newTestOP(t *testing.T) *testOP {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	op := &testOP{key: key, codes: map[string]opCode{}, claims: map[string]any{}}
	op.srv = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) setClaims(c map[string]any) { op.mu.Lock(); op.claims = c; op.mu.Unlock() }

func (op *testOP) serve(w http.ResponseWriter, r *http.Request) {
	u := op.srv.URL
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{"issuer": u, "authorization_endpoint": u + "/authorize",
			"token_endpoint": u + "/token", "jwks_uri": u + "/jwks"})
	case "/jwks":
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{wardentest.JWK(&op.key.PublicKey, "k1", "RS256")}})
	case "/authorize":
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
			http.Error(w, "want code with S256", http.StatusBadRequest)
			return
		}
		code := base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
		op.mu.Lock()
		op.codes[code] = opCode{q.Get("code_challenge"), q.Get("redirect_uri"), q.Get("nonce"), q.Get("client_id")}
		op.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	case "/token":
		r.ParseForm()
		op.mu.Lock()
		c, ok := op.codes[r.PostForm.Get("code")]
		delete(op.codes, r.PostForm.Get("code"))
		extra := op.claims
		op.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || c.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		claims := map[string]any{"iss": u, "aud": c.clientID, "sub": "alice", "nonce": c.nonce, "preferred_username": "alice",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range extra {
			claims[k] = v
		}
		tok, err := wardentest.SignJWT(map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}, claims, "RS256", op.key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id_token": tok, "access_token": "x", "token_type": "Bearer"})
	default:
		http.NotFound(w, r)
	}
}

// consoleRoles: auditors read the log, approvers approve, staff only
// chat, and "secure" auditors must have signed in with MFA.
func consoleRoles() []config.Role {
	return []config.Role{
		{Name: "auditor", Groups: []string{"auditors"}, Models: []string{"*"}, Capabilities: []string{"audit.read"}},
		{Name: "approver", Groups: []string{"approvers"}, Models: []string{"*"}, Capabilities: []string{"approve"}},
		{Name: "staff", Groups: []string{"staff"}, Models: []string{"*"}, Capabilities: []string{"chat"}},
		{Name: "secure", Groups: []string{"secure"}, Models: []string{"*"}, Capabilities: []string{"audit.read"}, RequireMFA: true},
		{Name: "chat-only", Models: []string{"gpt-test"}, Capabilities: []string{"chat", "stream"}},
		{Name: "admin", Models: []string{"*"}, Capabilities: append([]string(nil), config.Capabilities...)},
	}
}

// consoleGW is a gateway whose console is served over TLS at base.
type consoleGW struct {
	gw     *wardentest.Gateway
	base   string
	client *http.Client
	srv    *httptest.Server
}

// newConsoleGW starts a gateway with console.* as configure sets it (URL
// filled in), served by a TLS server at a port known in advance.
func newConsoleGW(t *testing.T, configure func(c *config.Console)) *consoleGW {
	return newConsoleGWWith(t, configure, nil)
}

// newConsoleGWWith is newConsoleGW with more of the configuration changed.
func newConsoleGWWith(t *testing.T, configure func(c *config.Console), more func(c *config.Config)) *consoleGW {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + ln.Addr().String()
	gw := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: consoleRoles(), Configure: func(c *config.Config) {
		c.Console.URL = base
		configure(&c.Console)
		if more != nil {
			more(c)
		}
	}})
	srv := httptest.NewUnstartedServer(gw.Server.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &consoleGW{gw: gw, base: base, srv: srv, client: newBrowser(srv)}
}

// newBrowser is a client with its own cookie jar that does not follow
// redirects by itself.
func newBrowser(srv *httptest.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	return &http.Client{Transport: c.Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func cGet(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func cPost(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// follow GETs u and its redirects, returning the last response.
func cFollow(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	for range 10 {
		resp, body := cGet(t, c, u)
		if resp.StatusCode/100 != 3 {
			return resp, body
		}
		next, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		u = next.String()
	}
	t.Fatal("too many redirects")
	return nil, ""
}

var (
	metaRefresh = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// signInOIDC signs in through the test OP and returns the landing page.
func (g *consoleGW) signInOIDC(t *testing.T, c *http.Client, next string) (*http.Response, string) {
	t.Helper()
	return cFollow(t, c, g.base+"/console/login/oidc?next="+url.QueryEscape(next))
}

func oidcConsole(op *testOP) func(c *config.Console) {
	return func(c *config.Console) {
		c.OIDC = &config.ConsoleOIDC{Issuer: op.srv.URL, ClientID: "warden-console"}
	}
}

func TestConsoleOIDCSignInSearchAndProof(t *testing.T) {
	op := newTestOP(t)
	g := newConsoleGW(t, oidcConsole(op))
	op.setClaims(map[string]any{"groups": []string{"auditors"}})

	// An unknown console path is a 404 page, as headers-strict as the rest.
	if resp, body := cGet(t, g.client, g.base+"/console/nope"); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "unknown console page") ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("unknown path: %d %s", resp.StatusCode, body)
	}
	// Without a session, a page sends the browser to sign in.
	resp, _ := cGet(t, g.client, g.base+"/console/audit")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
		t.Fatalf("no session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := g.signInOIDC(t, g.client, "/console/audit")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-warden_console" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie: %+v", session)
	}
	m := metaRefresh.FindStringSubmatch(body)
	if m == nil || html.UnescapeString(m[1]) != "/console/audit" {
		t.Fatalf("landing page does not lead to /console/audit: %s", body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}

	// The sign-in is in the audit trail, by the person's IdP identity.
	var idx string
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body = cGet(t, g.client, g.base+"/console/audit?principal="+url.QueryEscape(op.srv.URL+"#alice"))
		if m := regexp.MustCompile(`href="/console/audit/(\d+)">`).FindStringSubmatch(body); m != nil && strings.Contains(body, "console.sign_in") {
			idx = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sign-in record not found:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		resp, body = cGet(t, g.client, g.base+"/console/audit/"+idx)
		if resp.StatusCode == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // not yet covered by a checkpoint
	}
	if !strings.Contains(body, "Inclusion proof verified") || !strings.Contains(body, "auditors") {
		t.Fatalf("record page:\n%s", body)
	}

	// An auditor is not an approver.
	resp, _ = cGet(t, g.client, g.base+"/console/approvals")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("approvals without approve: %d", resp.StatusCode)
	}

	// Sign-out needs the CSRF token: none or a wrong one is refused.
	_, body = cGet(t, g.client, g.base+"/console/")
	tok := csrfField.FindStringSubmatch(body)
	if tok == nil {
		t.Fatalf("no csrf field:\n%s", body)
	}
	for _, v := range []url.Values{{}, {"csrf": {"forged"}}} {
		resp, _ = cPost(t, g.client, g.base+"/console/logout", v)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logout with csrf %q: %d", v.Get("csrf"), resp.StatusCode)
		}
	}
	resp, _ = cPost(t, g.client, g.base+"/console/logout", url.Values{"csrf": {tok[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	// The old cookie is worth nothing now.
	replay := newBrowser(g.srv)
	u, _ := url.Parse(g.base + "/console/")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/"}})
	resp, _ = cGet(t, replay, g.base+"/console/audit")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
		t.Fatalf("signed-out session: %d", resp.StatusCode)
	}
}

func TestConsoleRequireMFAAndRoles(t *testing.T) {
	op := newTestOP(t)
	g := newConsoleGW(t, oidcConsole(op))
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   int
	}{
		{"mfa role without amr", map[string]any{"groups": []string{"secure"}}, http.StatusForbidden},
		{"mfa role with password amr", map[string]any{"groups": []string{"secure"}, "amr": []string{"pwd"}}, http.StatusForbidden},
		{"mfa role with otp", map[string]any{"groups": []string{"secure"}, "amr": []string{"pwd", "otp"}}, http.StatusOK},
		{"no role", map[string]any{"groups": []string{"visitors"}}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op.setClaims(tc.claims)
			resp, body := g.signInOIDC(t, newBrowser(g.srv), "/console/")
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
}

func TestConsoleOIDCStateIsBound(t *testing.T) {
	op := newTestOP(t)
	g := newConsoleGW(t, oidcConsole(op))
	op.setClaims(map[string]any{"groups": []string{"auditors"}})
	// The victim's browser starts a sign-in; the attacker's browser, which
	// lacks the binding cookie, cannot finish it.
	resp, _ := cGet(t, g.client, g.base+"/console/login/oidc")
	resp, _ = cGet(t, newBrowser(g.srv), resp.Header.Get("Location"))
	cb := resp.Header.Get("Location")
	resp, _ = cGet(t, newBrowser(g.srv), cb)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback in another browser: %d", resp.StatusCode)
	}
}

// newKeyPair writes a self-signed RSA certificate and key under dir.
func newKeyPair(t *testing.T, dir, name string) (certFile, keyFile string, cert *x509.Certificate, key *rsa.PrivateKey) {
	key, _ = rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ = x509.ParseCertificate(der)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	return
}

// testIdP is crewjam's samlidp on httptest, with users and our SP.
type testIdP struct {
	srv *httptest.Server
	idp *samlidp.Server
}

func newTestIdP(t *testing.T) *testIdP {
	_, _, cert, key := newKeyPair(t, t.TempDir(), "idp")
	srv := httptest.NewUnstartedServer(nil)
	u, _ := url.Parse("http://" + srv.Listener.Addr().String())
	idp, err := samlidp.New(samlidp.Options{URL: *u, Key: key, Signer: key, Certificate: cert, Store: &samlidp.MemoryStore{},
		Logger: silentLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	ti := &testIdP{srv: srv, idp: idp}
	for user, groups := range map[string][]string{"carol": {"approvers", "auditors"}, "dave": {"staff"}} {
		pw := "pw-" + user
		b, _ := json.Marshal(samlidp.User{Name: user, Email: user + "@example.com", Groups: groups, PlaintextPassword: &pw})
		ti.put(t, "/users/"+user, string(b))
	}
	return ti
}

type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}
func (silentLogger) Print(...any)          {}
func (silentLogger) Println(...any)        {}
func (silentLogger) Fatal(...any)          {}
func (silentLogger) Fatalf(string, ...any) {}
func (silentLogger) Fatalln(...any)        {}
func (silentLogger) Panic(...any)          {}
func (silentLogger) Panicf(string, ...any) {}
func (silentLogger) Panicln(...any)        {}

func (ti *testIdP) put(t *testing.T, path, body string) {
	req, _ := http.NewRequest(http.MethodPut, ti.srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("IdP PUT %s: %v %v", path, err, resp)
	}
	resp.Body.Close()
}

// register gives the IdP the SP's metadata, fetched from its stable URL.
func (ti *testIdP) register(t *testing.T, g *consoleGW, name string) {
	resp, body := cGet(t, g.client, g.base+"/console/saml/metadata")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/console/saml/acs") {
		t.Fatalf("SP metadata: %d %s", resp.StatusCode, body)
	}
	// Signed, not encrypted, assertions (as many IdPs send): the IdP
	// encrypts only to an SP that publishes an encryption key.
	body = regexp.MustCompile(`(?s)<KeyDescriptor use="encryption">.*?</KeyDescriptor>`).ReplaceAllString(body, "")
	ti.put(t, "/services/"+name, body)
}

var hiddenField = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)

// samlResponse signs user in at the IdP for the SAML request behind
// loginURL (the IdP's SSO URL) and returns the form the IdP would post.
func (ti *testIdP) samlResponse(t *testing.T, sso string, user string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	u, _ := url.Parse(sso)
	resp, err := c.PostForm(ti.srv.URL+"/login", url.Values{"user": {user}, "password": {"pw-" + user}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("IdP login: %v %v", err, resp)
	}
	resp.Body.Close()
	_, body := cGet(t, c, u.String())
	return formOf(t, body)
}

func formOf(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("SAMLResponse") == "" {
		t.Fatalf("no SAMLResponse in:\n%s", body)
	}
	return v
}

func samlConsole(t *testing.T, ti *testIdP, idpInitiated bool) func(c *config.Console) {
	certFile, keyFile, _, _ := newKeyPair(t, t.TempDir(), "sp")
	return func(c *config.Console) {
		c.SAML = &config.ConsoleSAML{IdPMetadataURL: ti.srv.URL + "/metadata", CertFile: certFile, KeyFile: keyFile,
			GroupsAttribute: "eduPersonAffiliation", AllowIdPInitiated: idpInitiated}
	}
}

func TestConsoleSAML(t *testing.T) {
	ti := newTestIdP(t)
	g := newConsoleGW(t, samlConsole(t, ti, true))
	ti.register(t, g, "warden")

	// SP-initiated: the console's request, the IdP's signed answer.
	startSAML := func(c *http.Client) string {
		resp, _ := cGet(t, c, g.base+"/console/login/saml?next="+url.QueryEscape("/console/approvals"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	form := ti.samlResponse(t, startSAML(g.client), "carol")
	resp, body := cPost(t, g.client, g.base+"/console/saml/acs", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/console/approvals") {
		t.Fatalf("ACS: %d %s", resp.StatusCode, body)
	}
	resp, body = cGet(t, g.client, g.base+"/console/approvals")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "carol@example.com") {
		t.Fatalf("approvals after SAML sign-in: %d %s", resp.StatusCode, body)
	}

	// Replayed: the same response, again, in another browser.
	resp, _ = cPost(t, newBrowser(g.srv), g.base+"/console/saml/acs", form)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replayed assertion: %d", resp.StatusCode)
	}

	// Forged: a valid response with its subject changed.
	b2 := newBrowser(g.srv)
	form = ti.samlResponse(t, startSAML(b2), "dave")
	raw, _ := base64.StdEncoding.DecodeString(form.Get("SAMLResponse"))
	forged := strings.ReplaceAll(string(raw), "dave@example.com", "carol@example.com")
	forged = strings.ReplaceAll(forged, ">staff<", ">approvers<")
	form.Set("SAMLResponse", base64.StdEncoding.EncodeToString([]byte(forged)))
	resp, _ = cPost(t, b2, g.base+"/console/saml/acs", form)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged assertion: %d", resp.StatusCode)
	}

	// Expired: a response presented after its validity.
	b3 := newBrowser(g.srv)
	form = ti.samlResponse(t, startSAML(b3), "carol")
	saml.TimeNow = func() time.Time { return time.Now().Add(2 * time.Hour) }
	resp, _ = cPost(t, b3, g.base+"/console/saml/acs", form)
	saml.TimeNow = func() time.Time { return time.Now().UTC() }
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired assertion: %d", resp.StatusCode)
	}

	// Wrong audience: a response for another SP posted to this one.
	other := newConsoleGW(t, samlConsole(t, ti, true))
	ti.register(t, other, "other")
	b4 := newBrowser(other.srv)
	resp, _ = cGet(t, b4, other.base+"/console/login/saml")
	form = ti.samlResponse(t, resp.Header.Get("Location"), "carol")
	resp, _ = cPost(t, newBrowser(g.srv), g.base+"/console/saml/acs", form)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("assertion for another SP: %d", resp.StatusCode)
	}

	// IdP-initiated, with a RelayState that leads off-site: lands home.
	evil := "https://evil.example/phish"
	b, _ := json.Marshal(samlidp.Shortcut{Name: "warden", ServiceProviderID: g.base + "/console/saml/metadata", RelayState: &evil})
	ti.put(t, "/shortcuts/warden", string(b))
	form = ti.samlResponse(t, ti.srv.URL+"/login/warden", "carol")
	b5 := newBrowser(g.srv)
	resp, body = cPost(t, b5, g.base+"/console/saml/acs", form)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "evil.example") || !strings.Contains(body, `url=/console/"`) {
		t.Fatalf("IdP-initiated with off-site RelayState: %d %s", resp.StatusCode, body)
	}

	// The staff role grants no console capability: the audit page is refused.
	b6 := newBrowser(g.srv)
	form = ti.samlResponse(t, startSAML(b6), "dave")
	if resp, body = cPost(t, b6, g.base+"/console/saml/acs", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("dave: %d %s", resp.StatusCode, body)
	}
	if resp, _ = cGet(t, b6, g.base+"/console/audit"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("audit without audit.read: %d", resp.StatusCode)
	}
}

// TestConsoleApproval: an approver signed in with SAML sees a held
// request in the inbox, a decision without the CSRF token is refused, one
// with it approves (with a reason), and the client's retry passes.
func TestConsoleApproval(t *testing.T) {
	ti := newTestIdP(t)
	g := newConsoleGWWith(t, samlConsole(t, ti, false), func(c *config.Config) {
		c.Models[0].Approval.Required = true
		c.Approvals = config.Approvals{TTL: config.Duration(time.Hour)}
	})
	ti.register(t, g, "warden")
	user := g.gw.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	body := chatBody("gpt-test", "Summarise the quarterly figures")
	res, b := send(t, g.gw, http.MethodPost, "/v1/chat/completions", user, body)
	id := res.Header.Get("X-Warden-Approval-Id")
	if res.StatusCode != http.StatusForbidden || id == "" {
		t.Fatalf("held request: %s %s", res.Status, b)
	}

	// allow_idp_initiated is off: an unsolicited assertion is refused.
	sc, _ := json.Marshal(samlidp.Shortcut{Name: "warden", ServiceProviderID: g.base + "/console/saml/metadata"})
	ti.put(t, "/shortcuts/warden", string(sc))
	if resp, _ := cPost(t, newBrowser(g.srv), g.base+"/console/saml/acs", ti.samlResponse(t, ti.srv.URL+"/login/warden", "carol")); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("IdP-initiated while not allowed: %d", resp.StatusCode)
	}

	resp, _ := cGet(t, g.client, g.base+"/console/login/saml?next=/console/approvals")
	form := ti.samlResponse(t, resp.Header.Get("Location"), "carol")
	if resp, body := cPost(t, g.client, g.base+"/console/saml/acs", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	resp, page := cGet(t, g.client, g.base+"/console/approvals")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, id) || !strings.Contains(page, "gpt-test") {
		t.Fatalf("inbox: %d %s", resp.StatusCode, page)
	}
	tok := csrfField.FindStringSubmatch(page)
	resp, _ = cPost(t, g.client, g.base+"/console/approvals/"+id+"/approve", url.Values{"reason": {"ok"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("approve without CSRF token: %d", resp.StatusCode)
	}
	resp, _ = cPost(t, g.client, g.base+"/console/approvals/"+id+"/approve", url.Values{"reason": {"checked with finance"}, "csrf": {tok[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	res, b = send(t, g.gw, http.MethodPost, "/v1/chat/completions", user, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the client's retry: %s %s", res.Status, b)
	}
	a, err := g.gw.Store.GetApproval(t.Context(), id)
	if err != nil || a.DecidedBy != ti.srv.URL+"/metadata#carol@example.com" || a.Note != "checked with finance" {
		t.Fatalf("approval: %+v %v", a, err)
	}
}

// send makes one request to the gateway's data plane with its own client.
func send(t *testing.T, g *wardentest.Gateway, method, path, secret, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, strings.TrimSuffix(g.URL, "/v1")+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// chatBody is a chat completion request for model with one user message.
func chatBody(model, content string) string {
	b, _ := json.Marshal(map[string]any{"model": model, "messages": []any{map[string]any{"role": "user", "content": content}}})
	return string(b)
}
