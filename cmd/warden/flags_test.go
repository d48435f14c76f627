package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnumeratedFlags: a flag that takes one of a set of values refuses any
// other with one line on stderr that lists the valid ones, and exit 2.
func TestEnumeratedFlags(t *testing.T) {
	_, cfg := initDirT(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"audit", "search", "--decision", "denied"}, []string{`"denied"`, "--decision", "want allow, deny, error or block"}},
		{[]string{"audit", "search", "--decision", "ALLOW"}, []string{"want allow, deny, error or block"}},
		{[]string{"audit", "search", "--decision="}, []string{"want allow, deny, error or block"}},
		{[]string{"audit", "search", "--kind", "requests"}, []string{"--kind", "want request or admin"}},
		{[]string{"audit", "search", "--format", "xml"}, []string{"--format", "want table, json or csv"}},
		{[]string{"audit", "export", "--since", "24h", "--out", "-", "--decision", "blocked"}, []string{"--decision", "want allow, deny, error or block"}},
		{[]string{"audit", "export", "--since", "24h", "--out", "-", "--kind", "x"}, []string{"--kind", "want request or admin"}},
		{[]string{"keys", "create", "--name", "n", "--role", "root"}, []string{`--role "root"`, "want "}},
		{[]string{"content", "test", "--role", "root", "x"}, []string{`--role "root"`, "want "}},
		{[]string{"content", "test", "--model", "gpt-9", "x"}, []string{`--model "gpt-9"`, "want "}},
		{[]string{"approvals", "list", "--all", "--days", "0"}, []string{"--days"}},
	} {
		code, _, stderr := cli(t, append(tt.args, "--config", cfg)...)
		oneLineErr(t, strings.Join(tt.args, " "), code, stderr, 2, tt.want...)
	}

	// The valid values are taken.
	for _, d := range auditDecisions {
		if code, out, stderr := cli(t, "audit", "search", "--config", cfg, "--decision", d, "--format", "csv"); code != 0 || !strings.HasPrefix(out, "index,") {
			t.Errorf("--decision %s: exit %d, %q %q", d, code, out, stderr)
		}
	}
}

// TestConfigCheckOnePass: config check and serve list unknown keys, type
// errors and validation problems together, one line each with its key
// path; config check exits 1, serve (and every other command) 2.
func TestConfigCheckOnePass(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte(`version: 1
data_dir: `+filepath.Join(dir, "data")+`
server:
  max_body_bytes: "lots"
  colour: blue
log: {level: loud}
kms: {local: {key_file: /does/not/exist}}
`), 0o600)
	want := []string{
		`server.max_body_bytes: want an integer, got "lots" (line 4)`,
		"server.colour: unknown key (line 5)",
		"log.level:",
		"kms.local.key_file:",
	}
	for _, args := range [][]string{{"config", "check"}, {"serve"}, {"keys", "list"}} {
		code, _, stderr := cli(t, append(args, "--config", cfg)...)
		if wantCode := map[bool]int{true: 1, false: 2}[args[0] == "config"]; code != wantCode {
			t.Errorf("%s: exit %d, want %d", args, code, wantCode)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if len(lines) < 1+len(want) || !strings.Contains(lines[0], "problem(s)") {
			t.Fatalf("%s: want a header and a line per problem, got:\n%s", args, stderr)
		}
		for _, w := range want {
			found := false
			for _, l := range lines[1:] {
				found = found || strings.HasPrefix(strings.TrimSpace(l), w)
			}
			if !found {
				t.Errorf("%s: no line starting %q in:\n%s", args, w, stderr)
			}
		}
	}
}
