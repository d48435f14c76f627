package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/bench/loadgen"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"0", []int{0}},
		{"0-1", []int{0, 1}},
		{"0-2,5,8-9", []int{0, 1, 2, 5, 8, 9}},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUList(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1-x"} {
		if got, err := parseCPUList(bad); err == nil {
			t.Errorf("parseCPUList(%q) = %v, want an error", bad, got)
		}
	}
}

func TestLineWatcher(t *testing.T) {
	w := &lineWatcher{tail: &tail{}, addr: make(chan string, 1)}
	for _, chunk := range []string{"starting\nlisten", "ing 127.0.0.1:80", "80\nlistening other\n"} {
		w.Write([]byte(chunk))
	}
	if got := <-w.addr; got != "127.0.0.1:8080" {
		t.Errorf("address = %q, want 127.0.0.1:8080", got)
	}
	if got := w.tail.String(); !strings.HasSuffix(got, "listening other") {
		t.Errorf("tail = %q, want all output", got)
	}
}

// TestUpstreamThroughFloor checks that the upstream answers like an
// OpenAI-compatible server, directly and through the floor proxy.
func TestUpstreamThroughFloor(t *testing.T) {
	up := httptest.NewServer(upstreamHandler())
	defer up.Close()
	u, _ := url.Parse(up.URL)
	floor := httptest.NewServer(floorProxy(u))
	defer floor.Close()

	for _, base := range []string{up.URL, floor.URL} {
		tg := target{name: base, url: base, key: "bench"}
		if err := tg.check(t.Context()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(string(chatRequest)))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Object string
			Usage  struct {
				TotalTokens int `json:"total_tokens"`
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || got.Object != "chat.completion" || got.Usage.TotalTokens != 21 {
			t.Errorf("%s: response %+v, %v; want a chat.completion with usage", base, got, err)
		}
		resp, err = http.Get(base + "/v1/models")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: GET /v1/models: %s", base, resp.Status)
		}
	}
}

func TestForeign(t *testing.T) {
	a := cpuSample{idle: 100, total: 200, ours: 50, ok: true}
	tests := []struct {
		b    cpuSample
		want float64
	}{
		{cpuSample{idle: 150, total: 400, ours: 100, ok: true}, 0.5}, // 150 busy, 50 ours
		{cpuSample{idle: 250, total: 400, ours: 100, ok: true}, 0},   // all busy time ours
		{cpuSample{idle: 250, total: 400, ours: 120, ok: true}, 0},   // clamped
		{cpuSample{idle: 150, total: 400, ours: 100}, 0},             // unknown
	}
	for _, tt := range tests {
		if got := foreign(a, tt.b); got != tt.want {
			t.Errorf("foreign(%+v, %+v) = %v, want %v", a, tt.b, got, tt.want)
		}
	}
	if self := procTicks(os.Getpid()); self == 0 {
		t.Log("procTicks(self) = 0: no /proc here?")
	}
}

// TestStreamThroughTLSFloor: asked to stream, the upstream answers in
// server-sent events, and the floor serves them over TLS with the run's
// certificate, which the generator's client trusts.
func TestStreamThroughTLSFloor(t *testing.T) {
	up := httptest.NewServer(upstreamHandler())
	defer up.Close()
	u, _ := url.Parse(up.URL)
	c, err := newCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := serverConfig(c.certFile, c.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	floor := httptest.NewUnstartedServer(floorProxy(u))
	floor.TLS = sc
	floor.StartTLS()
	defer floor.Close()

	tg := target{name: "floor-stream", url: floor.URL, key: "bench", stream: true, tls: c.clientConfig()}
	if err := tg.check(t.Context()); err != nil {
		t.Fatal(err)
	}
	status, first, err := tg.requester(newClient(5*time.Second, tg.tls))(t.Context())
	if err != nil || status != 200 || first.IsZero() {
		t.Fatalf("streamed request: %d %v %v", status, first, err)
	}
	resp, err := newClient(5*time.Second, tg.tls).Post(floor.URL+"/v1/chat/completions", "application/json", strings.NewReader(string(streamRequest)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") != "text/event-stream" || !strings.HasSuffix(string(b), "data: [DONE]\n\n") || strings.Count(string(b), "data: ") != len(streamEvents) {
		t.Errorf("stream: %s %q", resp.Header.Get("Content-Type"), b)
	}
}

// TestGoals: each goal is checked against the rows of its kind.
func TestGoals(t *testing.T) {
	res := func(p50, p99, max time.Duration) loadgen.Result {
		return loadgen.Result{Latency: loadgen.Summary{P50: p50, P99: p99, Max: max}}
	}
	ms := time.Millisecond
	rows := []*row{
		{target: target{name: "direct"}, fixed: res(ms/5, ms, 2*ms)},
		{target: target{name: "floor", pid: 1}, fixed: res(ms/2, 2*ms, 3*ms), ticks: 10, sent: 1000},
		{target: target{name: "warden-full", pid: 2}, fixed: res(ms, 4*ms, 60*ms), ticks: 20, sent: 1000, peakRSS: 100 << 20},
		{target: target{name: "warden-async", pid: 3}, fixed: res(ms/2+ms/10, 2*ms+ms/2, 4*ms)},
	}
	got := strings.Join(goals(setup{options: options{rate: 1000}}, rows), "\n")
	for _, want := range []string{
		"warden-full: added p50 ≤ floor's + 0.5 ms (+0.800 ms vs +0.300 ms): met",
		"warden-full: p99 ≤ 5 ms (4.000 ms): met",
		"warden-full: no request over 50 ms (max 60.000 ms): NOT met",
		"warden-full: CPU per request ≤ 2.5× the floor's (2.0×): met",
		"warden-full: peak RSS ≤ 150 MB (100 MB): met",
		"warden-async: added p50 ≤ floor's + 0.15 ms (+0.400 ms vs +0.300 ms): met",
		"warden-async: p99 ≤ floor's p99 + 1 ms (2.500 ms vs 2.000 ms): met",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}
