package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/wardentest"
)

// echoModel is a model server that answers with what it was sent: the last
// user message's text after "Summary: ", followed by a placeholder of its
// own invention ("[PERSON_9]"), as a second choice's tool call
// {"note": <that text>}. Streamed, the text comes 3 bytes an event and the
// arguments 4 bytes an event, so every placeholder is split across events.
// It records the bodies it received.
type echoModel struct {
	srv    *httptest.Server
	extra  string // appended to every answer: text of the model's own
	mu     sync.Mutex
	bodies [][]byte
}

func newEchoModel(t *testing.T) *echoModel {
	m := &echoModel{}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *echoModel) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.bodies[len(m.bodies)-1])
}

func (m *echoModel) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.bodies = append(m.bodies, body)
	m.mu.Unlock()
	var q struct {
		Model    string
		Stream   bool
		Messages []struct{ Role, Content string }
	}
	json.Unmarshal(body, &q)
	var said string
	for _, msg := range q.Messages {
		if msg.Role == "user" {
			said = msg.Content
		}
	}
	text := "Summary: " + said + " [PERSON_9]" + m.extra
	args, _ := json.Marshal(map[string]string{"note": text})
	if !q.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-echo", "object": "chat.completion", "created": 1, "model": q.Model,
			"choices": []any{
				map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": text}},
				map[string]any{"index": 1, "finish_reason": "tool_calls", "message": map[string]any{"role": "assistant", "content": nil,
					"tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "chart", "arguments": string(args)}}}}},
			},
			"usage": map[string]int{"prompt_tokens": 50, "completion_tokens": 50, "total_tokens": 100},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	send := func(choice any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-echo", "object": "chat.completion.chunk", "created": 1, "model": q.Model, "choices": []any{choice}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	for i := 0; i < len(text); i += 3 {
		send(map[string]any{"index": 0, "delta": map[string]any{"content": text[i:min(i+3, len(text))]}, "finish_reason": nil})
	}
	for i := 0; i < len(args); i += 4 {
		tc := map[string]any{"index": 0, "function": map[string]any{"arguments": string(args[i:min(i+4, len(args))])}}
		if i == 0 {
			tc["id"], tc["type"], tc["function"].(map[string]any)["name"] = "call_1", "function", "chart"
		}
		send(map[string]any{"index": 1, "delta": map[string]any{"tool_calls": []any{tc}}, "finish_reason": nil})
	}
	send(map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"})
	send(map[string]any{"index": 1, "delta": map[string]any{}, "finish_reason": "tool_calls"})
	io.WriteString(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// pseudoGateway pseudonymizes every HIPAA Safe Harbor identifier of
// requests to the echo model "echo"; response, if not nil, is the
// response policy's pii.
func pseudoGateway(t *testing.T, m *echoModel, response ...map[string]string) *wardentest.Gateway {
	u := wardentest.NewUpstream(t) // for its key only
	return wardentest.NewGateway(t, wardentest.GatewayOptions{Roles: auditRoles(),
		Models: []config.Model{{Name: "echo", Upstream: config.Upstream{URL: m.srv.URL + "/v1", Model: "echo-model", APIKey: u.KeyRef}}},
		Configure: func(c *config.Config) {
			c.Content = config.Content{
				Request:      config.ContentStage{PII: map[string]string{"hipaa_safe_harbor": "pseudonymize"}},
				PhoneRegions: []string{"US"},
			}
			if len(response) > 0 {
				c.Content.Response.PII = response[0]
			}
		}})
}

// clinicalNote has a name, a date of birth, an address, an MRN and a
// phone number, and a placeholder-like token of the client's own.
const clinicalNote = "Clinical note. Patient Maria Gonzalez, DOB: 03/15/1984, MRN: 00482913. " +
	"Lives at 4521 Oak Ridge Drive, Springfield, IL 62704; call 415.555.2671. The template still shows [PERSON_1] in one box."

var noteValues = []string{"Maria", "Gonzalez", "03/15/1984", "00482913", "Oak Ridge", "Springfield", "62704", "555.2671"}

func noteRequest(stream bool) string {
	note, _ := json.Marshal(clinicalNote)
	return fmt.Sprintf(`{"model":"echo","stream":%v,"messages":[{"role":"user","content":%s}]}`, stream, note)
}

// checkUpstreamSawPlaceholders: the model received placeholders only, and
// the client's own "[PERSON_1]" as written, the patient's name numbered
// past it.
func checkUpstreamSawPlaceholders(t *testing.T, body string) {
	t.Helper()
	for _, v := range noteValues {
		if strings.Contains(body, v) {
			t.Errorf("the upstream received %q:\n%s", v, body)
		}
	}
	for _, want := range []string{"Patient [PERSON_2], DOB: [DATE_1]", "MRN: [MRN_1]", "Lives at [STREET_ADDRESS_1]", "call [PHONE_1]", "The template still shows [PERSON_1] in one box."} {
		if !strings.Contains(body, want) {
			t.Errorf("the upstream's body lacks %q:\n%s", want, body)
		}
	}
}

// wantEcho is what the client must read: its own note back, the model's
// invented placeholder as the model wrote it.
const wantEcho = "Summary: " + clinicalNote + " [PERSON_9]"

// TestPseudonymizeClinicalNote: with hipaa_safe_harbor: pseudonymize, a
// clinical note's name, date of birth, address, MRN and phone reach the
// model as placeholders, and the client reads its own values back in a
// whole answer: in the message and, JSON-escaped, in the other choice's
// tool-call arguments; a placeholder the model invented stays as it is,
// and the client's own literal "[PERSON_1]" is not turned into the name.
// The record counts the pseudonymize action, and neither it nor the
// gateway's log holds a value.
func TestPseudonymizeClinicalNote(t *testing.T) {
	m := newEchoModel(t)
	g := pseudoGateway(t, m)
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	log := openAuditLog(t, g, admin)
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, noteRequest(false))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s", res.Status, b)
	}
	checkUpstreamSawPlaceholders(t, m.last())
	var v struct {
		Choices []struct {
			Message struct {
				Content   string
				ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
			}
		}
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Choices) != 2 {
		t.Fatalf("answer: %s (%v)", b, err)
	}
	if got := v.Choices[0].Message.Content; got != wantEcho {
		t.Errorf("the client read\n%q\nwant\n%q", got, wantEcho)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(v.Choices[1].Message.ToolCalls[0].Function.Arguments), &args); err != nil || args["note"] != wantEcho {
		t.Errorf("tool-call arguments: %q (%v)", v.Choices[1].Message.ToolCalls[0].Function.Arguments, err)
	}

	rec := log.released(t, res)
	counts := map[string]int{}
	for _, f := range rec.Filters {
		if f.Stage == "request" && f.Action == "pseudonymize" {
			counts[f.Entity] = f.Count
		}
	}
	for _, e := range []string{"person", "date", "medical_record_number", "street_address", "phone"} {
		if counts[e] == 0 {
			t.Errorf("the record has no pseudonymize count for %s: %+v", e, rec.Filters)
		}
	}
	for _, val := range noteValues {
		if strings.Contains(string(rec.Entry), val) {
			t.Errorf("the record holds %q: %s", val, rec.Entry)
		}
		if strings.Contains(g.Logs(), val) {
			t.Errorf("the gateway's log holds %q", val)
		}
	}
}

// pseudoStreamed joins the content and the tool-call arguments of an SSE
// answer's events, and reports whether it ended in [DONE].
func pseudoStreamed(t *testing.T, b []byte) (content, args string, done bool) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content   string
					ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
				}
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event: %s", data)
		}
		for _, c := range ev.Choices {
			content += c.Delta.Content
			for _, tc := range c.Delta.ToolCalls {
				args += tc.Function.Arguments
			}
		}
	}
	return content, args, done
}

// TestPseudonymizeAfterResponsePolicy: with a response policy on, the
// restoring comes last, streamed and whole: the response rule redacts the
// phone number the model wrote itself (numbered past the request's
// placeholders, so it is not taken for the client's [PHONE_1]) and the
// client still reads its own phone number, name and date back.
func TestPseudonymizeAfterResponsePolicy(t *testing.T) {
	m := newEchoModel(t)
	m.extra = " Clinic line: 212-555-0199."
	g := pseudoGateway(t, m, map[string]string{"phone": "redact", "person": "redact"})
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	want := "Summary: " + clinicalNote + " [PERSON_9] Clinic line: [PHONE_2]."
	for _, stream := range []bool{false, true} {
		res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, noteRequest(stream))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: %s %s", stream, res.Status, b)
		}
		checkUpstreamSawPlaceholders(t, m.last())
		var got string
		if stream {
			got, _, _ = pseudoStreamed(t, b)
		} else {
			var v struct {
				Choices []struct{ Message struct{ Content string } }
			}
			json.Unmarshal(b, &v)
			got = v.Choices[0].Message.Content
		}
		if got != want {
			t.Errorf("stream %v: the client read\n%q\nwant\n%q", stream, got, want)
		}
	}
}

// TestPseudonymizeStream: streamed, the same note's placeholders reach the
// model, and the client reads its values back though every placeholder
// arrives split across events (3 bytes an event), in the content and in
// the tool call's arguments (4 bytes an event), which stay JSON.
func TestPseudonymizeStream(t *testing.T) {
	m := newEchoModel(t)
	g := pseudoGateway(t, m)
	admin := g.NewKey(t, wardentest.KeyOptions{}).Secret
	res, b := send(t, g, http.MethodPost, "/v1/chat/completions", admin, noteRequest(true))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s", res.Status, b)
	}
	checkUpstreamSawPlaceholders(t, m.last())
	content, args, done := pseudoStreamed(t, b)
	if !done {
		t.Errorf("no [DONE]:\n%s", b)
	}
	if content != wantEcho {
		t.Errorf("the client read\n%q\nwant\n%q", content, wantEcho)
	}
	var a map[string]string
	if err := json.Unmarshal([]byte(args), &a); err != nil || a["note"] != wantEcho {
		t.Errorf("tool-call arguments: %q (%v)", args, err)
	}
	for _, val := range noteValues {
		if strings.Contains(g.Logs(), val) {
			t.Errorf("the gateway's log holds %q", val)
		}
	}
}

// TestPseudonymizeResponseOnly: pseudonymize is an action of requests; a
// response policy naming it is refused when the configuration is checked.
func TestPseudonymizeResponseOnly(t *testing.T) {
	c := &config.Config{}
	c.Content.Response.PII = map[string]string{"person": "pseudonymize"}
	c.Content.Request.PII = map[string]string{"person": "pseudonymize"}
	problems := fmt.Sprint(c.Validate())
	if !strings.Contains(problems, "content.response.pii.person") || strings.Contains(problems, "content.request.pii.person") {
		t.Fatalf("validation: %s", problems)
	}
}
