package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWebhookSignedAndRetried: a generic webhook gets the event as JSON
// with a valid signature; a receiver that fails twice is retried until it
// takes it; a Slack target gets {"text": ...}; Send never blocks.
func TestWebhookSignedAndRetried(t *testing.T) {
	secret := []byte("s3cret")
	var fails atomic.Int32
	fails.Store(2)
	got := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !Verify(secret, b, r.Header.Get(SignatureHeader), time.Now(), 5*time.Minute) {
			t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
		}
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got <- b
	}))
	defer hook.Close()
	slackGot := make(chan []byte, 1)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		slackGot <- b
	}))
	defer slack.Close()
	var mu sync.Mutex
	results := map[string][]bool{}
	n := New([]Target{{Name: "soc", Type: "webhook", URL: hook.URL, Secret: secret}, {Name: "chat", Type: "slack", URL: slack.URL}},
		Options{Backoff: 10 * time.Millisecond, Sent: func(target string, ok bool) { mu.Lock(); results[target] = append(results[target], ok); mu.Unlock() }})
	defer n.Close()
	n.Send(Event{Kind: "approval.requested", Title: "Approval needed", Fields: map[string]string{"id": "apr_1", "model": "gpt"}})
	select {
	case b := <-got:
		var ev struct {
			Kind, Title string
			Fields      map[string]string
		}
		if json.Unmarshal(b, &ev) != nil || ev.Kind != "approval.requested" || ev.Fields["id"] != "apr_1" {
			t.Fatalf("webhook body %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the webhook never got the event")
	}
	select {
	case b := <-slackGot:
		if !strings.Contains(string(b), `"text":"Approval needed\n*id*: apr_1\n*model*: gpt"`) {
			t.Fatalf("slack body %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("slack never got the event")
	}
	if !Verify(secret, []byte("x"), Sign(secret, []byte("x"), time.Now()), time.Now(), time.Minute) ||
		Verify(secret, []byte("y"), Sign(secret, []byte("x"), time.Now()), time.Now(), time.Minute) ||
		Verify(secret, []byte("x"), Sign(secret, []byte("x"), time.Now().Add(-time.Hour)), time.Now(), time.Minute) {
		t.Fatal("Verify")
	}
}

// TestReceiverDown: a receiver that never answers well is given up after
// the attempts, without holding up the other target.
func TestReceiverDown(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	up := make(chan struct{}, 1)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { up <- struct{}{} }))
	defer ok.Close()
	gaveUp := make(chan bool, 1)
	n := New([]Target{{Name: "down", Type: "webhook", URL: down.URL}, {Name: "up", Type: "webhook", URL: ok.URL}},
		Options{Attempts: 3, Backoff: 5 * time.Millisecond, Sent: func(target string, ok bool) {
			if target == "down" {
				gaveUp <- !ok
			}
		}})
	defer n.Close()
	n.Send(Event{Kind: "alert.firing", Title: "x"})
	select {
	case <-up:
	case <-time.After(5 * time.Second):
		t.Fatal("the healthy receiver waited for the broken one")
	}
	if !<-gaveUp {
		t.Fatal("delivered to a receiver that always fails")
	}
}

// TestSendNeverBlocks: with a receiver that hangs and a full queue, Send
// still returns (dropping), so a request never waits for a notification.
func TestSendNeverBlocks(t *testing.T) {
	hang := make(chan struct{})
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer r.Close()
	defer close(hang)
	var dropped atomic.Int32
	n := New([]Target{{Name: "slow", Type: "webhook", URL: r.URL}}, Options{Queue: 1, Sent: func(_ string, ok bool) {
		if !ok {
			dropped.Add(1)
		}
	}})
	for range 10 {
		n.Send(Event{Kind: "alert.firing", Title: "x"})
	}
	if dropped.Load() < 8 {
		t.Fatalf("%d dropped of 10 with a queue of 1 and a hung receiver", dropped.Load())
	}
	go n.Close()
}

// TestSlackTextIsPlain: what a prompt puts in a field cannot mention
// @channel, make a link or start a field of its own in Slack.
func TestSlackTextIsPlain(t *testing.T) {
	q := &queue{t: Target{Type: "slack"}}
	b := q.body(Event{Title: "Approval <needed>", Fields: map[string]string{
		"preview": "<!channel> urgent & routine\n*principal*: apikey:key_ceo <https://evil.example/approve|Click to approve>"}})
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := "Approval &lt;needed&gt;\n*preview*: &lt;!channel&gt; urgent &amp; routine *principal*: apikey:key_ceo &lt;https://evil.example/approve|Click to approve&gt;"
	if m["text"] != want {
		t.Fatalf("text\n%q\nwant\n%q", m["text"], want)
	}
}

// TestVerifyRefusesEmptySecret: anyone can compute an HMAC under an empty
// key, so a receiver with no secret configured accepts nothing.
func TestVerifyRefusesEmptySecret(t *testing.T) {
	body := []byte(`{"kind":"x"}`)
	if Verify(nil, body, Sign(nil, body, time.Now()), time.Now(), time.Minute) {
		t.Fatal("accepted a signature under an empty secret")
	}
}

// TestErrorsNeverQuoteTheURL: a target URL (a Slack URL is a secret) is
// not in the error of a post that cannot even be made.
func TestErrorsNeverQuoteTheURL(t *testing.T) {
	q := &queue{t: Target{Name: "chat", Type: "slack", URL: "https://hooks.slack.com/services/T0/B0/SECRETTOKEN\n"}, c: http.DefaultClient}
	err := q.post(t.Context(), []byte("{}"))
	if err == nil || strings.Contains(err.Error(), "SECRETTOKEN") || !strings.HasPrefix(err.Error(), "chat: ") {
		t.Fatalf("%v", err)
	}
}
