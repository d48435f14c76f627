package gateway_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

func TestTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		minVersion  string // server.tls.min_version
		clientMax   uint16 // client's MaxVersion (0: the default, 1.3)
		wantVersion uint16 // negotiated; 0: the handshake must fail
	}{
		{"TLS 1.3 and HTTP/2", "1.3", 0, tls.VersionTLS13},
		{"TLS 1.2 client refused", "1.3", tls.VersionTLS12, 0},
		{"TLS 1.2 client allowed by min_version 1.2", "1.2", tls.VersionTLS12, tls.VersionTLS12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := wardentest.NewGateway(t, wardentest.GatewayOptions{
				TLS:       true,
				Configure: func(c *config.Config) { c.Server.TLS.MinVersion = tt.minVersion },
			})
			key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
			tr := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: g.RootCAs, MaxVersion: tt.clientMax}}
			t.Cleanup(tr.CloseIdleConnections)
			c := newClient(g, key.Secret, option.WithHTTPClient(&http.Client{Transport: tr}))

			var res *http.Response
			err := chat(testContext(t), c, "gpt-test", option.WithResponseInto(&res))
			if tt.wantVersion == 0 {
				var apiErr *openai.Error
				if err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), "protocol version") {
					t.Fatalf("got %v, want a refused handshake (protocol version)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.TLS == nil || res.TLS.Version != tt.wantVersion {
				t.Errorf("negotiated %v, want %s", res.TLS, tls.VersionName(tt.wantVersion))
			}
			if res.ProtoMajor != 2 {
				t.Errorf("protocol %s, want HTTP/2", res.Proto)
			}
		})
	}
}

// TestGracefulShutdown stops the gateway in the middle of a stream: the
// listener closes at once, the stream runs to its end, and only then does
// Serve return.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	u := wardentest.NewUpstream(t)
	midStream, release := make(chan struct{}), make(chan struct{})
	u.OnChunk(func(ctx context.Context, i int) {
		if i == 2 {
			close(midStream)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	})
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{Upstream: u})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	ctx := testContext(t)

	body := `{"model": "gpt-test", "stream": true, "messages": [{"role": "user", "content": "hi"}]}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := g.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %s", res.Status)
	}
	select {
	case <-midStream:
	case <-ctx.Done():
		t.Fatal("the stream never reached its middle")
	}

	stopped := make(chan error, 1)
	go func() { stopped <- g.Close() }()
	refused := false
	for !refused && ctx.Err() == nil {
		conn, err := net.DialTimeout("tcp", g.Addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		conn.Close()
		time.Sleep(5 * time.Millisecond)
	}
	if !refused {
		t.Fatal("new connections were still accepted after shutdown began")
	}
	select {
	case <-g.Done():
		t.Fatal("Serve returned while a stream was in flight")
	default:
	}
	close(release)

	var data []string
	var content strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		data = append(data, line)
		var ch struct {
			Choices []struct{ Delta struct{ Content string } }
		}
		if json.Unmarshal([]byte(line), &ch) == nil && len(ch.Choices) > 0 {
			content.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if len(data) == 0 || data[len(data)-1] != "[DONE]" {
		t.Errorf("the stream did not end with [DONE]; last events: %q", data[max(0, len(data)-2):])
	}
	if content.String() != wardentest.DefaultContent {
		t.Errorf("stream content %q, want %q", content.String(), wardentest.DefaultContent)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after the stream ended")
	}
}

// TestConfigReload changes a role in the config file and reloads; then it
// writes invalid files, each of which Reload refuses while the last good
// configuration keeps serving.
func TestConfigReload(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{ConfigFile: true})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	c := newClient(g, key.Secret)
	ctx := testContext(t)

	wantAPIError(t, chat(ctx, c, "gpt-other"), http.StatusForbidden, "model_not_allowed", key.Secret)
	g.EditConfig(t, func(c *config.Config) { c.Roles[1].Models = append(c.Roles[1].Models, "gpt-other") })
	if err := g.Server.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if err := chat(ctx, c, "gpt-other"); err != nil {
		t.Fatalf("after reload: %v", err)
	}
	good, err := os.ReadFile(g.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		raw     string                 // the whole file, or
		edit    func(c *config.Config) // a change to the good one
		wantErr string                 // in Reload's error
	}{
		{name: "YAML syntax", raw: "version: 1\nroles: [\n", wantErr: "line 2"},
		{name: "empty file", raw: "", wantErr: "empty"},
		{name: "unknown key", raw: string(good) + "bogus: true\n", wantErr: "bogus"},
		{name: "unknown capability", edit: func(c *config.Config) { c.Roles[1].Capabilities = []string{"fly"} }, wantErr: "fly"},
		{name: "restart-only setting", edit: func(c *config.Config) { c.Server.Listen = "127.0.0.1:1" }, wantErr: "server.listen"},
		{name: "unset upstream key", edit: func(c *config.Config) {
			c.Models[0].Upstream.APIKey = "env:WARDENTEST_SURELY_UNSET_VARIABLE"
		}, wantErr: "WARDENTEST_SURELY_UNSET_VARIABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the cases share the file.
			g.WriteConfigBytes(t, good)
			if tt.edit != nil {
				g.EditConfig(t, tt.edit)
			} else {
				g.WriteConfigBytes(t, []byte(tt.raw))
			}
			err := g.Server.Reload()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Reload: %v, want an error mentioning %q", err, tt.wantErr)
			}
			if err := chat(testContext(t), c, "gpt-other"); err != nil {
				t.Errorf("the previous configuration stopped serving: %v", err)
			}
			if roles := g.Server.State().Config.Roles; !slices.Contains(roles[1].Models, "gpt-other") {
				t.Errorf("state changed to roles %+v", roles)
			}
		})
	}
}

// TestConfigWatch edits the config file as an editor would and waits for
// the watcher to apply it.
func TestConfigWatch(t *testing.T) {
	t.Parallel()
	g := wardentest.NewGateway(t, wardentest.GatewayOptions{ConfigFile: true})
	key := g.NewKey(t, wardentest.KeyOptions{Role: "chat-only"})
	c := newClient(g, key.Secret)
	ctx := testContext(t)
	if err := g.Server.WatchConfig(ctx); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, chat(ctx, c, "gpt-other"), http.StatusForbidden, "model_not_allowed", key.Secret)
	g.EditConfig(t, func(c *config.Config) { c.Roles[1].Models = []string{"*"} })
	for {
		err := chat(ctx, c, "gpt-other")
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the edited config was never applied: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
