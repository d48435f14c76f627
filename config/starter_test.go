package config

import (
	"strings"
	"testing"
)

// TestStarterConfig: what `warden init` writes parses, points at the files
// init creates, and stays valid with its example model uncommented.
func TestStarterConfig(t *testing.T) {
	tr := newTree(t, t.TempDir())
	const origin = "warden.example.com/audit"
	text := string(Starter(tr.Dir, origin))
	c, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("the starter config does not parse: %v", err)
	}
	if c.DataDir != tr.Data || c.KMS.Local.KeyFile != tr.Master || c.Audit.Origin != origin ||
		c.Audit.SigningKeyFile != tr.AuditKey || c.Server.TLS != nil || !c.Auth.APIKeys.On() {
		t.Errorf("unexpected starter config: %+v", c)
	}
	var b strings.Builder
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "  # - name: qwen-7b") || (b.Len() > 0 && strings.HasPrefix(line, "  #   ")) {
			b.WriteString(strings.Replace(line, "# ", "", 1))
		}
	}
	if b.Len() == 0 {
		t.Fatal("the starter config lost its example upstream model")
	}
	if _, err := Parse([]byte(text + b.String())); err != nil {
		t.Errorf("the starter config with its example model uncommented does not parse: %v\n%s", err, b.String())
	}
}
