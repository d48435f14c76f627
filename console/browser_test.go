package console_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
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

	var who, proof string
	err := chromedp.Do(ctx,
		chromedp.Navigate(g.base+"/console/audit"),
		chromedp.WaitVisible(chromedp.CSS(`#oidc`)),
		chromedp.Click(chromedp.CSS(`#oidc`)),
		chromedp.WaitVisible(chromedp.CSS(`#records`)),

		chromedp.SetValue(chromedp.CSS(`input[name=principal]`), op.srv.URL+"#alice"),
		chromedp.Click(chromedp.CSS(`#search`)),
		chromedp.WaitVisible(chromedp.CSS(`#records`)),
	)
	if err != nil {
		t.Fatalf("sign in and search: %v", err)
	}
	if who, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#who`))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "alice") {
		t.Fatalf("header names %q", who)
	}
	// The sign-in's record reaches the search index within moments:
	// search again until it is listed.
	for n := 0; ; n++ {
		found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll("#records tbody a").length > 0`))
		if err != nil {
			t.Fatal(err)
		}
		if found {
			break
		}
		if n == 50 {
			t.Fatal("the sign-in's record is not found")
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond), chromedp.Click(chromedp.CSS(`#search`)), chromedp.WaitVisible(chromedp.CSS(`#records`))); err != nil {
			t.Fatal(err)
		}
	}
	// The record may wait for its checkpoint (one interval): reload until
	// the proof is there.
	for range 50 {
		if err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#records tbody a`)), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
			t.Fatal(err)
		}
		if proof, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("proof")||{}).textContent||""`)); err != nil {
			t.Fatal(err)
		}
		if proof != "" {
			break
		}
		chromedp.Do(ctx, chromedp.NavigateBack(), chromedp.Sleep(100*time.Millisecond))
	}
	if !strings.Contains(proof, "Inclusion proof verified") {
		t.Fatalf("proof: %q", proof)
	}
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
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Navigate(g.base+"/console/approvals"),
		chromedp.WaitVisible(chromedp.CSS(`#saml`)),
		chromedp.Click(chromedp.CSS(`#saml`)),
		chromedp.WaitVisible(chromedp.CSS(`#approval-`+id)),
		chromedp.SendKeys(chromedp.CSS(`#approval-`+id+` input[name=reason]`), "checked with finance"),
		chromedp.Click(chromedp.CSS(`#approval-`+id+` button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#done`)),
	)
	if err != nil {
		t.Fatalf("approve in the browser: %v", err)
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
