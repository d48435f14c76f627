package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// messagesBody is a Messages API request of about 1 KiB: a system prompt,
// two turns and a tool.
var messagesBody = []byte(`{"model":"claude-x","max_tokens":512,"system":"You are a concise assistant for an insurance company's claims team.",` +
	`"messages":[{"role":"user","content":"` + strings.Repeat("A customer reports water damage after a pipe burst. ", 12) + `"},` +
	`{"role":"assistant","content":[{"type":"text","text":"Let me check the policy."},{"type":"tool_use","id":"toolu_1","name":"policy","input":{"id":"P-1"}}]},` +
	`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"Covers sudden escape of water."}]}],` +
	`"tools":[{"name":"policy","description":"Look up a policy","input_schema":{"type":"object","properties":{"id":{"type":"string"}}}}]}`)

// BenchmarkFromMessages: translating a 1 KiB Messages request into Chat
// Completions (what /v1/messages adds before the controls).
func BenchmarkFromMessages(b *testing.B) {
	b.SetBytes(int64(len(messagesBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromMessages(messagesBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessagesStream: translating one streamed chat chunk into
// Messages API events (what /v1/messages adds per token).
func BenchmarkMessagesStream(b *testing.B) {
	a := NewMessagesAnswer("claude-x")
	a.Stream([]byte(`data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n"))
	chunk := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		a.Stream(chunk)
	}
}

// BenchmarkResponsesStream: the same for the Responses API.
func BenchmarkResponsesStream(b *testing.B) {
	a := NewResponsesAnswer(&ResponsesRequest{Model: "gpt-x"})
	a.Stream([]byte(`data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}` + "\n\n"))
	chunk := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Stream(chunk)
		if i%1000 == 999 { // the answer's text grows with every delta; start a new one now and then
			a = NewResponsesAnswer(&ResponsesRequest{Model: "gpt-x"})
			a.Stream([]byte(`data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"a"}}]}` + "\n\n"))
		}
	}
}

// BenchmarkToAnthropic: translating a 1 KiB chat request for an Anthropic
// upstream (what upstream.api: anthropic adds after the controls).
func BenchmarkToAnthropic(b *testing.B) {
	m, err := FromMessages(messagesBody)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.Chat)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToAnthropic(m.Chat, "claude-x"); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}
