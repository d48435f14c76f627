package config

import (
	"strings"
	"testing"
)

// TestGuardConfig: content.guards is validated with the rest: name, type
// (http or lakera), an http(s) URL without credentials (lakera's may be
// left out), api_key as a reference, timeout and on_error; injection:
// shadow, injection_sources and injection_tool_threshold likewise.
func TestGuardConfig(t *testing.T) {
	good := "  request:\n    injection: shadow\n    injection_sources: [user, tool]\n    injection_tool_threshold: 0.5\n" +
		"  guards:\n    - {name: second, type: http, url: \"https://guard.internal/v1/screen\", api_key: \"env:GUARD_KEY\", timeout: 500ms, on_error: allow}\n" +
		"    - {name: lakera, type: lakera, api_key: \"env:LAKERA_KEY\"}\n"
	tr := newTree(t, t.TempDir())
	c, err := Parse(tr.fill(minimal + "content:\n" + good))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Content.Guards; len(g) != 2 || g[0].OnError != "allow" || g[1].URL != "" || c.Content.Request.Injection != "shadow" ||
		len(c.Content.Request.InjectionSources) != 2 || c.Content.Request.InjectionToolThreshold != 0.5 {
		t.Fatalf("%+v %+v", g, c.Content.Request)
	}
	bad := "  request:\n    injection: maybe\n    injection_sources: [user, admin, user]\n    injection_tool_threshold: 3\n" +
		"  response:\n    injection_sources: [tool]\n" +
		"  guards:\n" +
		"    - {name: \"Bad Name\", type: grpc, url: \"ftp://x\", api_key: sk-inline, timeout: 1m, on_error: maybe}\n" +
		"    - {name: b, type: http}\n" +
		"    - {name: b, type: lakera, url: \"https://user:pw@x/\"}\n" +
		"    - {name: c, type: lakera}\n"
	_, err = Parse(tr.fill(minimal + "content:\n" + bad))
	if err == nil {
		t.Fatal("bad guards accepted")
	}
	for _, want := range []string{
		"content.request.injection: unknown mode", "content.request.injection_sources[1]: unknown origin", "content.request.injection_sources[2]: \"user\" is listed twice",
		"content.request.injection_tool_threshold", "content.response.injection_sources",
		"content.guards[0].name", "content.guards[0].type", "content.guards[0].url", "content.guards[0].api_key: inline secrets",
		"content.guards[0].timeout", "content.guards[0].on_error", "content.guards[1].url", "content.guards[2].url: want a URL without credentials",
		"content.guards[2].name: duplicate", "content.guards[3].api_key: Lakera's service needs an API key",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "sk-inline") {
		t.Errorf("an error echoes the inline key: %v", err)
	}
	_, err = Parse(tr.fill(minimal + "content:\n  request:\n    injection: block\n    injection_sources: []\n"))
	if err == nil || !strings.Contains(err.Error(), "lists no origin") {
		t.Errorf("empty sources: %v", err)
	}
}
