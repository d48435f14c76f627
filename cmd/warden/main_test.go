package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// cli runs the warden CLI in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func initDirT(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	if code, _, stderr := cli(t, "init", "--dir", dir, "--origin", "test.example/audit"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	return dir, filepath.Join(dir, "warden.yaml")
}

func TestInit(t *testing.T) {
	dir, cfg := initDirT(t)
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"warden.yaml", 0o600}, {"keys/master.key", 0o600}, {"keys/audit.key", 0o600}, {"keys/audit.pub", 0o644}} {
		st, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %v, want %v", f.name, st.Mode().Perm(), f.mode)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "data")); err != nil || !st.IsDir() {
		t.Fatal("data/ missing")
	}
	skey, _ := os.ReadFile(filepath.Join(dir, "keys/audit.key"))
	if !strings.HasPrefix(string(skey), "PRIVATE+KEY+test.example/audit+") {
		t.Fatalf("audit key not named by origin: %.40s", skey)
	}
	if code, out, stderr := cli(t, "config", "check", "--config", cfg); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("config check of the starter config: %d %s %s", code, out, stderr)
	}
	// A second init refuses to overwrite.
	if code, _, stderr := cli(t, "init", "--dir", dir); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("re-init: %d %s", code, stderr)
	}
}

func TestConfigCheckListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte(`version: 1
data_dir: /tmp/x
server: {listen: "nope", max_body_bytes: 1}
kms: {provider: local, local: {key_file: /does/not/exist}}
models:
  - {name: m, upstream: {url: "ftp://x", api_key: "sk-inline-secret"}}
`), 0o600)
	code, _, stderr := cli(t, "config", "check", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"server.listen", "server.max_body_bytes", "kms.local.key_file", "models[0].upstream.url", "models[0].upstream.api_key"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %s in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "sk-inline-secret") {
		t.Fatal("error echoes the secret")
	}
	// An unset env secret is found by compiling, as serve would.
	_, good := initDirT(t)
	b, _ := os.ReadFile(good)
	os.WriteFile(good, append(b, []byte("  - {name: real, upstream: {url: \"http://127.0.0.1:1/v1\", api_key: env:WARDEN_TEST_UNSET_VAR}}\n")...), 0o600)
	if code, _, stderr := cli(t, "config", "check", "--config", good); code != 1 || !strings.Contains(stderr, "WARDEN_TEST_UNSET_VAR") {
		t.Fatalf("unset env: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, "config", "check", "--config", filepath.Join(dir, "missing.yaml")); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing file: %d %q", code, stderr)
	}
}

func TestKeysLifecycle(t *testing.T) {
	_, cfg := initDirT(t)
	code, out, stderr := cli(t, "keys", "create", "--config", cfg, "--name", "ci", "--role", "user", "--models", "demo, gpt-*", "--expires-in", "30d", "--json")
	if code != 0 {
		t.Fatalf("create: %d %s", code, stderr)
	}
	var created struct{ ID, Key string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Key, "wdn_") || !strings.HasPrefix(created.ID, "key_") {
		t.Fatalf("create output %q: %v", out, err)
	}

	list := func() []map[string]any {
		code, out, stderr := cli(t, "keys", "list", "--config", cfg, "--json")
		if code != 0 {
			t.Fatalf("list: %d %s", code, stderr)
		}
		if strings.Contains(out, created.Key) {
			t.Fatal("list shows the secret")
		}
		var l []map[string]any
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := list()
	if len(l) != 1 || l[0]["id"] != created.ID || l[0]["name"] != "ci" || l[0]["role"] != "user" || l[0]["revoked"] != false ||
		l[0]["expires_at"] == nil || !strings.HasPrefix(created.Key, l[0]["prefix"].(string)) {
		t.Fatalf("list = %v", l)
	}

	code, out, _ = cli(t, "keys", "rotate", "--config", cfg, created.ID, "--grace", "1h", "--json")
	var rotated struct{ ID, Key string }
	if code != 0 || json.Unmarshal([]byte(out), &rotated) != nil || rotated.ID != created.ID || rotated.Key == created.Key {
		t.Fatalf("rotate: %d %q", code, out)
	}
	if p := list()[0]["prefix"].(string); !strings.HasPrefix(rotated.Key, p) {
		t.Fatalf("prefix %q not updated", p)
	}
	if code, out, _ := cli(t, "keys", "revoke", "--config", cfg, created.ID); code != 0 || !strings.Contains(out, "Revoked") {
		t.Fatalf("revoke: %d", code)
	}
	if list()[0]["revoked"] != true {
		t.Fatal("not revoked")
	}
	// Human-readable list works too and shows the status.
	if code, out, _ := cli(t, "keys", "list", "--config", cfg); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("table: %d %s", code, out)
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"keys", "revoke", "key_nope"}, 1, "no key"},
		{[]string{"keys", "rotate", created.ID}, 1, "revoked"},
		{[]string{"keys", "create", "--name", "x", "--role", "nosuchrole"}, 2, "not defined"},
		{[]string{"keys", "create", "--name", "x"}, 2, "required"},
		{[]string{"keys", "create", "--name", "x", "--role", "user", "--expires-in", "soon"}, 2, "expires-in"},
		{[]string{"keys", "rotate", "a", "b"}, 2, "argument"},
		{[]string{"keys", "list", "--bogus"}, 2, "unknown flag"},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
	} {
		code, _, stderr := cli(t, append(tt.args, "--config", cfg)...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q; want %d and %q on one line", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
}

func TestVersion(t *testing.T) {
	if code, out, _ := cli(t, "version"); code != 0 || !strings.HasPrefix(out, "warden ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("%d %q", code, out)
	}
}

// TestServeWithoutConfig: with no config file, serve says in one line
// what to do instead (--dev, or warden init), with exit code 2.
func TestServeWithoutConfig(t *testing.T) {
	code, _, stderr := cli(t, "serve", "--config", filepath.Join(t.TempDir(), "warden.yaml"))
	if code != 2 || !strings.Contains(stderr, "warden serve --dev") || !strings.Contains(stderr, "warden init") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("%d %q", code, stderr)
	}
}

func TestDevConfigIsValidAndStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	c1, err := devConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	key1, _ := os.ReadFile(c1.KMS.Local.KeyFile)
	c2, err := devConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	key2, _ := os.ReadFile(c2.KMS.Local.KeyFile)
	if !bytes.Equal(key1, key2) {
		t.Fatal("dev master key regenerated on second start")
	}
	if strings.HasPrefix(c1.KMS.Local.KeyFile, c1.DataDir) {
		t.Fatal("dev master key inside data_dir")
	}
}

// TestConfigCheckAgreesWithServe: what serve would refuse at start (a master
// key others can read, a certificate that does not load), check refuses too.
func TestConfigCheckAgreesWithServe(t *testing.T) {
	dir, cfg := initDirT(t)
	os.Chmod(filepath.Join(dir, "keys/master.key"), 0o644)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	b, _ := os.ReadFile(cfg)
	b = []byte(strings.Replace(string(b), "  max_body_bytes: 1048576\n",
		"  max_body_bytes: 1048576\n  tls: {cert_file: "+garbage+", key_file: "+garbage+"}\n", 1))
	os.WriteFile(cfg, b, 0o600)
	code, _, stderr := cli(t, "config", "check", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "chmod 600") || !strings.Contains(stderr, "tls:") {
		t.Fatalf("check: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, "serve", "--config", cfg); code != 2 {
		t.Fatalf("serve: %d %s", code, stderr)
	}
}

// TestDevWelcomeRevokesEarlierKeys: each dev start issues one live admin key.
func TestDevWelcomeRevokesEarlierKeys(t *testing.T) {
	c, err := devConfig(filepath.Join(t.TempDir(), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := openBackends(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out bytes.Buffer
	for range 3 {
		if err := devWelcome(t.Context(), &out, b, c, "https://127.0.0.1:8443/v1"); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ := b.store.ListKeys(t.Context())
	live := 0
	for _, k := range keys {
		if !k.Revoked() {
			live++
		}
	}
	if len(keys) != 3 || live != 1 || !strings.Contains(out.String(), "wdn_") || !strings.Contains(out.String(), "NODE_EXTRA_CA_CERTS=") {
		t.Fatalf("%d keys, %d live", len(keys), live)
	}
}

// TestAuditHash: the CLI reproduces the content hash of a text, from an
// argument or standard input, and of a whole request body.
func TestAuditHash(t *testing.T) {
	dir, cfg := initDirT(t)
	code, out, stderr := cli(t, "audit", "hash", "--config", cfg, "What is our Q3 revenue?")
	if code != 0 || !strings.HasPrefix(out, "hmac-sha256:") || len(strings.TrimSpace(out)) != len("hmac-sha256:")+64 {
		t.Fatalf("audit hash: %d %q %s", code, out, stderr)
	}
	var stdout, errb bytes.Buffer
	root := newRoot()
	root.SetArgs([]string{"audit", "hash", "--config", cfg, "-"})
	root.SetIn(strings.NewReader("What is our Q3 revenue?"))
	root.SetOut(&stdout)
	root.SetErr(&errb)
	if err := root.Execute(); err != nil || stdout.String() != out {
		t.Fatalf("from stdin: %q (%v), want %q", stdout.String(), err, out)
	}
	body := filepath.Join(dir, "req.json")
	os.WriteFile(body, []byte(`{"model":"m","messages":[{"role":"user","content":"What is our Q3 revenue?"}]}`), 0o600)
	if code, fromBody, _ := cli(t, "audit", "hash", "--config", cfg, "--messages", body); code != 0 || fromBody != out {
		t.Fatalf("a one-message chat body hashes as its text: %q vs %q", fromBody, out)
	}
	if _, other, _ := cli(t, "audit", "hash", "--config", cfg, "--role", "assistant", "What is our Q3 revenue?"); other == out {
		t.Fatal("the role is not part of the hash")
	}
	// Another master key, another hash: no guessing without the key.
	_, cfg2 := initDirT(t)
	if _, out2, _ := cli(t, "audit", "hash", "--config", cfg2, "What is our Q3 revenue?"); out2 == out {
		t.Fatal("the hash does not depend on the master key")
	}
	if code, _, stderr := cli(t, "audit", "hash", "--config", cfg); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("no text: %d %q", code, stderr)
	}
}

// TestContentTest: warden content test shows what the request policy
// does to a text and to a request body, and exits 1 on a block.
func TestContentTest(t *testing.T) {
	_, cfg := initDirT(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte(`
content:
  request:
    pii: {email: redact, credit_card: block, phone: mask}
    deny: [{name: codenames, phrases: ["Project Nightingale"], action: redact}]
`)...), 0o600)
	code, out, stderr := cli(t, "content", "test", "--config", cfg, "mail jane@example.com about Project Nightingale, call +1 415-555-2671")
	if code != 0 || !strings.Contains(out, "mail [EMAIL_1] about [DENIED:codenames], call +* ***-***-2671") || !strings.Contains(out, "email") {
		t.Fatalf("text: %d %q %q", code, out, stderr)
	}
	body := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(body, []byte(`{"model":"demo","messages":[{"role":"user","content":"to jane@example.com"}]}`), 0o600)
	code, out, _ = cli(t, "content", "test", "--config", cfg, "--body", body, "--json")
	if code != 0 || !strings.Contains(out, `"output":"{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"to [EMAIL_1]\"}]}"`) {
		t.Fatalf("body: %d %q", code, out)
	}
	code, out, stderr = cli(t, "content", "test", "--config", cfg, "card 4111 1111 1111 1111")
	if code != 1 || !strings.Contains(out, "BLOCKED by pii.credit_card") || strings.Contains(out+stderr, "4111") {
		t.Fatalf("block: %d %q %q", code, out, stderr)
	}
	if code, _, _ := cli(t, "content", "test", "--config", cfg); code != 2 {
		t.Fatal("no text")
	}
}
