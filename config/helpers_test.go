package config

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/google/go-cmp/cmp"
)

// tree is a temporary installation: a data directory and, outside it, the
// files a configuration refers to (Validate checks that they exist).
type tree struct {
	Dir      string // root; {{DIR}} in test configs
	Data     string // Dir/data
	Master   string // Dir/keys/master.key
	AuditKey string // Dir/keys/audit.key
	Cert     string // Dir/tls/cert.pem
	Key      string // Dir/tls/key.pem
	CA       string // Dir/tls/ca.pem
	CRL      string // Dir/tls/crl.pem (exists; Validate does not read it)
}

// testOrigin names the audit signing key of a test tree.
const testOrigin = "warden.example.com/audit"

func newTree(tb testing.TB, dir string) tree {
	tb.Helper()
	tr := tree{
		Dir:      dir,
		Data:     filepath.Join(dir, "data"),
		Master:   filepath.Join(dir, "keys", "master.key"),
		AuditKey: filepath.Join(dir, "keys", "audit.key"),
		Cert:     filepath.Join(dir, "tls", "cert.pem"),
		Key:      filepath.Join(dir, "tls", "key.pem"),
		CA:       filepath.Join(dir, "tls", "ca.pem"),
		CRL:      filepath.Join(dir, "tls", "crl.pem"),
	}
	for _, d := range []string{tr.Data, filepath.Dir(tr.Master), filepath.Dir(tr.Cert)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range []string{tr.Master, tr.Cert, tr.Key, tr.CA, tr.CRL} {
		writeFile(tb, f, "test\n")
	}
	skey, _, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, tr.AuditKey, skey+"\n")
	return tr
}

// fill replaces {{DIR}} in a config text with the tree's root.
func (tr tree) fill(text string) []byte {
	return []byte(strings.ReplaceAll(text, "{{DIR}}", tr.Dir))
}

func writeFile(tb testing.TB, name, content string) {
	tb.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// minimal is the smallest valid configuration, for tests to extend.
const minimal = `version: 1
data_dir: {{DIR}}/data
kms: {local: {key_file: {{DIR}}/keys/master.key}}
audit: {signing_key_file: {{DIR}}/keys/audit.key}
# (five lines: tests count lines after these)
`

// validConfig returns a valid Config built in Go, defaults applied, for
// tests that break one thing at a time.
func validConfig(tr tree) *Config {
	c := &Config{
		Version: Version,
		DataDir: tr.Data,
		KMS:     KMS{Local: LocalKMS{KeyFile: tr.Master}},
		Audit:   Audit{SigningKeyFile: tr.AuditKey},
		Roles:   []Role{{Name: "user", Models: []string{"*"}, Capabilities: []string{"chat"}}},
		Models:  []Model{{Name: "demo", Builtin: "demo"}},
	}
	c.ApplyDefaults()
	return c
}

// problemsOf returns the problems in a Parse or Load error, failing the test
// on any other kind of error.
func problemsOf(tb testing.TB, err error) []Problem {
	tb.Helper()
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		tb.Fatalf("error is %T, want *config.Error: %v", err, err)
	}
	return ce.Problems
}

func paths(probs []Problem) []string {
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = p.Path
	}
	return out
}

// at returns the problems reported at path.
func at(probs []Problem, path string) []Problem {
	var out []Problem
	for _, p := range probs {
		if p.Path == path {
			out = append(out, p)
		}
	}
	return out
}

// wantProblem describes an expected problem: its exact path and a part of
// its message.
type wantProblem struct {
	Path string
	Msg  string
}

// checkProblems compares problems with want, in order: paths exactly,
// messages by substring.
func checkProblems(tb testing.TB, got []Problem, want []wantProblem) {
	tb.Helper()
	wantPaths := make([]string, len(want))
	for i, w := range want {
		wantPaths[i] = w.Path
	}
	if diff := cmp.Diff(wantPaths, paths(got)); diff != "" {
		tb.Fatalf("problem paths (-want +got):\n%s\nproblems: %q", diff, got)
	}
	for i, w := range want {
		if !strings.Contains(got[i].Msg, w.Msg) {
			tb.Errorf("problem %d (%s): message %q does not contain %q", i, w.Path, got[i].Msg, w.Msg)
		}
	}
}
