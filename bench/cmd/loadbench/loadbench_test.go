package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
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
