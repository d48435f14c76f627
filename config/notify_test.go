package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNotifyForms: alerts and approvals take the short form
// {webhook: URL} as well as a list of targets; a mistake in either is
// reported with its line.
func TestNotifyForms(t *testing.T) {
	tr := newTree(t, t.TempDir())
	parse := func(extra string) (*Config, error) {
		return Parse(tr.fill(minimal + "roles: [{name: sec, capabilities: [approve]}]\n" + extra))
	}
	c, err := parse(`alerts: [{name: denials, when: denied, threshold: 10, window: 1m, notify: {webhook: "https://hooks.example.com/warden"}}]
approvals: {approvers: [sec], notify: {webhook: "https://hooks.example.com/a", secret: "env:HOOK_KEY", slack: "env:SLACK_URL"}}
`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Notify{{Name: "webhook", Type: "webhook", URL: "https://hooks.example.com/warden"}}, c.Alerts[0].Notify); diff != "" {
		t.Errorf("alert notify (-want +got):\n%s", diff)
	}
	want := Notify{{Name: "webhook", Type: "webhook", URL: "https://hooks.example.com/a", Secret: "env:HOOK_KEY"}, {Name: "slack", Type: "slack", URL: "env:SLACK_URL"}}
	if diff := cmp.Diff(want, c.Approvals.Notify); diff != "" {
		t.Errorf("approvals notify (-want +got):\n%s", diff)
	}

	c, err = parse("alerts: [{name: d, when: denied, threshold: 5, notify: [{name: soc, type: webhook, url: \"https://soc.example.com/hook\"}]}]\n")
	if err != nil || len(c.Alerts[0].Notify) != 1 || c.Alerts[0].Notify[0].Name != "soc" {
		t.Fatalf("list form: %v %+v", err, c)
	}

	for _, tt := range []struct{ text, want string }{
		{"alerts: [{name: d, when: denied, threshold: 5, notify: {webhok: \"https://x.example.com\"}}]\n", `alerts[0].notify: unknown key "webhok" (want webhook, slack and secret, or a list of targets) (line 7)`},
		{"alerts: [{name: d, when: denied, threshold: 5, notify: {secret: env:K}}]\n", "alerts[0].notify: secret: only used with webhook (line 7)"},
		{"alerts: [{name: d, when: denied, threshold: 5, notify: {webhook: [a]}}]\n", "alerts[0].notify: webhook: want a URL or an env:/file: reference (line 7)"},
		{"alerts: [{name: d, when: denied, threshold: 5, notify: [{name: s, type: webhook, urll: x}]}]\n", "alerts[0].notify[0].urll: unknown key"},
		{"alerts: [{name: d, when: denied, threshold: 5, notify: {slack: \"https://hooks.slack.com/services/T/B/X\"}}]\n", "a Slack webhook URL is a secret"},
	} {
		_, err := parse(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.text, err, tt.want)
		}
	}
}
