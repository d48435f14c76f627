package gateway_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/wardentest"
)

// Regression tests for issue 14's findings on data at rest and who may
// read it (findings 7 and 8).

// chatIndex sends a chat request to model as secret and returns the leaf
// index of its audit record (durability sync: X-Warden-Audit-Index).
func chatIndex(t *testing.T, g *wardentest.Gateway, secret, model, text string) string {
	t.Helper()
	res, b := send(t, g, "POST", "/v1/chat/completions", secret,
		`{"model":"`+model+`","messages":[{"role":"user","content":"`+text+`"}]}`)
	idx := res.Header.Get("X-Warden-Audit-Index")
	if res.StatusCode != http.StatusOK || idx == "" {
		t.Fatalf("chat %s: %s %q %s", model, res.Status, idx, b)
	}
	return idx
}

// decrypt asks for the payload of record idx as secret, waiting while the
// search index has not caught up with the log (404 record_not_found).
func decrypt(t *testing.T, g *wardentest.Gateway, secret, idx string) (*http.Response, []byte) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		res, b := send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", secret, "")
		if res.StatusCode != http.StatusNotFound || !bytes.Contains(b, []byte("record_not_found")) || time.Now().After(deadline) {
			return res, b
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// adminRecords waits until at least n admin records of action have a
// target ending in "/"+idx, and returns them, newest first.
func adminRecords(t *testing.T, g *wardentest.Gateway, secret, action, idx string, n int) []map[string]any {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		_, b := send(t, g, "GET", "/admin/v1/audit/records?kind=admin&limit=1000", secret, "")
		var page struct {
			Data []map[string]any `json:"data"`
		}
		json.Unmarshal(b, &page)
		var out []map[string]any
		for _, rec := range page.Data {
			a, _ := rec["admin"].(map[string]any)
			if target, _ := a["target"].(string); a != nil && a["action"] == action && strings.HasSuffix(target, "/"+idx) {
				out = append(out, rec)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s records for %s, want %d: %s", len(out), action, idx, n, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFinding7DecryptOutsideNamespace: audit.decrypt opens only records of
// models and namespaces the caller's role reaches, within its key's own
// scope. A decryptor confined to namespace finance is refused (403) a
// record of namespace legal, and so is a full admin whose key is narrowed
// to another model; each refusal is itself recorded as audit.decrypt,
// naming the target and why. (Finding 7: the role's namespaces were not
// looked at, and a finance decryptor read a legal record.)
func TestFinding7DecryptOutsideNamespace(t *testing.T) {
	t.Parallel()
	roles := append(wardentest.DefaultRoles(),
		config.Role{Name: "fin-auditor", Models: []string{"*"}, Namespaces: []string{"finance"}, Capabilities: []string{"audit.read", "audit.decrypt"}},
		config.Role{Name: "no-models", Capabilities: []string{"audit.read", "audit.decrypt"}})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: roles, Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{
			{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)},
		}
		c.Models[0].Namespace, c.Models[0].Classification = "finance", "confidential" // gpt-test
		c.Models[1].Namespace, c.Models[1].Classification = "legal", "confidential"   // gpt-other
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	fin := g.NewKey(t, wardentest.KeyOptions{Role: "fin-auditor"}).Secret
	narrowAdmin := g.NewKey(t, wardentest.KeyOptions{Models: []string{"gpt-test"}}).Secret
	noModels := g.NewKey(t, wardentest.KeyOptions{Role: "no-models"}).Secret

	finIdx := chatIndex(t, g, admin, "gpt-test", "quarterly numbers")
	legalIdx := chatIndex(t, g, admin, "gpt-other", "the merger terms")

	if res, b := decrypt(t, g, fin, finIdx); res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("quarterly numbers")) {
		t.Fatalf("finance decryptor, finance record: %s %s", res.Status, b)
	}
	for _, c := range []struct {
		name, secret, reason string
	}{
		{"finance decryptor", fin, "policy.namespace_not_in_role"},
		{"admin key narrowed to gpt-test", narrowAdmin, "policy.model_not_in_key_scope"},
		{"decryptor role with no models", noModels, "policy.model_not_in_role"},
	} {
		res, b := decrypt(t, g, c.secret, legalIdx)
		if res.StatusCode != http.StatusForbidden || bytes.Contains(b, []byte("merger")) || !bytes.Contains(b, []byte("decrypt_not_allowed")) {
			t.Fatalf("%s opened a legal record: %s %s", c.name, res.Status, b)
		}
	}
	if res, b := decrypt(t, g, admin, legalIdx); res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("merger")) {
		t.Fatalf("full admin, legal record: %s %s", res.Status, b)
	}

	// The refusals are on the record, naming their target and why (the
	// search index follows the log: wait for all three).
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		recs := adminRecords(t, g, admin, "audit.decrypt", legalIdx, 4)
		want := map[string]bool{"policy.namespace_not_in_role": true, "policy.model_not_in_key_scope": true, "policy.model_not_in_role": true}
		for _, rec := range recs {
			if rec["decision"] != "deny" {
				continue
			}
			reasons, _ := json.Marshal(rec["reasons"])
			for r := range want {
				if bytes.Contains(reasons, []byte(r)) && rec["status"] == float64(http.StatusForbidden) {
					delete(want, r)
				}
			}
		}
		if len(want) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("refused decrypts not recorded with reasons %v: %v", want, recs)
		}
	}
}

// canaryIn returns the files under dir that hold canary in clear (every
// file: the database and its -wal and -shm, log tiles, spools, sinks).
func canaryIn(t *testing.T, dir string, canary []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file renamed meanwhile (the audit log's)
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, canary) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestFinding8ApprovalPreviewSealed: a held request's preview is stored
// sealed, under a classification that keeps nothing (store: none) too: no
// byte of it is in the SQLite file or its -wal (read raw), nor anywhere
// else under data_dir; the approver still reads it through the admin API,
// and the approved request then passes; once its period ends the
// retention run destroys its key and it is gone. (Finding 8: the approvals row held
// the redacted prompt in clear.)
func TestFinding8ApprovalPreviewSealed(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: append(wardentest.DefaultRoles(),
		config.Role{Name: "security", Models: []string{"*"}, Capabilities: []string{"approve"}}),
		Configure: func(c *config.Config) {
			c.Classifications = []config.Classification{{Name: "secret", Store: config.StoreNone}}
			c.Models[0].Classification = "secret" // gpt-test
			c.Models[0].Approval.Required = true
			c.Models[1].Approval.Required = true // gpt-other: no classification
			c.Approvals = config.Approvals{Approvers: []string{"security"}, TTL: config.Duration(time.Hour)}
		}})
	user := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only", Models: nil}).Secret
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	security := g.NewKey(t, wardentest.KeyOptions{Role: "security"}).Secret
	for _, model := range []string{"gpt-test", "gpt-other"} {
		canary := "PREVIEW-" + randomTag(t)
		secret := user
		if model == "gpt-other" {
			secret = admin // chat-only reaches gpt-test alone
		}
		body := `{"model":"` + model + `","messages":[{"role":"user","content":"Summarise ` + canary + ` for jane@example.com"}]}`
		res, b := send(t, g, "POST", "/v1/chat/completions", secret, body)
		id := res.Header.Get("X-Warden-Approval-Id")
		if res.StatusCode != http.StatusForbidden || id == "" {
			t.Fatalf("%s: held: %s %s", model, res.Status, b)
		}
		db := filepath.Join(g.Config.DataDir, "warden.db")
		if _, err := os.Stat(db + "-wal"); err != nil {
			t.Fatalf("no write-ahead log to look in: %v", err)
		}
		if found := canaryIn(t, g.Config.DataDir, []byte(canary)); len(found) > 0 {
			t.Fatalf("%s: the preview is in clear in %v", model, found)
		}
		res, b = send(t, g, "GET", "/admin/v1/approvals/"+id, security, "")
		if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"preview":"Summarise `+canary+` for [EMAIL_1]"`)) {
			t.Fatalf("%s: the approver does not see the preview: %s %s", model, res.Status, b)
		}
		res, b = send(t, g, "GET", "/admin/v1/approvals", security, "")
		if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(canary)) {
			t.Fatalf("%s: the list does not show the preview: %s %s", model, res.Status, b)
		}
		if res, b := send(t, g, "POST", "/admin/v1/approvals/"+id+"/approve", security, `{}`); res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(canary)) {
			t.Fatalf("%s: approve: %s %s", model, res.Status, b)
		}
		if res, b := send(t, g, "POST", "/v1/chat/completions", secret, body); res.StatusCode != http.StatusOK {
			t.Fatalf("%s: the approved request: %s %s", model, res.Status, b)
		}
		if found := canaryIn(t, g.Config.DataDir, []byte(canary)); len(found) > 0 {
			t.Fatalf("%s: the preview is in clear in %v", model, found)
		}
	}

	// Two days on, the retention run destroys the previews' keys: the
	// approvals remain, their previews are gone.
	k := &retention.Keeper{Sealer: &seal.Sealer{Ring: g.KMS.KeyRing()}, Store: g.Store, Classes: g.Config.Classifications,
		Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	rep, err := k.Run(t.Context())
	if err != nil || rep.Previews != 2 || len(rep.Keys) != 2 {
		t.Fatalf("retention run: %+v %v", rep, err)
	}
	res, b := send(t, g, "GET", "/admin/v1/approvals?status=all", security, "")
	if res.StatusCode != http.StatusOK || bytes.Count(b, []byte(`"preview":""`)) != 2 || bytes.Contains(b, []byte("PREVIEW-")) {
		t.Fatalf("after the purge: %s %s", res.Status, b)
	}
}

// randomTag is 16 random letters (64 bits), for canaries: letters only,
// so that no run of digits in one reads as a card or phone number to the
// content controls.
func randomTag(t *testing.T) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 0, 16)
	for _, c := range b {
		out = append(out, 'a'+c>>4, 'a'+c&15)
	}
	return string(out)
}
