package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
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

// BenchmarkChatCompletionEverything is BenchmarkChatCompletion with every
// feature a regulated user switches on (issue: performance): a 1 KiB
// prompt, store: full with sync durability, hipaa_safe_harbor and secrets
// in requests and responses, injection screening, a rate limit. Profile it
// with -cpuprofile to see what a request costs.
func BenchmarkChatCompletionEverything(b *testing.B) {
	g := wardentest.NewGateway(b, wardentest.GatewayOptions{Configure: func(c *config.Config) {
		c.Audit.Durability = config.DurabilitySync
		c.Classifications = []config.Classification{{Name: "confidential", Store: config.StoreFull, Retention: config.Duration(30 * 24 * time.Hour)}}
		c.Models[0].Classification = "confidential"
		pii := map[string]string{"hipaa_safe_harbor": "redact", "secret": "block"}
		c.Content.Request = config.ContentStage{PII: pii, Injection: "flag"}
		c.Content.Response = config.ContentStage{PII: pii}
		for i := range c.Roles {
			c.Roles[i].Limits = config.Limits{RequestsPerMinute: 1e7, TokensPerMinute: 1e9}
		}
	}})
	key := g.NewKey(b, wardentest.KeyOptions{Role: "chat-only"})
	body := `{"model":"gpt-test","messages":[{"role":"system","content":"You are a concise assistant for an insurance company's claims team. Answer in plain English, cite the policy section when you rely on one, and say so when the documents do not answer the question."},` +
		`{"role":"user","content":"A customer reports water damage in the kitchen after a pipe under the sink burst while they were on holiday for two weeks. The policy covers sudden and accidental escape of water, excludes gradual leaks and damage from lack of maintenance, and requires the home to be checked at least every seven days when unoccupied for longer than thirty days. The adjuster found corrosion on the pipe fitting and a dehumidifier log showing high humidity for months. The customer says the fitting was replaced last year by a plumber and has an invoice. Summarise the coverage question, list what else the adjuster should ask for, and draft two sentences the adjuster could send the customer explaining the next steps, without promising an outcome. Keep the whole answer under two hundred words."}],"max_tokens":256}`
	b.SetBytes(int64(len(body)))
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
