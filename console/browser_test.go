package console_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// One Chromium for the whole test binary; each test gets its own browser
// context (its own cookies) in it. Tests skip without Chromium unless
// WARDEN_TEST_CHROMIUM=require (.ci/run sets it).
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel = func() {}
	browserErr    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	browserCancel()
	os.Exit(code)
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newTab returns a browser context of its own, closed when t ends.
func newTab(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		path := chromiumPath()
		if path == "" {
			browserErr = "no chromium on PATH (apt-get install chromium)"
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.Flag("ignore-certificate-errors", true), chromedp.Flag("disable-dev-shm-usage", true))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			cancel()
			cancelAlloc()
			browserErr = "chromium does not start: " + err.Error()
			return
		}
		browserCtx, browserCancel = ctx, func() { cancel(); cancelAlloc() }
	})
	if browserErr != "" {
		if os.Getenv("WARDEN_TEST_CHROMIUM") == "require" {
			t.Fatal(browserErr)
		}
		t.Skip(browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// TestBrowserOIDC: a person signs in through the test OIDC issuer,
// searches the audit trail for their own sign-in, opens the record and
// sees its inclusion proof verified.
func TestBrowserOIDC(t *testing.T) {
	ctx := newTab(t)
	op := newTestOP(t)
	g := newConsoleGW(t, oidcConsole(op))
	op.setClaims(map[string]any{"groups": []string{"auditors"}})

	err := chromedp.Do(ctx,
		chromedp.Navigate(g.base+"/console/audit"),
		chromedp.WaitVisible(chromedp.CSS(`#oidc`)),
	)
	if err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	shoot(t, ctx, "login")
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#oidc`)))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	waitText(t, ctx, "Endpoint / act") // the landing page leads on to the audit page
	who := waitText(t, ctx, "alice")
	if !strings.Contains(who, "(oidc)") {
		t.Fatalf("header: %q", who)
	}
	// Search by the form; the sign-in's record reaches the search index
	// within moments, so search again until it is listed.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`input[name=principal]`), op.srv.URL+"#alice"), chromedp.Click(chromedp.CSS(`#search`))); err != nil {
		t.Fatal(err)
	}
	var href string
	for n := 0; href == ""; n++ {
		if n == 300 {
			t.Fatal("the sign-in's record is not found")
		}
		time.Sleep(100 * time.Millisecond)
		href, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`location.search.includes("principal=") && document.querySelector("#records tbody a") ? document.querySelector("#records tbody a").href : ""`))
		if href == "" {
			chromedp.Do(ctx, chromedp.Reload())
		}
	}
	shoot(t, ctx, "audit")
	// The record may wait for its checkpoint (one interval): reload until
	// the proof is there.
	proof := ""
	for n := 0; proof == ""; n++ {
		if n == 300 {
			t.Fatal("the record page never shows its proof")
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(href)); err != nil {
			t.Fatal(err)
		}
		proof, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("proof")||{}).textContent||""`))
		if proof == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !strings.Contains(proof, "Inclusion proof verified") {
		t.Fatalf("proof: %q", proof)
	}
	shoot(t, ctx, "record")
	if err := chromedp.Do(ctx, chromedp.Navigate(g.base+"/console/")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Audit log:")
	shoot(t, ctx, "overview")
}

// TestBrowserSAMLApproval: an approver signs in through a real SAML IdP
// (crewjam's samlidp), approves a held request with a reason, and the
// client's retry passes.
func TestBrowserSAMLApproval(t *testing.T) {
	ctx := newTab(t)
	ti := newTestIdP(t)
	g := newConsoleGWWith(t, samlConsole(t, ti, false), func(c *config.Config) {
		c.Models[0].Approval.Required = true
		c.Approvals = config.Approvals{TTL: config.Duration(time.Hour)}
	})
	ti.register(t, g, "warden")
	user := g.gw.NewKey(t, wardentest.KeyOptions{Role: "chat-only"}).Secret
	body := chatBody("gpt-test", "Summarise the quarterly figures")
	res, _ := send(t, g.gw, http.MethodPost, "/v1/chat/completions", user, body)
	id := res.Header.Get("X-Warden-Approval-Id")
	if id == "" {
		t.Fatalf("not held: %s", res.Status)
	}

	err := chromedp.Do(ctx,
		// A session at the IdP first (samlidp's form answers a bare
		// login with JSON), then the console's SP-initiated sign-in.
		chromedp.Navigate(ti.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "carol"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "pw-carol"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
	)
	if err != nil {
		t.Fatalf("IdP sign-in: %v", err)
	}
	waitText(t, ctx, "NameID") // the IdP's session
	err = chromedp.Do(ctx,
		chromedp.Navigate(g.base+"/console/approvals"),
		chromedp.WaitVisible(chromedp.CSS(`#saml`)),
		chromedp.Click(chromedp.CSS(`#saml`)),
		chromedp.WaitVisible(chromedp.CSS(`#approval-`+id)),
		chromedp.SendKeys(chromedp.CSS(`#approval-`+id+` input[name=reason]`), "checked with finance"),
		chromedp.Func(func(context.Context, *chromedp.Target) error { shoot(t, ctx, "approvals"); return nil }),
		chromedp.Click(chromedp.CSS(`#approval-`+id+` button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#done`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`location.href + " " + document.body.innerText.slice(0, 300)`))
		t.Fatalf("approve in the browser: %v (at %s)", err, loc)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#done`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "approved") {
		t.Fatalf("after approving: %q", done)
	}
	if res, b := send(t, g.gw, http.MethodPost, "/v1/chat/completions", user, body); res.StatusCode != http.StatusOK {
		t.Fatalf("the client's retry: %s %s", res.Status, b)
	}
}

// waitText waits until the page's text contains want, across navigations.
func waitText(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	for range 600 {
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if err == nil && strings.Contains(text, want) {
			return text
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the page never says %q", want)
	return ""
}

// shoot saves a screenshot of the page as DIR/console-NAME.png when
// WARDEN_CONSOLE_SCREENSHOTS=DIR (docs/console.md's pictures are made so).
func shoot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("WARDEN_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
