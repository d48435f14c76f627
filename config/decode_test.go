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
				// Unknown keys no longer stop the pass: validation reports too.
				{"audit.signing_key_file", "required"},
			},
		},
		{
			name: "typo",
			text: minimal + "server:\n  max_body_byte: 1024\n",
			want: []wantProblem{{"server.max_body_byte", "unknown key (line 7)"}},
		},
		{
			name: "keys this version does not have",
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
				{"auth.oidc", "want a list, got a mapping (line 7)"},
				{"auth.mtls.enabled", `want true or false, got "sometimes" (line 8)`},
				{"auth.ip_allow", `want a list, got "10.0.0.0/8" (line 9)`},
				{"roles[0].groups", `want a list, got "legal" (line 12)`},
				{"roles[0].limits.tokens_per_day", `want an integer, got "lots" (line 13)`},
				{"roles[0].limits.requests_per_minute", "must not be negative"},
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
				{"roles[0].limits.tokens_per_day", `want an integer, got ".nan" (line 6)`},
				{"roles[0].limits.tokens_per_month", `want an integer, got "big" (line 6)`},
				{"kms.local.key_file", "required"},
				{"audit.signing_key_file", "required"},
			},
		},
		{
			name: "bad leeway",
			text: minimal + "auth:\n  oidc: [{issuer: \"https://idp.example.com\", audience: w, leeway: 30}]\n",
			want: []wantProblem{{"auth.oidc[0].leeway", `invalid duration "30" (use e.g. 90s, 15m, 2h, 30d) (line 7)`}},
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
				{"server.max_body_bytes", `want an integer, got "big" (line 7)`},
				{"server.trusted_proxies", `want a list, got "10.0.0.0/8" (line 8)`},
				{"roles", "want a list, got a mapping (line 9)"},
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
				{"server.timeouts.read", `invalid duration "5x" (use e.g. 90s, 15m, 2h, 30d) (line 7)`},
				{"server.timeouts.idle", `invalid duration "-1m": must not be negative (line 7)`},
				{"models[0].upstream.timeout", "expected a duration such as 90s or 30d (line 10)"},
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
			// The bad version is not also "required"; the rest is validated.
			want: []wantProblem{
				{"version", `want an integer, got "one" (line 1)`},
				{"data_dir", "required"},
				{"kms.local.key_file", "required"},
				{"audit.signing_key_file", "required"},
			},
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
	checkProblems(t, problemsOf(t, err), []wantProblem{{"roles[0].typo", "unknown key (line 3)"}, {"", "excessive aliasing"}})

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

// TestParseOnePass checks that one pass reports every kind of problem
// together: unknown keys, values of the wrong type (each with its key path
// and line) and validation problems elsewhere, which a type error no longer
// hides; and that a bad value is not also reported as missing.
func TestParseOnePass(t *testing.T) {
	tr := newTree(t, t.TempDir())
	tests := []struct {
		name string
		text string
		want []wantProblem
	}{
		{
			name: "the issue's example, with a validation problem elsewhere",
			text: `version: 1
data_dir: {{DIR}}/data
server:
  max_body_bytes: "lots"
kms: {local: {key_file: {{DIR}}/keys/master.key}}
audit: {signing_key_file: {{DIR}}/keys/audit.key}
log: {level: loud}
`,
			want: []wantProblem{
				{"server.max_body_bytes", `want an integer, got "lots" (line 4)`},
				{"log.level", "loud"},
			},
		},
		{
			name: "unknown key, type errors and validation together",
			text: minimal + `colour: blue
server: {listen: [a], timeouts: {read: 5x}}
roles:
  - name: a
    models: [m, {x: y}]
    capabilities: [chat, sudo]
    limits: {max_tokens: 1.5, tokens_per_day: -1}
models:
  - {name: m, builtin: demo, limits: {max_tokens: many}}
`,
			want: []wantProblem{
				{"colour", "unknown key (line 6)"},
				{"server.listen", "want a string, got a list (line 7)"},
				{"server.timeouts.read", `invalid duration "5x"`},
				{"roles[0].models[1]", "want a string, got a mapping (line 10)"},
				{"roles[0].limits.max_tokens", "want a whole number, got 1.5 (line 12)"},
				{"models[0].limits.max_tokens", `want an integer, got "many" (line 14)`},
				{"roles[0].limits.tokens_per_day", "must not be negative"},
				{"roles[0].capabilities[1]", "sudo"},
			},
		},
		{
			name: "maps, merges and aliases",
			text: minimal + `content:
  request:
    pii: {email: [redact], phone: mask}
    injection_threshold: high
upstreams:
  base: &u {url: "http://x/v1", timeout: soon}
models:
  - {name: a, upstream: {<<: *u}}
  - {name: b, upstream: {<<: *u, model: c}}
  - {name: d, upstream: {<<: 5, url: "http://x/v1"}}
`,
			want: []wantProblem{
				{"content.request.pii.email", "want a string, got a list (line 8)"},
				{"content.request.injection_threshold", `want a number, got "high" (line 9)`},
				{"upstreams", "unknown key (line 10)"},
				{"models[0].upstream.timeout", `invalid duration "soon" (use e.g. 90s, 15m, 2h, 30d) (line 11)`},
				{"models[2].upstream", `want a mapping of keys, got "5" (line 15)`},
			},
		},
		{
			name: "a key that is not a name",
			text: minimal + "server:\n  ? [listen]\n  : x\n  max_body_bytes: 1\n",
			want: []wantProblem{
				{"server", "want a key name, got a list (line 7)"},
				{"server.max_body_bytes", "must be between"},
			},
		},
		{
			// Reported once, where the anchor is; neither role's name is
			// then also "required".
			name: "a bad value aliased",
			text: minimal + `roles:
  - {name: &n [a], models: ["*"], capabilities: [chat]}
  - {name: *n, models: ["*"], capabilities: [chat]}
`,
			want: []wantProblem{{"roles[0].name", "want a string, got a list (line 7)"}},
		},
		{
			name: "a wrong type at the top level hides nothing below it",
			text: minimal + `roles: {name: a}
models:
  - {name: m, upstream: {url: "ftp://x"}}
`,
			want: []wantProblem{
				{"roles", "want a list, got a mapping (line 6)"},
				{"models[0].upstream.url", "want an absolute http:// or https:// URL"},
			},
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
