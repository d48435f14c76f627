package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFromResponses(t *testing.T) {
	r, err := FromResponses([]byte(`{"model":"gpt-x","instructions":"Be brief.","max_output_tokens":50,"store":false,"stream":true,
		"input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"},{"type":"input_image","image_url":"https://example.com/a.png","detail":"low"}]},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
			{"type":"function_call","call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"},
			{"type":"function_call_output","call_id":"call_1","output":"18C"},
			{"role":"developer","content":"Answer in French."}],
		"tools":[{"type":"function","name":"weather","description":"Weather","parameters":{"type":"object"},"strict":true}],
		"tool_choice":{"type":"function","name":"weather"},"text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"},"strict":true}},
		"reasoning":{"effort":"low"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(r.Chat, &m)
	want := `{"max_tokens":50,"messages":[{"content":"Be brief.","role":"system"},` +
		`{"content":[{"text":"Weather in Paris?","type":"text"},{"image_url":{"detail":"low","url":"https://example.com/a.png"},"type":"image_url"}],"role":"user"},` +
		`{"content":"Checking.","role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"weather"},"id":"call_1","type":"function"}]},` +
		`{"content":"18C","role":"tool","tool_call_id":"call_1"},{"content":"Answer in French.","role":"developer"}],` +
		`"model":"gpt-x","reasoning_effort":"low","response_format":{"json_schema":{"description":"","name":"w","schema":{"type":"object"},"strict":true},"type":"json_schema"},` +
		`"stream":true,"stream_options":{"include_usage":true},"tool_choice":{"function":{"name":"weather"},"type":"function"},` +
		`"tools":[{"function":{"description":"Weather","name":"weather","parameters":{"type":"object"},"strict":true},"type":"function"}]}`
	if got := jsonOf(m); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !r.Stream || r.Model != "gpt-x" || *r.MaxOutput != 50 {
		t.Errorf("%+v", r)
	}
	r, err = FromResponses([]byte(`{"model":"gpt-x","input":"Hello"}`))
	if err != nil || string(r.Chat) != `{"model":"gpt-x","messages":[{"role":"user","content":"Hello"}]}` {
		t.Errorf("%s %v", r.Chat, err)
	}
}

func TestFromResponsesRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"no input":       `{"model":"m"}`,
		"previous":       `{"model":"m","input":"hi","previous_response_id":"resp_1"}`,
		"hosted tool":    `{"model":"m","input":"hi","tools":[{"type":"web_search_preview"}]}`,
		"reasoning item": `{"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[]}]}`,
		"input file":     `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}`,
		"file image":     `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`,
		"item reference": `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`,
		"include":        `{"model":"m","input":"hi","include":["reasoning.encrypted_content"]}`,
		"unknown":        `{"model":"m","input":"hi","frobnicate":1}`,
		"background":     `{"model":"m","input":"hi","background":true}`,
		"bad role":       `{"model":"m","input":[{"role":"tool","content":"x"}]}`,
		"case variant":   `{"model":"m","input":"hi","Input":"there"}`,
	} {
		_, err := FromResponses([]byte(body))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}

func TestResponsesAnswerWhole(t *testing.T) {
	a := NewResponsesAnswer(&ResponsesRequest{Model: "gpt-x"})
	out, err := a.Whole([]byte(`{"id":"chatcmpl-abc","created":1767225600,"choices":[{"index":0,"message":{"role":"assistant","content":"Hi",
		"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],
		"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		ID, Object, Status, Model string
		CreatedAt                 int64 `json:"created_at"`
		Output                    []struct {
			Type, ID, Role, CallID, Name, Arguments, Status string
			Content                                         []struct{ Type, Text string }
		}
		Usage struct{ InputTokens, OutputTokens, TotalTokens int } `json:"usage"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != "resp_abc" || r.Object != "response" || r.Status != "completed" || r.Model != "gpt-x" || r.CreatedAt != 1767225600 ||
		len(r.Output) != 2 || r.Output[0].Content[0].Text != "Hi" || r.Output[0].Content[0].Type != "output_text" ||
		r.Output[1].Type != "function_call" || r.Output[1].Name != "f" || !strings.Contains(string(out), `"input_tokens":3`) {
		t.Errorf("%s", out)
	}
	a = NewResponsesAnswer(&ResponsesRequest{Model: "gpt-x"})
	out, _ = a.Whole([]byte(`{"id":"x","choices":[{"index":0,"message":{"content":"cut"},"finish_reason":"length"}]}`))
	if !strings.Contains(string(out), `"status":"incomplete"`) || !strings.Contains(string(out), `"reason":"max_output_tokens"`) {
		t.Errorf("%s", out)
	}
}

func TestResponsesAnswerStream(t *testing.T) {
	in := "data: {\"id\":\"chatcmpl-9\",\"created\":5,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n" +
		"data: {\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}\n\n" +
		"data: [DONE]\n\n"
	a := NewResponsesAnswer(&ResponsesRequest{Model: "gpt-x"})
	a.now = func() time.Time { return time.Unix(1, 0) }
	var out []byte
	for i := 0; i < len(in); i += 7 {
		out = append(out, a.Stream([]byte(in[i:min(i+7, len(in))]))...)
	}
	var r SSEReader
	r.Write(out)
	var names []string
	var text, args string
	seq := 0
	for _, ev := range r.Next() {
		names = append(names, ev.Name)
		var e struct {
			Type     string
			Sequence int `json:"sequence_number"`
			Delta    string
			Response struct {
				Status string
				Output []json.RawMessage
				Usage  struct {
					OutputTokens int `json:"output_tokens"`
				}
			}
		}
		json.Unmarshal(ev.Data, &e)
		if e.Type != ev.Name || e.Sequence != seq {
			t.Errorf("event %s: type %s, sequence %d (want %d)", ev.Name, e.Type, e.Sequence, seq)
		}
		seq++
		switch ev.Name {
		case "response.output_text.delta":
			text += e.Delta
		case "response.function_call_arguments.delta":
			args += e.Delta
		case "response.completed":
			if e.Response.Status != "completed" || len(e.Response.Output) != 2 || e.Response.Usage.OutputTokens != 5 {
				t.Errorf("completed: %s", ev.Data)
			}
		}
	}
	want := "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.delta " +
		"response.output_text.done response.content_part.done response.output_item.done response.output_item.added response.function_call_arguments.delta " +
		"response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.completed"
	if got := strings.Join(names, " "); got != want || text != "Hello" || args != `{"a":1}` {
		t.Errorf("events %s\ntext %q args %q", got, text, args)
	}
}

func FuzzFromResponses(f *testing.F) {
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"x"}]}`))
	f.Add([]byte(`{"model":"m","input":"hi","text":{"format":{"type":"json_schema","name":"n","schema":{}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := FromResponses(body)
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

func TestSSEReader(t *testing.T) {
	var r SSEReader
	for _, p := range []string{"\xef\xbb", "\xbfevent: a\r", "\ndata: 1\rdata:2\r\r: note\n\nid: 7\nretry: 5\nevent:b\ndata\n\n"} {
		r.Write([]byte(p))
	}
	ev := r.Next()
	if len(ev) != 3 || ev[0].Name != "a" || string(ev[0].Data) != "1\n2" || string(ev[1].Comment) != " note" || ev[2].Name != "b" || string(ev[2].Data) != "" || ev[2].Data == nil {
		t.Errorf("%+v", ev)
	}
}
