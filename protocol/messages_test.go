package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
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
