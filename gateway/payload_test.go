package gateway_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// TestPayloadsKeptSealed: a model whose classification keeps payloads has
// its prompts and responses sealed and stored; audit.decrypt opens them
// (and each decrypt is recorded); and no byte of a canary prompt or
// response is found in clear anywhere under data_dir, in the process's
// logs or in /metrics (docs/encryption.md).
func TestPayloadsKeptSealed(t *testing.T) {
	t.Parallel()
	roles := append(wardentest.DefaultRoles(), config.Role{Name: "reader", Capabilities: []string{"audit.read"}})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: roles, Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{
			{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)},
		}
		c.Models[0].Classification = "confidential" // gpt-test
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	reader := g.NewKey(t, wardentest.KeyOptions{Role: "reader"}).Secret
	const canary = "canary-5d1e9b"
	var indexes []string
	for _, stream := range []bool{false, true} {
		body := `{"model":"gpt-test","stream":` + map[bool]string{false: "false", true: "true"}[stream] +
			`,"messages":[{"role":"user","content":"Repeat ` + canary + `"}]}`
		res, b := send(t, g, "POST", "/v1/chat/completions", admin, body)
		idx := res.Header.Get("X-Warden-Audit-Index")
		if stream {
			if _, rest, ok := strings.Cut(string(b), ": warden-audit-index "); ok {
				idx, _, _ = strings.Cut(rest, "\n")
			}
		}
		if res.StatusCode != 200 || idx == "" {
			t.Fatalf("chat (stream %v): %s %q", stream, res.Status, idx)
		}
		indexes = append(indexes, idx)
	}

	for i, idx := range indexes {
		var res *http.Response
		var b []byte
		for deadline := time.Now().Add(5 * time.Second); ; {
			res, b = send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", admin, "")
			if res.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond) // the search index follows the log
		}
		var p struct {
			Prompt   json.RawMessage `json:"prompt"`
			Response json.RawMessage `json:"response"`
		}
		if res.StatusCode != 200 || json.Unmarshal(b, &p) != nil || !bytes.Contains(p.Prompt, []byte(canary)) || len(p.Response) < 5 {
			t.Fatalf("payload %d: %s %s", i, res.Status, b)
		}
		if res, _ := send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", reader, ""); res.StatusCode != http.StatusForbidden {
			t.Fatalf("decrypt without audit.decrypt: %s", res.Status)
		}
	}
	res, b := send(t, g, "POST", "/admin/v1/retention/run", admin, "")
	if res.StatusCode != 200 || !strings.Contains(string(b), `"payloads_deleted":0`) {
		t.Fatalf("retention run: %s %s", res.Status, b)
	}

	// The decrypts are on the record.
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, b := send(t, g, "GET", "/admin/v1/audit/records?kind=admin&limit=100", admin, "")
		if bytes.Count(b, []byte(`"action":"audit.decrypt"`)) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("decrypts not recorded: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The canary: nowhere in clear.
	_, metrics := send(t, g, "GET", "/metrics", admin, "")
	for what, b := range map[string][]byte{"the logs": []byte(g.Logs()), "/metrics": metrics} {
		if bytes.Contains(b, []byte(canary)) {
			t.Errorf("%s hold the canary", what)
		}
	}
	filepath.WalkDir(g.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(canary)) {
			t.Errorf("%s holds the canary in clear", path)
		}
		return nil
	})
}

// TestRemoteKMS: with kms.provider vault or pkcs11, the gateway keeps its
// root secret wrapped by the KMS beside the data, API keys work (their
// hashing key derives from it), and kept payloads are sealed under keys
// inside the KMS and opened by audit.decrypt.
func TestRemoteKMS(t *testing.T) {
	t.Run("vault", func(t *testing.T) {
		t.Parallel()
		transit := wardentest.NewTransit(t)
		tokenFile := filepath.Join(t.TempDir(), "vault-token")
		os.WriteFile(tokenFile, []byte(transit.Token+"\n"), 0o600)
		testRemoteKMS(t, config.KMS{Provider: "vault", Vault: config.VaultKMS{Address: transit.URL, Token: config.Secret("file:" + tokenFile)}}, "kms-root.vault")
	})
	t.Run("pkcs11", func(t *testing.T) {
		t.Parallel()
		testRemoteKMS(t, config.KMS{Provider: "pkcs11", PKCS11: wardentest.SoftHSM(t)}, "kms-root.pkcs11")
	})
}

func testRemoteKMS(t *testing.T, kc config.KMS, rootFile string) {
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.KMS = kc
		c.Classifications = []config.Classification{{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)}}
		c.Models[0].Classification = "confidential"
	}})
	if b, err := os.ReadFile(filepath.Join(g.Config.DataDir, rootFile)); err != nil || !bytes.Contains(b, []byte(`"key":"warden-root"`)) {
		t.Fatalf("wrapped root secret: %q %v", b, err)
	}
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	res, _ := send(t, g, "POST", "/v1/chat/completions", admin, `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}`)
	idx := res.Header.Get("X-Warden-Audit-Index")
	if res.StatusCode != 200 || idx == "" {
		t.Fatalf("chat: %s", res.Status)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		res, b := send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", admin, "")
		if res.StatusCode == 200 {
			if !bytes.Contains(b, []byte(`"hi"`)) {
				t.Fatalf("payload: %s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("payload: %s %s", res.Status, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDecryptAlwaysDurable: revealing a stored payload waits for its
// record even with audit.durability async, and is refused while the log
// fails even with fail_mode open: a decrypt never goes unrecorded.
func TestDecryptAlwaysDurable(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Classifications = []config.Classification{{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)}}
		c.Models[0].Classification = "confidential"
		c.Audit.Durability = config.DurabilityAsync
		c.Audit.FailMode = config.FailOpen
	}})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	const canary = "canary-91c0e2"
	res, _ := send(t, g, "POST", "/v1/chat/completions", admin, chatBody("gpt-test", canary, false))
	if res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	// Async: the chat has no index; find the record by request id.
	reqID := res.Header.Get("X-Request-Id")
	var idx string
	for deadline := time.Now().Add(5 * time.Second); idx == ""; {
		_, b := send(t, g, "GET", "/admin/v1/audit/records?limit=100", admin, "")
		var page struct {
			Data []struct {
				Index     uint64 `json:"index"`
				RequestID string `json:"request_id"`
			} `json:"data"`
		}
		json.Unmarshal(b, &page)
		for _, r := range page.Data {
			if r.RequestID == reqID {
				idx = strconv.FormatUint(r.Index, 10)
			}
		}
		if idx == "" && time.Now().After(deadline) {
			t.Fatal("the chat's record is not indexed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, b := send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", admin, "")
	if res.StatusCode != 200 || !strings.Contains(string(b), canary) || res.Header.Get("X-Warden-Audit-Index") == "" {
		t.Fatalf("decrypt: %s (index %q) %s", res.Status, res.Header.Get("X-Warden-Audit-Index"), b)
	}
	breakLog(t, g)
	res, b = send(t, g, "GET", "/admin/v1/audit/records/"+idx+"/payload", admin, "")
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(b), canary) {
		t.Fatalf("decrypt while the log fails (fail_mode open): %s %s", res.Status, b)
	}
}
