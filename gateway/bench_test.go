package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

// BenchmarkChatCompletion measures one non-streamed chat completion through
// a whole gateway (client, gateway and fake upstream in one process, so
// the figure is an upper bound on the gateway's own cost); run it with
// -cpuprofile to see where the gateway spends.
func BenchmarkChatCompletion(b *testing.B) {
	g := wardentest.NewGateway(b, wardentest.GatewayOptions{})
	key := g.NewKey(b, wardentest.KeyOptions{Role: "chat-only"})
	body := `{"model":"gpt-test","messages":[{"role":"user","content":"Say hello."}]}`
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		res, err := g.Client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.Status)
		}
	}
}

// BenchmarkChatCompletionParallel is BenchmarkChatCompletion with many
// clients at once: the audit log's group commit then writes many records
// per batch.
func BenchmarkChatCompletionParallel(b *testing.B) {
	g := wardentest.NewGateway(b, wardentest.GatewayOptions{})
	key := g.NewKey(b, wardentest.KeyOptions{Role: "chat-only"})
	body := `{"model":"gpt-test","messages":[{"role":"user","content":"Say hello."}]}`
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", g.URL+"/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			res, err := g.Client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Error(res.Status)
				return
			}
		}
	})
}
