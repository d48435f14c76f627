package protocol

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func chatOf(t *testing.T, body string) map[string]any {
	t.Helper()
	r, err := FromMessages([]byte(body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Chat, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestFromMessages(t *testing.T) {
	m := chatOf(t, `{"model":"claude-x","max_tokens":100,"system":"Be brief.","stop_sequences":["END"],"temperature":0.2,
		"metadata":{"user_id":"u-1"},"stream":true,
		"messages":[
			{"role":"user","content":[{"type":"text","text":"What is in this picture?","cache_control":{"type":"ephemeral"}},
				{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
			{"role":"assistant","content":[{"type":"text","text":"Let me look it up."},{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"cat"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"a cat"}]},{"type":"text","text":"And now?"}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"boom","is_error":true}]}],
		"tools":[{"name":"lookup","description":"Look up","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
		"tool_choice":{"type":"any","disable_parallel_tool_use":true}}`)
	want := `{"max_tokens":100,"messages":[{"content":"Be brief.","role":"system"},` +
		`{"content":[{"text":"What is in this picture?","type":"text"},{"image_url":{"url":"data:image/png;base64,iVBORw0KGgo="},"type":"image_url"}],"role":"user"},` +
		`{"content":"Let me look it up.","role":"assistant","tool_calls":[{"function":{"arguments":"{\"q\":\"cat\"}","name":"lookup"},"id":"toolu_1","type":"function"}]},` +
		`{"content":"a cat","role":"tool","tool_call_id":"toolu_1"},{"content":[{"text":"And now?","type":"text"}],"role":"user"},` +
		`{"content":"[tool error] boom","role":"tool","tool_call_id":"toolu_2"}],` +
		`"model":"claude-x","parallel_tool_calls":false,"stop":["END"],"stream":true,"stream_options":{"include_usage":true},"temperature":0.2,` +
		`"tool_choice":"required","tools":[{"function":{"description":"Look up","name":"lookup","parameters":{"properties":{"q":{"type":"string"}},"type":"object"}},"type":"function"}],"user":"u-1"}`
	if got := jsonOf(m); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// An assistant turn of tool uses only has no content.
	m = chatOf(t, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}],
		"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"tool_choice":{"type":"tool","name":"f"},"thinking":{"type":"disabled"}}`)
	if got := jsonOf(m["messages"]); got != `[{"content":[{"text":"A","type":"text"},{"text":"B","type":"text"}],"role":"system"},{"content":"hi","role":"user"},{"role":"assistant","tool_calls":[{"function":{"arguments":"{}","name":"f"},"id":"t","type":"function"}]}]` {
		t.Errorf("messages %s", got)
	}
	if got := jsonOf(m["tool_choice"]); got != `{"function":{"name":"f"},"type":"function"}` {
		t.Errorf("tool_choice %s", got)
	}
}

func TestFromMessagesRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"no max_tokens":    `{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		"no messages":      `{"model":"m","max_tokens":5,"messages":[]}`,
		"thinking":         `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":1024}}`,
		"server tool":      `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`,
		"document":         `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}]}]}`,
		"unknown param":    `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"frobnicate":true}`,
		"unknown in block": `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi","secret_field":1}]}]}`,
		"duplicate key":    `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi","content":"ignore"}]}`,
		"case variant":     `{"model":"m","max_tokens":5,"MAX_TOKENS":9,"messages":[{"role":"user","content":"hi"}]}`,
		"system role":      `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"hi"}]}`,
		"image in result":  `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}]}`,
		"tool input array": `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[1]}]}]}`,
		"citations":        `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"x","citations":[{"type":"char_location"}]}]}]}`,
		"mcp":              `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"mcp_servers":[{"type":"url","url":"https://x"}]}`,
		"not json":         `{"model":`,
	} {
		_, err := FromMessages([]byte(body))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want a refusal", name, err)
			continue
		}
		if strings.Contains(e.Error(), "secret_field") == false && name == "unknown in block" {
			t.Errorf("%s: %q does not name the field", name, e)
		}
	}
	// A key that does not look like a parameter name is not quoted.
	_, err := FromMessages([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"sk-ant-api03-SECRET":1}`))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("unknown key echoed: %v", err)
	}
}

func TestMessagesAnswerWhole(t *testing.T) {
	a := NewMessagesAnswer("claude-x")
	out, err := a.Whole([]byte(`{"id":"chatcmpl-abc","object":"chat.completion","model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"Hello",
		"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],
		"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_abc","type":"message","role":"assistant","model":"claude-x","content":[{"text":"Hello","type":"text"},{"id":"call_1","input":{"a":1},"name":"f","type":"tool_use"}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7}}`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := a.Whole([]byte(`{"choices":[{"message":{"tool_calls":[{"function":{"arguments":"not json"}}]}}]}`)); err == nil {
		t.Error("tool arguments that are not an object are refused")
	}
}

func TestMessagesAnswerStream(t *testing.T) {
	in := "data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\r\r" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}\n\n" +
		"data: [DONE]\n\n: warden-audit-index 7\n\n"
	// Fed byte by byte: nothing depends on how the stream is cut.
	a := NewMessagesAnswer("claude-x")
	var out []byte
	for i := range len(in) {
		out = append(out, a.Stream([]byte{in[i]})...)
	}
	var names []string
	var r SSEReader
	r.Write(out)
	var text, args string
	for _, ev := range r.Next() {
		if ev.Data == nil {
			names = append(names, ":"+strings.TrimSpace(string(ev.Comment)))
			continue
		}
		names = append(names, ev.Name)
		var e struct {
			Type  string
			Index int
			Delta struct {
				Type, Text  string
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			}
			Usage map[string]int
		}
		json.Unmarshal(ev.Data, &e)
		if e.Type != ev.Name {
			t.Errorf("event %s has type %s", ev.Name, e.Type)
		}
		text += e.Delta.Text
		args += e.Delta.PartialJSON
		if ev.Name == "message_delta" && (e.Delta.StopReason != "tool_use" || e.Usage["output_tokens"] != 5 || e.Usage["input_tokens"] != 3) {
			t.Errorf("message_delta %s", ev.Data)
		}
	}
	want := "message_start content_block_start content_block_delta content_block_delta content_block_stop content_block_start content_block_delta content_block_delta content_block_stop message_delta message_stop :warden-audit-index 7"
	if got := strings.Join(names, " "); got != want || text != "Hello" || args != `{"a":1}` {
		t.Errorf("events %s\ntext %q args %q", got, text, args)
	}
	// Without [DONE] (the audit record could not be released) the message
	// never stops: the client sees a cut stream, not a finished answer.
	a = NewMessagesAnswer("m")
	if out := a.Stream([]byte("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n")); strings.Contains(string(out), "message_stop") {
		t.Error("a stream without [DONE] stopped")
	}
}

func TestMessagesError(t *testing.T) {
	got := string(MessagesError(403, []byte(`{"error":{"message":"content blocked","type":"forbidden","code":"content_blocked"}}`)))
	if got != `{"error":{"code":"content_blocked","message":"content blocked","type":"permission_error"},"type":"error"}` {
		t.Errorf("got %s", got)
	}
	if got := string(MessagesError(502, []byte("<html>"))); !strings.Contains(got, `"api_error"`) || !strings.Contains(got, "Bad Gateway") {
		t.Errorf("got %s", got)
	}
}

func FuzzFromMessages(f *testing.F) {
	f.Add([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]}]}`))
	f.Add([]byte(`{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := FromMessages(body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if !json.Valid(r.Chat) {
			t.Fatalf("invalid chat body %s", r.Chat)
		}
	})
}

func TestToAnthropic(t *testing.T) {
	out, err := ToAnthropic([]byte(`{"model":"gpt","max_tokens":100,"stop":"END","user":"u1","parallel_tool_calls":false,
		"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
		{"role":"tool","tool_call_id":"c1","content":"one"},{"role":"tool","tool_call_id":"c2","content":"two"}],
		"tools":[{"type":"function","function":{"name":"f","description":"F","parameters":{"type":"object"}}}],"tool_choice":"required"}`), "claude-x")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"max_tokens":100,"messages":[{"content":[{"text":"Look","type":"text"},{"source":{"data":"AAAA","media_type":"image/png","type":"base64"},"type":"image"}],"role":"user"},` +
		`{"content":[{"id":"c1","input":{"a":1},"name":"f","type":"tool_use"}],"role":"assistant"},` +
		`{"content":[{"content":"one","tool_use_id":"c1","type":"tool_result"},{"content":"two","tool_use_id":"c2","type":"tool_result"}],"role":"user"}],` +
		`"metadata":{"user_id":"u1"},"model":"claude-x","stop_sequences":["END"],"system":[{"text":"Be brief.","type":"text"}],` +
		`"tool_choice":{"disable_parallel_tool_use":true,"type":"any"},"tools":[{"description":"F","input_schema":{"type":"object"},"name":"f"}]}`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	for name, body := range map[string]string{
		"n":           `{"model":"m","n":3,"messages":[{"role":"user","content":"hi"}]}`,
		"seed":        `{"model":"m","seed":1,"messages":[{"role":"user","content":"hi"}]}`,
		"late system": `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"system","content":"x"}]}`,
		"json schema": `{"model":"m","response_format":{"type":"json_schema"},"messages":[{"role":"user","content":"hi"}]}`,
		"audio":       `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`,
		"unknown":     `{"model":"m","modalities":["audio"],"messages":[{"role":"user","content":"hi"}]}`,
	} {
		if _, err := ToAnthropic([]byte(body), "m"); err == nil {
			t.Errorf("%s: translated", name)
		}
	}
}

func TestFromAnthropicStream(t *testing.T) {
	in := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude\",\"usage\":{\"input_tokens\":4,\"cache_read_input_tokens\":2}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	b, err := io.ReadAll(FromAnthropicStream(io.NopCloser(strings.NewReader(in)), time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{`"delta":{"content":"","role":"assistant"}`, `"delta":{"content":"Hi"}`, `"tool_calls":[{"function":{"arguments":"","name":"f"},"id":"t1","index":0,"type":"function"}]`,
		`"tool_calls":[{"function":{"arguments":"{}"},"index":0}]`, `"finish_reason":"tool_calls"`, `"usage":{"completion_tokens":9,"prompt_tokens":6,"total_tokens":15}`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "data: [DONE]\n\n") {
		t.Errorf("no [DONE]: %s", out)
	}
}

func FuzzToAnthropic(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},{"role":"tool","tool_call_id":"t","content":"x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := ToAnthropic(body, "m")
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid %s", out)
		}
	})
}

func FuzzFromAnthropicStream(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(FromAnthropicStream(io.NopCloser(strings.NewReader(string(in))), time.Unix(0, 0)))
		if err != nil {
			t.Fatal(err)
		}
		var r SSEReader
		r.Write(out)
		for _, ev := range r.Next() {
			if ev.Data != nil && string(ev.Data) != "[DONE]" && !json.Valid(ev.Data) {
				t.Fatalf("invalid chunk %q", ev.Data)
			}
		}
	})
}
