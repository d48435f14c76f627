package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts is
// valid, stays valid under ApplyDefaults, and survives a YAML round trip.
// "{{DIR}}" in an input becomes a directory holding real key and certificate
// files, so that the fuzzer can reach configurations that pass Validate.
func FuzzParse(f *testing.F) {
	tr := newTree(f, f.TempDir())
	for _, s := range []string{
		minimal,
		fullConfig,
		string(Starter("{{DIR}}", "warden.example.com/audit")),
		minimal + "models:\n  - name: a\n    upstream: &u {url: \"http://x/v1\", timeout: 7d12h}\n  - name: b\n    upstream: {<<: *u, model: y}\n",
		minimal + "storage: {driver: postgres, dsn: \"postgres://u:p@db/w\"}\n",
		minimal + "server: {tls: {cert_file: {{DIR}}/tls/cert.pem, key_file: {{DIR}}/tls/key.pem, client_auth: require}}\n",
		minimal + "server: {trusted_proxies: [\"::1\", 10.0.0.0/8, bad]}\n",
		minimal + "roles: [{name: a, capabilities: [chat, sudo]}, {name: a}]\n",
		minimal + "colour: blue\nserver: {tls: {ciphers: x}}\n",
		minimal + `server: {tls: {cert_file: {{DIR}}/tls/cert.pem, key_file: {{DIR}}/tls/key.pem, client_auth: require, client_ca_file: {{DIR}}/tls/ca.pem}}
ratelimit: {driver: redis, url: "redis://127.0.0.1:6379/0"}
auth:
  oidc:
    - {issuer: "https://login.example.com/realms/corp", audience: warden, groups_claim: realm_access.roles, algorithms: [RS256, EdDSA], leeway: 1m}
    - {issuer: "http://127.0.0.1:5556/dex", audience: w, subject_claim: email, jwks_url: "http://[::1]:5556/keys"}
  mtls: {enabled: true, identity_from: spiffe, groups_from: ou, crl_file: {{DIR}}/tls/crl.pem}
  ip_allow: [10.0.0.0/8, "::1"]
roles:
  - {name: legal, groups: [legal, "Legal Team"], models: ["*"], capabilities: [chat], ip_allow: [10.20.0.0/16], limits: {requests_per_minute: 60, tokens_per_minute: 1e5, tokens_per_day: 2000000, tokens_per_month: 0}}
`,
		minimal + "ratelimit: {url: \"redis://:pw@r/0\"}\nauth: {oidc: [{issuer: \"http://idp?x#y\", algorithms: [none, HS256], leeway: 6m}, {}], mtls: {enabled: true, identity_from: dn}, ip_allow: [\"\"]}\nroles: [{name: a, groups: [\" a\", \"\"], limits: {requests_per_minute: -1, tokens_per_day: 1.5}}]\n",
		minimal + "server: {max_body_bytes: big, timeouts: {read: 5x}}\n",
		minimal + "colour: 1\nserver: {listen: [a], <<: 5}\nroles: [{name: &n [a], limits: {max_tokens: 1.5}}, {name: *n}]\ncontent: {request: {pii: {? [a] : b, email: [x]}}}\nlog: {level: loud}\n",
		"version: 1\n---\nversion: 1\n",
		"- a\n- b\n",
		"",
		"version: [\n",
		"a: &a [*a]\n",
		"version: 1\nroles: [&r {name: a}, *r, *r]\n",
		"? [a, b]\n: c\n",
		"version: !!binary aGVsbG8=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(tr.fill(text))
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config and an error: %v", err)
			}
			probs := problemsOf(t, err)
			if len(probs) == 0 {
				t.Fatalf("Parse failed without a problem: %v", err)
			}
			for _, p := range probs {
				// Every value of the wrong type is found by the walk, with
				// its key path: the decoder's own words never show.
				if strings.Contains(p.Msg, "cannot unmarshal") {
					t.Fatalf("a type error without its key path: %q", probs)
				}
			}
			return
		}
		if probs := c.Validate(); probs != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %q", probs)
		}
		again := *c
		again.ApplyDefaults()
		if diff := cmp.Diff(c, &again); diff != "" {
			t.Fatalf("ApplyDefaults is not idempotent (-once +twice):\n%s", diff)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("the marshalled config does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(c, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed the config (-parsed +reparsed):\n%s", diff)
		}
	})
}

// FuzzParseDuration checks that ParseDuration never panics, never returns a
// negative duration, and reads back what time.Duration.String writes.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "7d12h", "90s", "1h30m", "0", "d", "-1d", "5x", "1d-5m", "-5m", "65535d2562047h", "1d1d", " 2h ", "1.5h", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) = %v with an error", s, d)
			}
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, but ParseDuration(%q) = %v, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParsePrefix checks that ParsePrefix never panics and that whatever it
// accepts is a valid, masked prefix that reads back the same.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.1.2.3/8", "192.168.1.7", "::1", "2001:db8::/32", "::ffff:10.1.2.3", "fe80::1%eth0", "10.0.0.0/33", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() {
			t.Fatalf("ParsePrefix(%q) = %v, not a valid masked prefix", s, p)
		}
		if back, err := ParsePrefix(p.String()); err != nil || back != p {
			t.Fatalf("ParsePrefix(%q) = %v, but ParsePrefix(%q) = %v, %v", s, p, p.String(), back, err)
		}
	})
}
