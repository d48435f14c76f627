package config

import (
	"strings"
	"testing"
)

func TestParseStrict(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name string
		text string
		want []wantProblem
	}{
		{
			name: "unknown keys at every depth, all reported",
			text: `version: 1
data_dir: {{DIR}}/data
colour: blue
server:
  tls:
    cert_file: {{DIR}}/tls/cert.pem
    key_file: {{DIR}}/tls/key.pem
    ciphers: [modern]
kms:
  local: {key_file: {{DIR}}/keys/master.key}
roles:
  - name: a
  - name: b
    groupz: [legal]
    approvall: {}
models:
  - name: m
    upstream:
      url: http://vllm:8000/v1
      headers: {X-A: b}
`,
			want: []wantProblem{
				{"colour", "unknown key (line 3)"},
				{"server.tls.ciphers", "unknown key (line 8)"},
				{"roles[1].groupz", "unknown key (line 14)"},
				{"roles[1].approvall", "unknown key (line 15)"},
				{"models[0].upstream.headers", "unknown key (line 20)"},
			},
		},
		{
			name: "typo",
			text: minimal + "server:\n  max_body_byte: 1024\n",
			want: []wantProblem{{"server.max_body_byte", "unknown key (line 7)"}},
		},
		{
			name: "keys from SPEC not in this version",
			text: minimal + "alertz: {}\napprovalz: {}\n",
			want: []wantProblem{
				{"alertz", "unknown key (line 6)"},
				{"approvalz", "unknown key (line 7)"},
			},
		},
		{
			name: "unknown keys in the identity, address and limit sections",
			text: minimal + `ratelimit: {driver: redis, url: "redis://r:6379/0", pool_size: 10}
auth:
  oidc:
    - {issuer: "https://idp.example.com", audience: warden, client_secret: env:X}
  mtls: {enabled: false, verify: true}
  ip_deny: []
roles:
  - name: a
    limits: {rpm: 60, tokens_per_week: 1}
`,
			want: []wantProblem{
				{"ratelimit.pool_size", "unknown key (line 6)"},
				{"auth.oidc[0].client_secret", "unknown key (line 9)"},
				{"auth.mtls.verify", "unknown key (line 10)"},
				{"auth.ip_deny", "unknown key (line 11)"},
				{"roles[0].limits.rpm", "unknown key (line 14)"},
				{"roles[0].limits.tokens_per_week", "unknown key (line 14)"},
			},
		},
		{
			name: "wrong types in the identity, address and limit sections",
			text: minimal + `auth:
  oidc: {issuer: "https://idp.example.com"}
  mtls: {enabled: sometimes}
  ip_allow: 10.0.0.0/8
roles:
  - name: a
    groups: legal
    limits: {requests_per_minute: -5, tokens_per_day: lots}
`,
			want: []wantProblem{
				{"", "line 7: cannot unmarshal !!map into []config.OIDC"},
				{"", "line 8: cannot unmarshal !!str `sometimes` into bool"},
				{"", "line 9: cannot unmarshal !!str `10.0.0.0/8` into []string"},
				{"", "line 12: cannot unmarshal !!str `legal` into []string"},
				{"", "line 13: cannot unmarshal !!str `lots` into int64"},
			},
		},
		{
			// The YAML decoder would truncate 1.5 to 1: a limit, a body size
			// or a version that is not what the file says.
			name: "fractional numbers where whole numbers belong",
			text: `version: 1.5
data_dir: {{DIR}}/data
server: {max_body_bytes: 2048.9}
roles:
  - name: a
    limits: {requests_per_minute: 0.5, tokens_per_minute: -1e300, tokens_per_day: .nan, tokens_per_month: big}
`,
			want: []wantProblem{
				{"version", "want a whole number, got 1.5 (line 1)"},
				{"server.max_body_bytes", "want a whole number, got 2048.9 (line 3)"},
				{"roles[0].limits.requests_per_minute", "want a whole number, got 0.5 (line 6)"},
				{"roles[0].limits.tokens_per_minute", "got -1e300 (line 6)"}, // below -2^63
				{"", "line 6: cannot unmarshal !!float `.nan` into int64"},
				{"", "line 6: cannot unmarshal !!str `big` into int64"},
			},
		},
		{
			name: "bad leeway",
			text: minimal + "auth:\n  oidc: [{issuer: \"https://idp.example.com\", audience: w, leeway: 30}]\n",
			want: []wantProblem{{"", `line 7: invalid duration "30"`}},
		},
		{
			name: "unknown key merged in through an alias",
			text: minimal + `models:
  - name: a
    upstream: &u {url: "http://x/v1", retries: 3}
  - name: b
    upstream: {<<: *u}
`,
			want: []wantProblem{{"models[0].upstream.retries", "unknown key (line 8)"}},
		},
		{
			name: "syntax error",
			text: "version: 1\nserver:\n  listen: [\n",
			want: []wantProblem{{"", "line"}},
		},
		{
			name: "tab indentation",
			text: "version: 1\nserver:\n\tlisten: x\n",
			want: []wantProblem{{"", "line 3"}},
		},
		{
			name: "empty file",
			text: "",
			want: []wantProblem{{"", "the file is empty"}},
		},
		{
			name: "only comments",
			text: "# nothing here\n",
			want: []wantProblem{{"", "the file is empty"}},
		},
		{
			name: "two documents",
			text: minimal + "---\nversion: 1\n",
			want: []wantProblem{{"", "more than one YAML document"}},
		},
		{
			name: "top level is a sequence",
			text: "- version: 1\n",
			want: []wantProblem{{"", "top level must be a mapping"}},
		},
		{
			name: "top level is a scalar",
			text: "version 1\n",
			want: []wantProblem{{"", "top level must be a mapping"}},
		},
		{
			name: "top level is null",
			text: "---\n",
			want: []wantProblem{{"", "top level must be a mapping"}},
		},
		{
			name: "wrong types, each with its line",
			text: minimal + `server:
  max_body_bytes: "big"
  trusted_proxies: 10.0.0.0/8
roles: {name: a}
`,
			want: []wantProblem{
				{"", "line 7: cannot unmarshal !!str `big` into int64"},
				{"", "line 8: cannot unmarshal !!str `10.0.0.0/8` into []string"},
				{"", "line 9: cannot unmarshal !!map into []config.Role"},
			},
		},
		{
			name: "bad durations, each with its line",
			text: minimal + `server:
  timeouts: {read: 5x, idle: -1m}
models:
  - name: a
    upstream: {url: "http://x/v1", timeout: [1s]}
`,
			want: []wantProblem{
				{"", `line 7: invalid duration "5x"`},
				{"", `line 7: invalid duration "-1m"`},
				{"", "line 10: expected a duration"},
			},
		},
		{
			name: "duplicate key",
			text: minimal + "version: 1\n",
			want: []wantProblem{{"", `mapping key "version" already defined at line 1`}},
		},
		{
			name: "version as a string",
			text: `version: "one"` + "\n",
			want: []wantProblem{{"", "cannot unmarshal !!str `one` into int"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tr.fill(tt.text))
			if c != nil {
				t.Errorf("Parse returned a config along with the error")
			}
			checkProblems(t, problemsOf(t, err), tt.want)
		})
	}
}

// TestParseAliasFanOut checks that a small file whose aliases fan out is
// refused quickly rather than walked exponentially.
func TestParseAliasFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nroles:\n  - &r {name: a, models: &m [")
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("a")
	}
	b.WriteString("], typo: 1}\n")
	for range 5000 {
		b.WriteString("  - *r\n")
	}
	// Walked once per anchor (reported once, where it is defined), not
	// once per alias: 25 million walks would make this test run for minutes.
	_, err := Parse([]byte(b.String()))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	checkProblems(t, problemsOf(t, err), []wantProblem{{"roles[0].typo", "unknown key (line 3)"}})

	// Without the unknown key the decoder's own alias limit refuses it.
	_, err = Parse([]byte(strings.Replace(b.String(), ", typo: 1", "", 1)))
	checkProblems(t, problemsOf(t, err), []wantProblem{{"", "excessive aliasing"}})
}

// TestParseWholeFloats: a number written as a float but whole (2e6, 60.0)
// is accepted where an integer belongs.
func TestParseWholeFloats(t *testing.T) {
	tr := newTree(t, t.TempDir())
	c, err := Parse(tr.fill(minimal + "server: {max_body_bytes: 2048.0}\nroles: [{name: a, limits: {tokens_per_day: 2e6, tokens_per_month: 4.0e7}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Roles[0].Limits, (Limits{TokensPerDay: 2000000, TokensPerMonth: 40000000}); got != want || c.Server.MaxBodyBytes != 2048 {
		t.Errorf("limits %+v, max_body_bytes %d; want %+v, 2048", got, c.Server.MaxBodyBytes, want)
	}
}
